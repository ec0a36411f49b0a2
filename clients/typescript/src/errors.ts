/** Errors raised by the client: the server's answer (with its stable `code`) or no answer at all. */

import type { components } from "./schema.js";

export type ErrorBody = components["schemas"]["ErrorBody"];

/** The server answered with an error status; `code` is the stable code of its error body. */
export class MemoryMeshError extends Error {
  readonly status: number;
  readonly code: string;
  readonly requestId: string | null;
  readonly details: ErrorBody["details"];
  readonly body: unknown;

  constructor(status: number, body: unknown) {
    const parsed = asErrorBody(body);
    super(parsed ? `${status} ${parsed.code}: ${parsed.message}` : `HTTP ${status}`);
    this.name = "MemoryMeshError";
    this.status = status;
    // an answer without the usual body (e.g. a proxy's 502 page) still gets a code
    this.code = parsed?.code ?? `http_${status}`;
    this.requestId = parsed?.request_id ?? null;
    this.details = parsed?.details;
    this.body = body;
  }
}

/** 401: no, bad or expired credential (after a refresh was tried, for sessions). */
export class AuthenticationError extends MemoryMeshError {
  override readonly name = "AuthenticationError";
}

/** 403: the credential lacks the scope or the tenant. */
export class PermissionDeniedError extends MemoryMeshError {
  override readonly name = "PermissionDeniedError";
}

/** 404: missing, or another tenant's (the server answers both alike). */
export class NotFoundError extends MemoryMeshError {
  override readonly name = "NotFoundError";
}

/** 409 / 422 / 400 / 413: the request itself is wrong; retrying it unchanged cannot help. */
export class InvalidRequestError extends MemoryMeshError {
  override readonly name = "InvalidRequestError";
}

/** 429 after every retry: the caller's or the tenant's rate limit. */
export class RateLimitedError extends MemoryMeshError {
  override readonly name = "RateLimitedError";
}

/** 5xx after every retry. */
export class ServerError extends MemoryMeshError {
  override readonly name = "ServerError";
}

/** No answer: the connection failed on every attempt. */
export class ConnectionError extends Error {
  override readonly name = "ConnectionError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The error class for an HTTP status and the server's error body. */
export function errorFor(status: number, body: unknown): MemoryMeshError {
  if (status === 401) return new AuthenticationError(status, body);
  if (status === 403) return new PermissionDeniedError(status, body);
  if (status === 404) return new NotFoundError(status, body);
  if (status === 429) return new RateLimitedError(status, body);
  if (status >= 500) return new ServerError(status, body);
  if (status >= 400) return new InvalidRequestError(status, body);
  return new MemoryMeshError(status, body);
}

function asErrorBody(body: unknown): ErrorBody | null {
  if (typeof body !== "object" || body === null) return null;
  const candidate = body as Partial<ErrorBody>;
  return typeof candidate.code === "string" && typeof candidate.message === "string"
    ? (candidate as ErrorBody)
    : null;
}
