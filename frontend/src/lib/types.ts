// Shapes of the Memory Mesh HTTP API: aliases of the types generated from the server's
// OpenAPI document (clients/typescript, `@memory-mesh/client/schema`), so a change of the
// API breaks the dashboard's type check instead of its users. Only the WebSocket frames,
// which OpenAPI does not describe, are written here.

import type { components } from "@memory-mesh/client/schema";

type Schemas = components["schemas"];

export type Role = Schemas["MessageOut"]["role"];
export const ROLES: Role[] = ["user", "assistant", "system", "tool"];
export type EmbeddingStatus = Schemas["EmbeddingOut"]["status"];
export type SearchMode = NonNullable<Schemas["SearchRequest"]["mode"]>;
export const SEARCH_MODES: SearchMode[] = ["hybrid", "vector", "keyword"];
export type Scope = NonNullable<Schemas["ApiKeyIn"]["scopes"]>[number];
export const SCOPES: Scope[] = ["read", "write", "admin"];

export type ErrorBody = Schemas["ErrorBody"];
export type Tokens = Schemas["TokensOut"];
export type TenantAccess = Schemas["TenantAccessOut"];
export type Me = Schemas["MeOut"];
export type Embedding = Schemas["EmbeddingOut"];
export type Message = Schemas["MessageOut"];
export type Conversation = Schemas["ConversationOut"];

/** A cursor page of any list (conversations, a conversation's messages, retention runs). */
export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export type ConversationStats = Schemas["ConversationStats"];
export type Scores = Schemas["ScoresOut"];
export type SearchHit = Schemas["SearchHitOut"];
export type SearchResult = Schemas["SearchOut"];
export type SearchParams = Schemas["SearchRequest"];
export type ApiKey = Schemas["ApiKeyOut"];
export type NewApiKey = Schemas["NewApiKeyOut"];

// --- analytics (/v1/analytics) ---------------------------------------------------

export type DateRange = Schemas["RangeOut"];
export type Usage = Schemas["UsageOut"];
export type TrendBucket = Schemas["BucketOut"];
export type Trends = Schemas["TrendsOut"];
export type Granularity = Trends["granularity"];
export type TopConversation = Schemas["TopConversationOut"];
export type EmbeddingStats = Schemas["EmbeddingStatsOut"];

// --- retention (/v1/admin/retention) ---------------------------------------------

export type RetentionRule = Schemas["RuleOut"];
export type RuleAction = RetentionRule["action"];
export type RuleConditions = Schemas["ConditionsOut"];
export type RuleInput = Schemas["RuleCreate"];
export type RetentionStep = Schemas["StepOut"];
export type RetentionRun = Schemas["RunOut"];

// --- live updates (WS /ws/messages/{tenant_id}): not in the OpenAPI document --------

export type LiveEventType = "message.created" | "message.updated" | "message.deleted" | "message.embedded";

/** A frame of WS /ws/messages/{tenant_id}. */
export type LiveFrame =
  | { type: "ready"; tenant_id: string }
  | { type: "ping"; time?: string }
  | { type: "error"; code: string; message: string }
  | { type: LiveEventType; tenant_id: string; message: Message; time: string };

export type LiveMessageFrame = Extract<LiveFrame, { type: LiveEventType }>;

const EVENT_TYPES: readonly string[] = ["message.created", "message.updated", "message.deleted", "message.embedded"];

export function isMessageFrame(frame: LiveFrame): frame is LiveMessageFrame {
  return EVENT_TYPES.includes(frame.type) && typeof (frame as LiveMessageFrame).message === "object";
}
