/**
 * The fetch every request of the client goes through: it adds the credential, gives keyed
 * writes an Idempotency-Key, retries what is safe to retry (honouring Retry-After), and
 * refreshes an expired session once.
 */

import { ConnectionError } from "./errors.js";

/** The POST routes that honour `Idempotency-Key` (a test checks this against the OpenAPI). */
export const IDEMPOTENT_POSTS: readonly string[] = [
  "/v1/messages",
  "/v1/messages/batch",
  "/v1/conversations",
];

/** Tokens of a user session, as `POST /v1/auth/login` and `/v1/auth/refresh` return them. */
export interface SessionTokens {
  accessToken: string;
  refreshToken: string | null;
}

export interface RetryOptions {
  /** Retries after the first attempt (default 4). */
  retries?: number;
  /** First backoff when the server sent no Retry-After, doubled each time (default 250 ms). */
  baseDelayMs?: number;
  /** Longest wait between attempts, Retry-After included (default 30 s). */
  maxDelayMs?: number;
}

export interface TransportOptions {
  baseUrl: string;
  apiKey?: string;
  session?: SessionTokens;
  /** Called with every new pair of tokens (refresh tokens work once: keep the new one). */
  onTokens?: (tokens: SessionTokens) => void;
  retry?: RetryOptions;
  fetch?: (input: Request) => Promise<Response>;
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE"]);
const RETRIED_STATUSES = new Set([502, 503, 504]);
const NO_REFRESH = ["/v1/auth/login", "/v1/auth/refresh", "/v1/auth/register"];

export class Transport {
  private readonly base: URL;
  private readonly apiKey: string | undefined;
  private session: SessionTokens | undefined;
  private readonly onTokens: ((tokens: SessionTokens) => void) | undefined;
  private readonly retries: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly send: (input: Request) => Promise<Response>;
  private refreshing: Promise<boolean> | null = null;

  constructor(options: TransportOptions) {
    this.base = new URL(options.baseUrl);
    this.apiKey = options.apiKey;
    this.session = options.session;
    this.onTokens = options.onTokens;
    this.retries = options.retry?.retries ?? 4;
    this.baseDelayMs = options.retry?.baseDelayMs ?? 250;
    this.maxDelayMs = options.retry?.maxDelayMs ?? 30_000;
    this.send = options.fetch ?? ((input) => globalThis.fetch(input));
  }

  /** The current session tokens (after any refresh), if the client uses a session. */
  get tokens(): SessionTokens | undefined {
    return this.session;
  }

  /** The fetch given to openapi-fetch. */
  readonly fetch = async (input: Request): Promise<Response> => {
    const path = new URL(input.url).pathname;
    const prepared = new Request(input);
    const keyed = prepared.method === "POST" && IDEMPOTENT_POSTS.some((p) => path.endsWith(p));
    // one key for every attempt: a retry after a lost answer is replayed, never stored twice
    if (keyed && !prepared.headers.has("idempotency-key")) {
      prepared.headers.set("idempotency-key", crypto.randomUUID());
    }
    const retriable = keyed || SAFE_METHODS.has(prepared.method);
    let refreshed = false;
    for (let attempt = 0; ; attempt++) {
      const request = prepared.clone();
      this.authenticate(request.headers);
      let response: Response;
      try {
        response = await this.send(request);
      } catch (error) {
        if (request.signal.aborted || !retriable || attempt >= this.retries) {
          if (request.signal.aborted) throw error;
          throw new ConnectionError(`${prepared.method} ${path}: ${String(error)}`, { cause: error });
        }
        await sleep(this.backoff(attempt));
        continue;
      }
      if (response.status === 401 && !refreshed && this.canRefresh(path)) {
        refreshed = true;
        if (await this.refresh()) {
          attempt--; // the refresh is not a retry of the request
          continue;
        }
        return response;
      }
      if (attempt >= this.retries || !this.shouldRetry(response, retriable)) return response;
      await response.body?.cancel();
      await sleep(this.delay(response, attempt));
    }
  };

  private authenticate(headers: Headers): void {
    if (headers.has("authorization") || headers.has("x-api-key")) return;
    if (this.apiKey !== undefined) headers.set("x-api-key", this.apiKey);
    else if (this.session !== undefined) headers.set("authorization", `Bearer ${this.session.accessToken}`);
  }

  private shouldRetry(response: Response, retriable: boolean): boolean {
    // 429 is refused before anything runs; 409 with Retry-After is the same key still running
    if (response.status === 429) return true;
    if (response.status === 409 && response.headers.has("retry-after")) return true;
    return retriable && RETRIED_STATUSES.has(response.status);
  }

  private canRefresh(path: string): boolean {
    return (
      this.apiKey === undefined &&
      this.session?.refreshToken != null &&
      !NO_REFRESH.some((p) => path.endsWith(p))
    );
  }

  /** Trade the refresh token for a new pair, once for every request waiting on a 401. */
  private refresh(): Promise<boolean> {
    this.refreshing ??= this.doRefresh().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private async doRefresh(): Promise<boolean> {
    const token = this.session?.refreshToken;
    if (token == null) return false;
    const url = new URL(this.base.pathname.replace(/\/$/, "") + "/v1/auth/refresh", this.base);
    const response = await this.send(
      new Request(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ refresh_token: token }),
      }),
    );
    if (!response.ok) {
      await response.body?.cancel();
      return false;
    }
    const body = (await response.json()) as { access_token: string; refresh_token: string | null };
    this.session = { accessToken: body.access_token, refreshToken: body.refresh_token };
    this.onTokens?.(this.session);
    return true;
  }

  private delay(response: Response, attempt: number): number {
    const header = response.headers.get("retry-after");
    const asked = header === null ? null : retryAfterMs(header);
    return Math.min(asked ?? this.backoff(attempt), this.maxDelayMs);
  }

  private backoff(attempt: number): number {
    // full jitter: clients refused together do not come back together
    return Math.min(this.baseDelayMs * 2 ** attempt, this.maxDelayMs) * (0.5 + Math.random() / 2);
  }
}

/** Retry-After in milliseconds: delta-seconds or an HTTP date; null when unreadable. */
export function retryAfterMs(value: string, now: number = Date.now()): number | null {
  const seconds = Number(value);
  if (value.trim() !== "" && Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
