/**
 * MemoryMesh: a thin typed wrapper over openapi-fetch. `client.api` is the full typed
 * client of every route; the methods here cover the everyday calls, return the body and
 * throw a MemoryMeshError (with the server's `code`) for an error answer.
 */

import createClient, { type Client } from "openapi-fetch";

import { errorFor } from "./errors.js";
import type { components, paths } from "./schema.js";
import { type RetryOptions, type SessionTokens, Transport } from "./transport.js";

type Schemas = components["schemas"];
export type Message = Schemas["MessageOut"];
export type MessageCreate = Schemas["MessageCreate"];
export type MessageUpdate = Schemas["MessageUpdate"];
export type MessageBatchCreate = Schemas["MessageBatchCreate"];
export type Batch = Schemas["BatchOut"];
export type Conversation = Schemas["ConversationOut"];
export type ConversationCreate = Schemas["ConversationCreate"];
export type ConversationStats = Schemas["ConversationStats"];
export type SearchRequest = Schemas["SearchRequest"];
export type SearchResult = Schemas["SearchOut"];
export type SearchHit = Schemas["SearchHitOut"];
export type Me = Schemas["MeOut"];
export type Tokens = Schemas["TokensOut"];

export interface MemoryMeshOptions {
  /** Where the API is, e.g. http://127.0.0.1:8000 (no /v1). */
  baseUrl: string;
  /** An API key (`mm_…`); or use `session`. */
  apiKey?: string;
  /** A user session; a 401 trades its refresh token for a new pair once. */
  session?: SessionTokens;
  /** Called with every new pair of session tokens: keep the new refresh token. */
  onTokens?: (tokens: SessionTokens) => void;
  /** Retries of 429 / 503 / connection errors (Retry-After honoured). */
  retry?: RetryOptions;
  /** Another fetch (tests, proxies). */
  fetch?: (input: Request) => Promise<Response>;
}

/** One page of a cursor-paginated list. */
export interface Page<T> {
  items: T[];
  next_cursor?: string | null;
}

/** Every item of every page, fetching the next page only when the caller gets there. */
export async function* paginate<T>(
  page: (cursor: string | undefined) => Promise<Page<T>>,
): AsyncGenerator<T, void, undefined> {
  let cursor: string | undefined;
  do {
    const current = await page(cursor);
    yield* current.items;
    cursor = current.next_cursor ?? undefined;
  } while (cursor !== undefined);
}

type Result<T> = { data?: T; error?: unknown; response: Response };

/** The body of a successful answer; the typed error of any other. */
async function unwrap<T>(call: Promise<Result<T>>): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok) throw errorFor(response.status, error);
  return data as T;
}

export class MemoryMesh {
  /** The typed openapi-fetch client: every route of the API. */
  readonly api: Client<paths>;
  private readonly transport: Transport;

  constructor(options: MemoryMeshOptions) {
    this.transport = new Transport(options);
    this.api = createClient<paths>({ baseUrl: options.baseUrl, fetch: this.transport.fetch });
  }

  /** Sign in with email and password; the client then holds the session. */
  static async login(
    options: Omit<MemoryMeshOptions, "apiKey" | "session">,
    credentials: { email: string; password: string; tenant_id?: string | null },
  ): Promise<MemoryMesh> {
    const anonymous = new MemoryMesh(options);
    const tokens = await unwrap(anonymous.api.POST("/v1/auth/login", { body: credentials }));
    const session = { accessToken: tokens.access_token, refreshToken: tokens.refresh_token ?? null };
    options.onTokens?.(session);
    return new MemoryMesh({ ...options, session });
  }

  /** The session's current tokens (after any refresh); undefined with an API key. */
  get session(): SessionTokens | undefined {
    return this.transport.tokens;
  }

  me(): Promise<Me> {
    return unwrap(this.api.GET("/v1/auth/me"));
  }

  createConversation(body: ConversationCreate = {}): Promise<Conversation> {
    return unwrap(this.api.POST("/v1/conversations", { body }));
  }

  getConversation(id: string): Promise<Conversation> {
    return unwrap(this.api.GET("/v1/conversations/{conversation_id}", { params: { path: { conversation_id: id } } }));
  }

  deleteConversation(id: string): Promise<unknown> {
    return unwrap(
      this.api.DELETE("/v1/conversations/{conversation_id}", { params: { path: { conversation_id: id } } }),
    );
  }

  /** Every conversation of the tenant, newest first, page by page. */
  conversations(query: { limit?: number; tenant_id?: string } = {}): AsyncGenerator<Conversation> {
    return paginate((cursor) =>
      unwrap(this.api.GET("/v1/conversations", { params: { query: { ...query, cursor } } })),
    );
  }

  /** Every message of a conversation in reading order, page by page. */
  conversationMessages(
    id: string,
    query: { limit?: number; include_archived?: boolean; tenant_id?: string } = {},
  ): AsyncGenerator<Message> {
    return paginate((cursor) =>
      unwrap(
        this.api.GET("/v1/conversations/{conversation_id}/messages", {
          params: { path: { conversation_id: id }, query: { ...query, cursor } },
        }),
      ),
    );
  }

  conversationStats(id: string): Promise<ConversationStats> {
    return unwrap(
      this.api.GET("/v1/conversations/{conversation_id}/stats", { params: { path: { conversation_id: id } } }),
    );
  }

  /** Store a message (retried with one Idempotency-Key: never stored twice). */
  remember(body: MessageCreate, options: { idempotencyKey?: string } = {}): Promise<Message> {
    return unwrap(this.api.POST("/v1/messages", { body, headers: keyHeader(options.idempotencyKey) }));
  }

  rememberMany(body: MessageBatchCreate, options: { idempotencyKey?: string } = {}): Promise<Batch> {
    return unwrap(this.api.POST("/v1/messages/batch", { body, headers: keyHeader(options.idempotencyKey) }));
  }

  getMessage(id: string): Promise<Message> {
    return unwrap(this.api.GET("/v1/messages/{message_id}", { params: { path: { message_id: id } } }));
  }

  updateMessage(id: string, body: MessageUpdate): Promise<Message> {
    return unwrap(this.api.PUT("/v1/messages/{message_id}", { params: { path: { message_id: id } }, body }));
  }

  forget(id: string): Promise<unknown> {
    return unwrap(this.api.DELETE("/v1/messages/{message_id}", { params: { path: { message_id: id } } }));
  }

  /** Search by meaning (`hybrid` by default), with the API's filters. */
  search(body: SearchRequest): Promise<SearchResult> {
    return unwrap(this.api.POST("/v1/memory/search", { body }));
  }
}

function keyHeader(key: string | undefined): Record<string, string> {
  return key === undefined ? {} : { "idempotency-key": key };
}
