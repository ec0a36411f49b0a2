-- The exact search's narrow layout (issue 17): each ready vector as a halfvec beside
-- only the columns the search's scope filters name, stored by scope in a covering B-tree.
--
-- Why: the exact plan read every row of its scope from `messages`, whose rows carry the
-- content, its tsvectors, metadata and a float32 vector: real rows pass the 2 kB TOAST
-- threshold, so each candidate cost its heap page plus TOAST pages. The candidate stage
-- needs only the scope, role, time, model, `archived` and the vector; the ~50 candidates
-- are then fetched from `messages` by primary key and re-ranked at full precision
-- (store/search.py). Measured: bench/results/narrow_scan.md.
--
-- Expand only (docs/DEPLOY.md): a new table kept in step with `messages` by triggers,
-- so code that does not know it (a canary's old version, a rollback) keeps it right by
-- writing `messages` as before. Nothing the old code reads changes.
--
-- Rows are here exactly while the message's vector is ready: the sync trigger copies
-- every insert or update of the columns below, and deletes follow the foreign key.

create table message_vectors (
    id               uuid primary key,
    tenant_id        text not null,
    conversation_id  uuid not null,
    role             text not null,
    created_at       timestamptz not null,
    embedding_model  text not null,
    archived         boolean not null,
    embedding        halfvec({dimensions}) not null  -- half of float32; re-ranked exactly
);

-- the index-only scan skips the heap only on pages vacuum has marked all-visible: vacuum
-- after 2% of the rows changed or arrived, not the default 20%
alter table message_vectors set (
    autovacuum_vacuum_insert_scale_factor = 0.02,
    autovacuum_vacuum_scale_factor = 0.02
);

-- the same row-level security as messages (migration 0002); the triggers run as whoever
-- changed the message, so both roles write here, each within its policy
grant select, insert, update, delete on message_vectors
    to memory_mesh_app, memory_mesh_system;
alter table message_vectors enable row level security;
alter table message_vectors force row level security;
create policy tenant_isolation on message_vectors to memory_mesh_app
    using (tenant_id = current_setting('memory_mesh.tenant_id', true))
    with check (tenant_id = current_setting('memory_mesh.tenant_id', true));
create policy system_access on message_vectors to memory_mesh_system
    using (true) with check (true);

-- 1. Backfill while the old code keeps writing: reading messages blocks no writer.
insert into message_vectors
    (id, tenant_id, conversation_id, role, created_at, embedding_model, archived, embedding)
select id, tenant_id, conversation_id, role, created_at, embedding_model, archived,
       embedding::halfvec({dimensions})
from messages
where embedding is not null and embedding_status = 'ready';

-- covering: a scope's candidates are read from the index alone (index-only scan), stored
-- by scope whatever the order rows arrived in; its leading column serves a tenant scope.
-- A B-tree entry holds at most ~2.7 kB: above 1,200 dimensions the vector stays in the
-- heap (the scan then visits the narrow table's pages, still not the messages').
do $$
begin
    if {dimensions} <= 1200 then
        create index message_vectors_scope on message_vectors (tenant_id, conversation_id)
            include (id, role, created_at, embedding_model, archived, embedding);
    else
        create index message_vectors_scope on message_vectors (tenant_id, conversation_id)
            include (id, role, created_at, embedding_model, archived);
    end if;
end $$;

-- 2. From here to the commit, writers of messages wait (the trigger and the foreign key
-- lock them out); what they changed during the backfill is caught up below.
create function message_vectors_sync() returns trigger language plpgsql as $$
begin
    if new.embedding is not null and new.embedding_status = 'ready' then
        insert into message_vectors
            (id, tenant_id, conversation_id, role, created_at, embedding_model, archived,
             embedding)
        values (new.id, new.tenant_id, new.conversation_id, new.role, new.created_at,
                new.embedding_model, new.archived, new.embedding::halfvec({dimensions}))
        on conflict (id) do update set
            tenant_id = excluded.tenant_id,
            conversation_id = excluded.conversation_id,
            role = excluded.role,
            created_at = excluded.created_at,
            embedding_model = excluded.embedding_model,
            archived = excluded.archived,
            embedding = excluded.embedding;
    elsif tg_op = 'UPDATE' then
        delete from message_vectors where id = new.id;
    end if;
    return null;
end $$;

-- a new message is usually pending: only a ready one (an import, a copy) is copied
create trigger messages_vectors_insert after insert on messages for each row
    when (new.embedding_status = 'ready') execute function message_vectors_sync();
create trigger messages_vectors_update
    after update of embedding, embedding_status, embedding_model, archived,
        conversation_id, tenant_id, role, created_at
    on messages for each row execute function message_vectors_sync();

-- deletes (a message, its conversation, its tenant, retention) cascade here. NOT VALID:
-- the rows were just copied from messages, and the catch-up below removes any whose
-- message went during the backfill; new rows are checked.
alter table message_vectors add constraint message_vectors_message
    foreign key (id) references messages (id) on delete cascade not valid;

-- catch-up: what writers changed between the backfill's snapshot and the trigger
delete from message_vectors v
where not exists (
    select 1 from messages m
    where m.id = v.id and m.embedding is not null and m.embedding_status = 'ready'
);
insert into message_vectors
    (id, tenant_id, conversation_id, role, created_at, embedding_model, archived, embedding)
select id, tenant_id, conversation_id, role, created_at, embedding_model, archived,
       embedding::halfvec({dimensions})
from messages
where embedding is not null and embedding_status = 'ready'
on conflict (id) do update set
    tenant_id = excluded.tenant_id,
    conversation_id = excluded.conversation_id,
    role = excluded.role,
    created_at = excluded.created_at,
    embedding_model = excluded.embedding_model,
    archived = excluded.archived,
    embedding = excluded.embedding
where (message_vectors.tenant_id, message_vectors.conversation_id, message_vectors.role,
       message_vectors.created_at, message_vectors.embedding_model,
       message_vectors.archived, message_vectors.embedding)
      is distinct from
      (excluded.tenant_id, excluded.conversation_id, excluded.role, excluded.created_at,
       excluded.embedding_model, excluded.archived, excluded.embedding);

analyze message_vectors;
