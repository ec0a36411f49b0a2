-- The client's own conversation id (`external_id`, e.g. "user-123"), unique per tenant:
-- two tenants may both have "user-123". The first message naming an unknown external id
-- creates the conversation with `insert ... on conflict (tenant_id, external_id) do
-- nothing`, so concurrent first messages create ONE conversation. Null for conversations
-- known by their UUID only (nulls are distinct, so any number of those).
alter table conversations add column external_id text
    check (external_id ~ '^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$');
create unique index conversations_tenant_external_id on conversations (tenant_id, external_id);
