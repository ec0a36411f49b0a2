-- Retention: per-tenant rules, a record of every run, and the two message times the
-- lifecycle needs (when a row was archived; when its current embedding was asked for).

-- archived_at: a delete rule takes only rows archived at least N days ago.
-- embedding_requested_at: analytics measures embedding latency from it (created_at may be
-- back-dated by imports, so it cannot serve). Both are kept by the trigger below, whoever
-- writes the row; rows stored before this migration fall back to updated_at / created_at.
alter table messages add column archived_at timestamptz;
alter table messages add column embedding_requested_at timestamptz;
alter table messages alter column embedding_requested_at set default now();
update messages set archived_at = updated_at where archived and archived_at is null;

create function messages_lifecycle_times() returns trigger language plpgsql as $$
begin
    if not new.archived then
        new.archived_at := null;
    elsif tg_op = 'INSERT' or not old.archived then
        -- a writer may carry an earlier archive time over (import); otherwise: now
        new.archived_at := coalesce(new.archived_at, now());
    end if;
    if tg_op = 'UPDATE' and new.content_version <> old.content_version then
        new.embedding_requested_at := now();
    end if;
    return new;
end $$;

create trigger messages_lifecycle_times_insert before insert on messages
    for each row when (new.archived) execute function messages_lifecycle_times();
create trigger messages_lifecycle_times_update before update of archived, content_version
    on messages for each row execute function messages_lifecycle_times();

create table retention_rules (
    id                 uuid primary key,
    tenant_id          text not null references tenants (id) on delete cascade,
    name               text not null,
    enabled            boolean not null default true,
    priority           integer not null default 100,   -- lower runs first
    action             text not null check (action in ('archive', 'delete', 'keep')),
    -- conditions: every one that is set must hold (null: no condition)
    older_than_days    double precision check (older_than_days > 0),
    importance_below   real check (importance_below > 0 and importance_below <= 1),
    roles              text[],
    conversation_id    uuid,
    metadata_contains  jsonb,
    -- delete only: rows archived at least this long ago, unless skip_archive
    archived_for_days  double precision check (archived_for_days >= 0),
    skip_archive       boolean not null default false,
    created_at         timestamptz not null default now(),
    updated_at         timestamptz not null default now()
);
create index retention_rules_tenant on retention_rules (tenant_id, priority, created_at, id);

create table retention_runs (
    id           uuid primary key,
    tenant_id    text not null references tenants (id) on delete cascade,
    triggered_by text not null check (triggered_by in ('manual', 'schedule')),
    dry_run      boolean not null,
    status       text not null
                 check (status in ('running', 'succeeded', 'failed', 'interrupted')),
    as_of        timestamptz not null,         -- ages and cutoffs are measured from here
    started_at   timestamptz not null default now(),
    updated_at   timestamptz not null default now(),
    finished_at  timestamptz,
    batches      integer not null default 0,   -- write statements that touched rows
    archived     integer not null default 0,
    deleted      integer not null default 0,
    results      jsonb not null default '[]'::jsonb,  -- per rule: counts, batches, sample ids
    error        text
);
create index retention_runs_tenant on retention_runs (tenant_id, started_at desc, id desc);
-- the scheduled sweep closes runs a crashed process left 'running'
create index retention_runs_running on retention_runs (updated_at) where status = 'running';

grant select, insert, update, delete on retention_rules, retention_runs to memory_mesh_app;
grant select, insert, update, delete on retention_rules, retention_runs to memory_mesh_system;

alter table retention_rules enable row level security;
alter table retention_rules force row level security;
alter table retention_runs enable row level security;
alter table retention_runs force row level security;

create policy tenant_isolation on retention_rules to memory_mesh_app
    using (tenant_id = current_setting('memory_mesh.tenant_id', true))
    with check (tenant_id = current_setting('memory_mesh.tenant_id', true));
create policy tenant_isolation on retention_runs to memory_mesh_app
    using (tenant_id = current_setting('memory_mesh.tenant_id', true))
    with check (tenant_id = current_setting('memory_mesh.tenant_id', true));
create policy system_access on retention_rules to memory_mesh_system using (true) with check (true);
create policy system_access on retention_runs to memory_mesh_system using (true) with check (true);
