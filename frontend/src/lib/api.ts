// The HTTP transport: base URL, JSON errors, and the browser token scheme.
//
// Tokens: the access token (15 minutes) lives only in this object's memory. The refresh
// token never reaches page scripts: POST /v1/auth/login with use_cookie=true makes the
// server set it as an httpOnly, SameSite=Strict cookie scoped to /v1/auth, and
// POST /v1/auth/refresh with an empty body spends and rotates it. Every fetch sends
// `credentials: "include"` so that cookie travels to a separate API origin too.

import type { ErrorBody, Tokens } from "./types";

/**
 * The API base URL, inlined at build: NEXT_PUBLIC_API_BASE_URL (the seed README's name),
 * else NEXT_PUBLIC_API_BASE (this project's earlier name, kept as an alias); empty = same
 * origin. Each is read literally so that Next.js can inline it.
 */
export function apiBase(): string {
  const configured =
    (process.env.NEXT_PUBLIC_API_BASE_URL ?? "").trim() ||
    (process.env.NEXT_PUBLIC_API_BASE ?? "").trim();
  return configured.replace(/\/+$/, "");
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId: string | null = null,
    readonly details: ErrorBody["details"] = [],
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** The text a person should see for any thrown value. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}

export type QueryValue = string | number | boolean | null | undefined;

export interface RequestOptions {
  method?: "GET" | "POST" | "PUT" | "DELETE";
  query?: Record<string, QueryValue>;
  body?: unknown;
  /** Send the access token (default true); sign-in and sign-up do not. */
  auth?: boolean;
  signal?: AbortSignal;
}

type Fetch = typeof fetch;

/** Refresh this long before the access token expires. */
const EARLY_REFRESH_MS = 30_000;

export class ApiClient {
  readonly baseUrl: string;
  private readonly fetchImpl: Fetch;
  private access: { token: string; expiresAt: number } | null = null;
  private refreshing: Promise<boolean> | null = null;
  private readonly signedOutListeners = new Set<() => void>();

  constructor(options: { baseUrl?: string; fetchImpl?: Fetch } = {}) {
    this.baseUrl = (options.baseUrl ?? apiBase()).replace(/\/+$/, "");
    // bound late so tests can replace globalThis.fetch
    this.fetchImpl = options.fetchImpl ?? ((input, init) => globalThis.fetch(input, init));
  }

  get accessToken(): string | null {
    return this.access?.token ?? null;
  }

  get accessExpiresAt(): number | null {
    return this.access?.expiresAt ?? null;
  }

  /** Called when the session ends without the user asking (refresh refused). */
  onSignedOut(listener: () => void): () => void {
    this.signedOutListeners.add(listener);
    return () => this.signedOutListeners.delete(listener);
  }

  url(path: string, query?: Record<string, QueryValue>): string {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined && value !== null && value !== "") search.set(key, String(value));
    }
    const qs = search.toString();
    return `${this.baseUrl}${path}${qs ? `?${qs}` : ""}`;
  }

  setTokens(tokens: Tokens): void {
    this.access = { token: tokens.access_token, expiresAt: Date.parse(tokens.access_expires_at) };
  }

  clearTokens(): void {
    this.access = null;
  }

  /** A JSON call; on 401 `token_expired` it refreshes once and retries. */
  async request<T>(path: string, options: RequestOptions = {}): Promise<T> {
    const auth = options.auth ?? true;
    if (auth && this.access && this.access.expiresAt - Date.now() < EARLY_REFRESH_MS) {
      await this.refresh();
    }
    let response = await this.send(path, options, auth);
    if (response.status === 401 && auth) {
      const error = await toError(response);
      if (error.code !== "token_expired" && error.code !== "invalid_token") throw error;
      if (!(await this.refresh())) throw error;
      response = await this.send(path, options, auth);
    }
    if (!response.ok) throw await toError(response);
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** Trade the refresh cookie for a new access token; concurrent callers share one
   * attempt, and tabs take turns (a refresh token is single use: spending one twice
   * revokes the whole session). */
  refresh(): Promise<boolean> {
    if (!this.refreshing) {
      this.refreshing = withLock("memory-mesh.refresh", () => this.refreshNow()).finally(() => {
        this.refreshing = null;
      });
    }
    return this.refreshing;
  }

  /** A valid access token for a WebSocket handshake, refreshed when about to expire. */
  async freshAccessToken(): Promise<string | null> {
    if (!this.access || this.access.expiresAt - Date.now() < EARLY_REFRESH_MS) {
      await this.refresh();
    }
    return this.accessToken;
  }

  async login(email: string, password: string): Promise<void> {
    const tokens = await this.request<Tokens>("/v1/auth/login", {
      method: "POST",
      body: { email, password, use_cookie: true },
      auth: false,
    });
    this.setTokens(tokens);
  }

  async logout(): Promise<void> {
    try {
      await this.request<void>("/v1/auth/logout", { method: "POST", body: {}, auth: false });
    } finally {
      this.access = null;
    }
  }

  private async refreshNow(): Promise<boolean> {
    const hadSession = this.access !== null;
    let response: Response;
    try {
      response = await this.fetchImpl(this.url("/v1/auth/refresh"), {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: "{}",
        credentials: "include",
        cache: "no-store",
      });
    } catch {
      return false;
    }
    if (!response.ok) {
      this.access = null;
      // refused mid-session (expired, revoked, reused): tell the app; on page load
      // without a cookie this is simply "not signed in"
      if (hadSession) this.endSession();
      return false;
    }
    this.setTokens((await response.json()) as Tokens);
    return true;
  }

  private endSession(): void {
    this.access = null;
    for (const listener of this.signedOutListeners) listener();
  }

  private async send(path: string, options: RequestOptions, auth: boolean): Promise<Response> {
    const headers: Record<string, string> = { accept: "application/json" };
    if (options.body !== undefined) headers["content-type"] = "application/json";
    if (auth && this.access) headers.authorization = `Bearer ${this.access.token}`;
    try {
      return await this.fetchImpl(this.url(path, options.query), {
        method: options.method ?? "GET",
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        credentials: "include",
        cache: "no-store",
        signal: options.signal,
      });
    } catch (error) {
      if (error instanceof DOMException && error.name === "AbortError") throw error;
      const where = this.baseUrl || "this site";
      throw new ApiError(0, "network_error", `Could not reach the Memory Mesh API at ${where}.`);
    }
  }
}

/** The server's JSON error body as an ApiError (or a generic one for non-JSON answers). */
export async function toError(response: Response): Promise<ApiError> {
  let body: Partial<ErrorBody> | null = null;
  try {
    body = (await response.json()) as Partial<ErrorBody>;
  } catch {
    body = null;
  }
  if (body && typeof body.message === "string") {
    return new ApiError(
      response.status,
      body.code ?? `http_${response.status}`,
      body.message,
      body.request_id ?? response.headers.get("x-request-id"),
      body.details ?? [],
    );
  }
  const text = response.statusText || "request failed";
  return new ApiError(response.status, `http_${response.status}`, `${response.status} ${text}`);
}

async function withLock<T>(name: string, run: () => Promise<T>): Promise<T> {
  const locks = typeof navigator !== "undefined" ? navigator.locks : undefined;
  if (!locks) return run();
  return locks.request(name, run) as Promise<T>;
}
