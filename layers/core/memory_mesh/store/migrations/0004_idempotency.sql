-- Idempotency keys: the first answer to a request sent with an `Idempotency-Key` header,
-- kept per tenant until it expires, so a retry gets that answer instead of a second write.
-- A row with no status_code is a request still running (until locked_until: after that a
-- retry may take it over, since the process that held it is presumed dead).

create table idempotency_keys (
    tenant_id     text not null references tenants (id) on delete cascade,
    key           text not null,
    request_hash  text not null,            -- sha256 of method, path and the parsed body
    status_code   integer,                  -- null while the first request runs
    response      jsonb,
    created_at    timestamptz not null default now(),
    locked_until  timestamptz not null,
    expires_at    timestamptz not null,
    primary key (tenant_id, key)
);
create index idempotency_keys_expiry on idempotency_keys (tenant_id, expires_at);

grant select, insert, update, delete on idempotency_keys to memory_mesh_app;
grant select, insert, update, delete on idempotency_keys to memory_mesh_system;

alter table idempotency_keys enable row level security;
alter table idempotency_keys force row level security;

create policy tenant_isolation on idempotency_keys to memory_mesh_app
    using (tenant_id = current_setting('memory_mesh.tenant_id', true))
    with check (tenant_id = current_setting('memory_mesh.tenant_id', true));
create policy system_access on idempotency_keys to memory_mesh_system
    using (true) with check (true);
