-- PROPOSAL (issue 17), not applied by migrate(): the exact search's narrow layout.
-- bench/narrow_scan.py applies it to a benchmark database and measures it against the
-- current exact scan. To adopt: copy as the next numbered migration and point the exact
-- plan's `vec` candidate CTE (store/search.py) at message_vectors (see README.md here).
--
-- Why: the exact plan reads every row of its scope from `messages`, whose rows carry the
-- content, its tsvector, metadata and a float32 vector (1,544 bytes): real rows pass the
-- 2 kB TOAST threshold, so each candidate costs the heap page plus TOAST index and chunk
-- pages. The candidate stage needs only the scope, the model, `archived` and the vector.

create table message_vectors (
    id               uuid primary key references messages (id) on delete cascade,
    tenant_id        text not null,
    conversation_id  uuid not null,
    embedding_model  text not null,
    archived         boolean not null,
    embedding        halfvec({dimensions}) not null  -- half of float32; cosine error ~1e-5
);
-- covering: a scope's candidates (id, distance) are read from the index alone (index-only
-- scan), stored by scope whatever the order rows arrived in; the heap is visited only for
-- pages changed since the last vacuum. Its leading column serves a tenant-wide scope too.
create index message_vectors_scope on message_vectors
    (tenant_id, conversation_id) include (id, embedding_model, archived, embedding);

-- the same row-level security as messages (migration 0002); the trigger below runs as
-- whoever changed the message, so both roles may write here, each within its policy
grant select, insert, update, delete on message_vectors
    to memory_mesh_app, memory_mesh_system;
alter table message_vectors enable row level security;
alter table message_vectors force row level security;
create policy tenant_isolation on message_vectors to memory_mesh_app
    using (tenant_id = current_setting('memory_mesh.tenant_id', true))
    with check (tenant_id = current_setting('memory_mesh.tenant_id', true));
create policy system_access on message_vectors to memory_mesh_system
    using (true) with check (true);

-- kept in step with messages by trigger: a row is here exactly while its vector is ready
create function message_vectors_sync() returns trigger language plpgsql as $$
begin
    if new.embedding is not null and new.embedding_status = 'ready' then
        insert into message_vectors
            (id, tenant_id, conversation_id, embedding_model, archived, embedding)
        values (new.id, new.tenant_id, new.conversation_id, new.embedding_model,
                new.archived, new.embedding::halfvec({dimensions}))
        on conflict (id) do update set
            tenant_id = excluded.tenant_id,
            conversation_id = excluded.conversation_id,
            embedding_model = excluded.embedding_model,
            archived = excluded.archived,
            embedding = excluded.embedding;
    else
        delete from message_vectors where id = new.id;
    end if;
    return null;
end $$;

create trigger messages_vectors_sync
    after insert or update of embedding, embedding_status, embedding_model, archived,
        conversation_id, tenant_id
    on messages for each row execute function message_vectors_sync();

insert into message_vectors (id, tenant_id, conversation_id, embedding_model, archived, embedding)
select id, tenant_id, conversation_id, embedding_model, archived,
       embedding::halfvec({dimensions})
from messages
where embedding is not null and embedding_status = 'ready';
