// Shapes of the Memory Mesh HTTP API (see /openapi.json of the server).

export type Role = "user" | "assistant" | "system" | "tool";
export const ROLES: Role[] = ["user", "assistant", "system", "tool"];
export type EmbeddingStatus = "pending" | "ready" | "failed";
export type SearchMode = "hybrid" | "vector" | "keyword";
export const SEARCH_MODES: SearchMode[] = ["hybrid", "vector", "keyword"];
export type Scope = "read" | "write" | "admin";
export const SCOPES: Scope[] = ["read", "write", "admin"];

export interface ErrorBody {
  code: string;
  message: string;
  request_id?: string | null;
  details?: { field?: string | null; problem: string }[];
}

export interface Tokens {
  token_type: string;
  access_token: string;
  access_expires_at: string;
  refresh_token: string | null;
  refresh_expires_at: string;
}

export interface TenantAccess {
  tenant_id: string;
  scopes: string[];
  role: string | null;
}

export interface Me {
  kind: "user" | "api_key";
  id: string;
  email: string | null;
  is_superuser: boolean;
  tenants: TenantAccess[];
}

export interface Embedding {
  status: EmbeddingStatus;
  provider: string | null;
  model: string | null;
  dimensions: number | null;
  attempts: number;
  error: string | null;
  embedded_at: string | null;
}

export interface Message {
  id: string;
  tenant_id: string;
  conversation_id: string;
  role: Role;
  content: string;
  metadata: Record<string, unknown>;
  importance: number;
  importance_explicit: boolean;
  archived: boolean;
  created_at: string;
  updated_at: string;
  embedding: Embedding;
}

export interface Conversation {
  id: string;
  tenant_id: string;
  title: string | null;
  metadata: Record<string, unknown>;
  created_at: string;
  updated_at: string;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export interface ConversationStats {
  conversation_id: string;
  message_count: number;
  archived_count: number;
  by_role: Record<string, number>;
  first_message_at: string | null;
  last_message_at: string | null;
  mean_importance: number | null;
  embedded_count: number;
  pending_count: number;
  failed_count: number;
  embedding_coverage: number | null;
}

export interface Scores {
  score: number;
  relevance: number;
  similarity: number | null;
  keyword: number | null;
  importance: number;
  recency: number;
}

export interface SearchHit {
  message: Message;
  scores: Scores;
}

export interface SearchResult {
  query: string;
  mode: SearchMode;
  degraded: boolean;
  plan: "exact" | "hnsw";
  results: SearchHit[];
}

export interface SearchParams {
  query: string;
  mode: SearchMode;
  top_k: number;
  conversation_id?: string;
  role?: Role;
  created_after?: string;
  created_before?: string;
  metadata?: Record<string, unknown>;
  min_score?: number;
  include_archived?: boolean;
}

export interface ApiKey {
  id: string;
  tenant_id: string;
  name: string;
  prefix: string;
  scopes: string[];
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface NewApiKey extends ApiKey {
  key: string;
}

/** A frame of WS /ws/messages/{tenant_id}. */
export type LiveFrame =
  | { type: "ready"; tenant_id: string }
  | { type: "ping"; time?: string }
  | { type: "error"; code: string; message: string }
  | {
      type: "message.created" | "message.updated" | "message.deleted" | "message.embedded";
      tenant_id: string;
      message: Message;
      time: string;
    };

export type LiveEventType = "message.created" | "message.updated" | "message.deleted" | "message.embedded";

export type LiveMessageFrame = Extract<LiveFrame, { type: LiveEventType }>;

const EVENT_TYPES: readonly string[] = ["message.created", "message.updated", "message.deleted", "message.embedded"];

export function isMessageFrame(frame: LiveFrame): frame is LiveMessageFrame {
  return EVENT_TYPES.includes(frame.type) && typeof (frame as LiveMessageFrame).message === "object";
}

// --- analytics (/v1/analytics) ---------------------------------------------------

export type Granularity = "hour" | "day" | "week" | "month";

export interface DateRange {
  from: string;
  to: string;
}

export interface Usage {
  tenant_id: string;
  range: DateRange;
  messages: number;
  by_role: Record<string, number>;
  archived: number;
  content_chars: number;
  mean_importance: number | null;
  active_conversations: number;
  conversations_created: number;
  stored: { messages: number; archived: number; conversations: number };
}

export interface TrendBucket {
  bucket_start: string;
  messages: number;
  user_messages: number;
  assistant_messages: number;
  system_messages: number;
  tool_messages: number;
  active_conversations: number;
  mean_importance: number | null;
}

export interface Trends {
  tenant_id: string;
  range: DateRange;
  granularity: Granularity;
  timezone: string;
  buckets: TrendBucket[];
}

export interface TopConversation {
  id: string;
  title: string | null;
  created_at: string;
  messages: number;
  first_message_at: string;
  last_message_at: string;
  mean_importance: number | null;
}

export interface EmbeddingStats {
  tenant_id: string;
  range: DateRange;
  messages: number;
  ready: number;
  pending: number;
  failed: number;
  coverage: number | null;
  models: { provider: string | null; model: string | null; dimensions: number | null; messages: number }[];
  latency_ms: { p50: number | null; p90: number | null; p99: number | null; mean: number | null; max: number | null };
  top_errors: { error: string; messages: number }[];
}

// --- retention (/v1/admin/retention) ---------------------------------------------

export type RuleAction = "archive" | "delete" | "keep";

export interface RuleConditions {
  older_than_days: number | null;
  importance_below: number | null;
  roles: Role[] | null;
  conversation_id: string | null;
  metadata_contains: Record<string, unknown> | null;
}

export interface RetentionRule {
  id: string;
  tenant_id: string;
  name: string;
  action: RuleAction;
  conditions: RuleConditions;
  enabled: boolean;
  priority: number;
  archived_for_days: number | null;
  skip_archive: boolean;
  created_at: string;
  updated_at: string;
}

export interface RuleInput {
  name: string;
  action: RuleAction;
  conditions: Partial<RuleConditions>;
  enabled: boolean;
  priority: number;
  archived_for_days?: number;
  skip_archive?: boolean;
}

export interface RetentionStep {
  key: string;
  rule_id: string | null;
  name: string;
  action: RuleAction;
  affected: number;
  batches: number;
  sample_ids: string[];
}

export interface RetentionRun {
  id: string;
  tenant_id: string;
  triggered_by: string;
  dry_run: boolean;
  status: "running" | "succeeded" | "failed" | "interrupted";
  as_of: string;
  started_at: string;
  finished_at: string | null;
  batches: number;
  archived: number;
  deleted: number;
  results: RetentionStep[];
  error: string | null;
}
