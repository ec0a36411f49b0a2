// Typed calls of the Memory Mesh API, one per endpoint the dashboard uses.

import type { ApiClient } from "./api";
import type {
  ApiKey,
  Conversation,
  ConversationStats,
  EmbeddingStats,
  Granularity,
  Me,
  Message,
  NewApiKey,
  Page,
  RetentionRule,
  RetentionRun,
  Role,
  RuleInput,
  Scope,
  SearchParams,
  SearchResult,
  TopConversation,
  Trends,
  Usage,
} from "./types";

export const me = (api: ApiClient) => api.request<Me>("/v1/auth/me");

export const register = (
  api: ApiClient,
  body: { email: string; password: string; tenant_id?: string; tenant_name?: string },
) =>
  api.request<{ user_id: string; tenant_id: string }>("/v1/auth/register", {
    method: "POST",
    body: withoutEmpty(body),
    auth: false,
  });

export const createTenant = (api: ApiClient, tenantId: string, name?: string) =>
  api.request<{ tenant_id: string; name: string | null }>("/v1/auth/tenants", {
    method: "POST",
    body: withoutEmpty({ tenant_id: tenantId, name }),
  });

export const addMember = (api: ApiClient, tenantId: string, email: string, role: "admin" | "member") =>
  api.request<void>(`/v1/auth/tenants/${encodeURIComponent(tenantId)}/members`, {
    method: "POST",
    body: { email, role },
  });

export const listConversations = (api: ApiClient, tenant: string, cursor?: string | null, limit = 20) =>
  api.request<Page<Conversation>>("/v1/conversations", {
    query: { tenant_id: tenant, cursor, limit },
  });

export const getConversation = (api: ApiClient, tenant: string, id: string) =>
  api.request<Conversation>(`/v1/conversations/${encodeURIComponent(id)}`, { query: { tenant_id: tenant } });

export const createConversation = (api: ApiClient, tenant: string, title?: string) =>
  api.request<Conversation>("/v1/conversations", {
    method: "POST",
    body: withoutEmpty({ tenant_id: tenant, title }),
  });

export const deleteConversation = (api: ApiClient, tenant: string, id: string) =>
  api.request<{ id: string; deleted_messages: number }>(`/v1/conversations/${encodeURIComponent(id)}`, {
    method: "DELETE",
    query: { tenant_id: tenant },
  });

export const conversationStats = (api: ApiClient, tenant: string, id: string) =>
  api.request<ConversationStats>(`/v1/conversations/${encodeURIComponent(id)}/stats`, {
    query: { tenant_id: tenant },
  });

export const conversationMessages = (
  api: ApiClient,
  tenant: string,
  id: string,
  options: { cursor?: string | null; limit?: number; includeArchived?: boolean } = {},
) =>
  api.request<Page<Message>>(`/v1/conversations/${encodeURIComponent(id)}/messages`, {
    query: {
      tenant_id: tenant,
      cursor: options.cursor,
      limit: options.limit ?? 50,
      include_archived: options.includeArchived ? true : undefined,
    },
  });

export const createMessage = (
  api: ApiClient,
  tenant: string,
  body: { conversation_id: string; role: Role; content: string; importance?: number },
) => api.request<Message>("/v1/messages", { method: "POST", body: { tenant_id: tenant, ...body } });

export const deleteMessage = (api: ApiClient, tenant: string, id: string) =>
  api.request<void>(`/v1/messages/${encodeURIComponent(id)}`, { method: "DELETE", query: { tenant_id: tenant } });

/** GET /v1/memory/search with only the filters that are set. */
export const search = (api: ApiClient, tenant: string, params: SearchParams, signal?: AbortSignal) =>
  api.request<SearchResult>("/v1/memory/search", { query: searchQuery(tenant, params), signal });

export function searchQuery(tenant: string, params: SearchParams): Record<string, string | number | boolean | undefined> {
  const metadata = params.metadata && Object.keys(params.metadata).length ? JSON.stringify(params.metadata) : undefined;
  return {
    tenant_id: tenant,
    query: params.query,
    mode: params.mode,
    top_k: params.top_k,
    conversation_id: params.conversation_id || undefined,
    role: params.role || undefined,
    created_after: params.created_after || undefined,
    created_before: params.created_before || undefined,
    metadata,
    min_score: params.min_score ? params.min_score : undefined,
    include_archived: params.include_archived ? true : undefined,
  };
}

export const listApiKeys = (api: ApiClient, tenant: string) =>
  api.request<ApiKey[]>("/v1/auth/api-keys", { query: { tenant_id: tenant } });

export const createApiKey = (
  api: ApiClient,
  tenant: string,
  body: { name: string; scopes: Scope[]; expires_in_days?: number },
) => api.request<NewApiKey>("/v1/auth/api-keys", { method: "POST", body: withoutEmpty({ tenant_id: tenant, ...body }) });

export const revokeApiKey = (api: ApiClient, id: string) =>
  api.request<void>(`/v1/auth/api-keys/${encodeURIComponent(id)}`, { method: "DELETE" });

function withoutEmpty<T extends Record<string, unknown>>(body: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(body).filter(([, v]) => v !== undefined && v !== null && v !== ""),
  ) as Partial<T>;
}

// --- analytics ---------------------------------------------------------------------

export interface AnalyticsRange {
  from: string;
  to: string;
}

export const usage = (api: ApiClient, tenant: string, range?: AnalyticsRange) =>
  api.request<Usage>("/v1/analytics/usage", { query: { tenant_id: tenant, ...range } });

export const trends = (api: ApiClient, tenant: string, range: AnalyticsRange, granularity: Granularity, timezone: string) =>
  api.request<Trends>("/v1/analytics/trends", { query: { tenant_id: tenant, ...range, granularity, timezone } });

export const topConversations = (api: ApiClient, tenant: string, range: AnalyticsRange, limit = 10) =>
  api.request<{ items: TopConversation[] }>("/v1/analytics/top-conversations", {
    query: { tenant_id: tenant, ...range, limit },
  });

export const embeddingStats = (api: ApiClient, tenant: string, range: AnalyticsRange) =>
  api.request<EmbeddingStats>("/v1/analytics/embedding-stats", { query: { tenant_id: tenant, ...range } });

// --- retention -----------------------------------------------------------------------

export const listRules = (api: ApiClient, tenant: string) =>
  api.request<{ items: RetentionRule[] }>("/v1/admin/retention/rules", { query: { tenant_id: tenant } });

export const createRule = (api: ApiClient, tenant: string, rule: RuleInput) =>
  api.request<RetentionRule>("/v1/admin/retention/rules", { method: "POST", body: { tenant_id: tenant, ...rule } });

export const updateRule = (api: ApiClient, tenant: string, id: string, changes: Partial<RuleInput>) =>
  api.request<RetentionRule>(`/v1/admin/retention/rules/${encodeURIComponent(id)}`, {
    method: "PUT",
    body: { tenant_id: tenant, ...changes },
  });

export const deleteRule = (api: ApiClient, tenant: string, id: string) =>
  api.request<void>(`/v1/admin/retention/rules/${encodeURIComponent(id)}`, { method: "DELETE", query: { tenant_id: tenant } });

export const runRetention = (api: ApiClient, tenant: string, dryRun: boolean) =>
  api.request<RetentionRun>("/v1/admin/retention/run", { method: "POST", body: { tenant_id: tenant, dry_run: dryRun } });

export const listRuns = (api: ApiClient, tenant: string, cursor?: string | null, limit = 10) =>
  api.request<Page<RetentionRun>>("/v1/admin/retention/runs", { query: { tenant_id: tenant, cursor, limit } });
