-- Users, tenants and their members, API keys, refresh tokens; and row-level security so
-- the database itself keeps tenants apart.

create table tenants (
    id          text primary key,
    name        text not null,
    created_at  timestamptz not null default now()
);
-- data stored before identity existed keeps its tenants
insert into tenants (id, name)
select distinct tenant_id, tenant_id from conversations
on conflict (id) do nothing;
alter table conversations
    add constraint conversations_tenant_fk foreign key (tenant_id) references tenants (id)
    on delete cascade;

create table users (
    id             uuid primary key,
    email          text not null,
    password_hash  text not null,
    is_superuser   boolean not null default false,
    created_at     timestamptz not null default now(),
    disabled_at    timestamptz
);
create unique index users_email on users (lower(email));

create table tenant_members (
    tenant_id   text not null references tenants (id) on delete cascade,
    user_id     uuid not null references users (id) on delete cascade,
    role        text not null check (role in ('admin', 'member')),
    created_at  timestamptz not null default now(),
    primary key (tenant_id, user_id)
);
create index tenant_members_user on tenant_members (user_id);

create table api_keys (
    id            uuid primary key,
    tenant_id     text not null references tenants (id) on delete cascade,
    name          text not null,
    prefix        text not null,           -- shown in listings, never enough to authenticate
    key_hash      text not null unique,    -- sha256 of the whole key; the key itself is never stored
    scopes        text[] not null,
    created_by    uuid references users (id) on delete set null,
    created_at    timestamptz not null default now(),
    expires_at    timestamptz,
    last_used_at  timestamptz,
    revoked_at    timestamptz
);
create index api_keys_tenant on api_keys (tenant_id, created_at desc);

create table refresh_tokens (
    id          uuid primary key,
    user_id     uuid not null references users (id) on delete cascade,
    family_id   uuid not null,             -- one login; reuse of a spent token revokes it all
    token_hash  text not null unique,
    created_at  timestamptz not null default now(),
    expires_at  timestamptz not null,
    used_at     timestamptz,
    revoked_at  timestamptz
);
create index refresh_tokens_family on refresh_tokens (family_id);

-- Row-level security. The service works as memory_mesh_app, for which every tenant table
-- shows only the rows of the transaction's tenant (memory_mesh.tenant_id, set by
-- Database.tenant). A query that forgets its tenant filter still sees one tenant only.
-- Cross-tenant system work (embedding worker, auth lookups) runs as memory_mesh_system,
-- which has a policy of its own (no BYPASSRLS needed, so this works on Aurora too).
do $$
begin
    if not exists (select 1 from pg_roles where rolname = 'memory_mesh_app') then
        create role memory_mesh_app nologin;
    end if;
    if not exists (select 1 from pg_roles where rolname = 'memory_mesh_system') then
        create role memory_mesh_system nologin;
    end if;
end $$;
grant memory_mesh_app, memory_mesh_system to current_user;
grant usage on schema public to memory_mesh_app, memory_mesh_system;
grant select, insert, update, delete on conversations, messages to memory_mesh_app;
grant select on tenants to memory_mesh_app;
grant select, insert, update, delete on all tables in schema public to memory_mesh_system;

alter table conversations enable row level security;
alter table conversations force row level security;
alter table messages enable row level security;
alter table messages force row level security;

create policy tenant_isolation on conversations to memory_mesh_app
    using (tenant_id = current_setting('memory_mesh.tenant_id', true))
    with check (tenant_id = current_setting('memory_mesh.tenant_id', true));
create policy tenant_isolation on messages to memory_mesh_app
    using (tenant_id = current_setting('memory_mesh.tenant_id', true))
    with check (tenant_id = current_setting('memory_mesh.tenant_id', true));
create policy system_access on conversations to memory_mesh_system using (true) with check (true);
create policy system_access on messages to memory_mesh_system using (true) with check (true);
