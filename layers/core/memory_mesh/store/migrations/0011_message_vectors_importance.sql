-- The exact plan ranks its candidates inside the narrow table (issue 17): importance, the
-- one ranking input message_vectors lacked (recency needs created_at, which it holds),
-- joins it, so a search reads back from messages only the few best candidates instead of
-- every one. Migration 0012 puts the column into the covering index.
--
-- Writers of messages wait while this runs (the trigger writes message_vectors, which
-- the new column locks): the backfill is one UPDATE of every narrow row, seconds per
-- million rows (docs/DEPLOY.md).

alter table message_vectors add column if not exists importance real;

-- migration 0009's function, now copying importance too
create or replace function message_vectors_sync() returns trigger language plpgsql as $$
begin
    if new.embedding is not null and new.embedding_status = 'ready' then
        insert into message_vectors
            (id, tenant_id, conversation_id, role, created_at, embedding_model, archived,
             importance, embedding)
        values (new.id, new.tenant_id, new.conversation_id, new.role, new.created_at,
                new.embedding_model, new.archived, new.importance,
                new.embedding::halfvec({dimensions}))
        on conflict (id) do update set
            tenant_id = excluded.tenant_id,
            conversation_id = excluded.conversation_id,
            role = excluded.role,
            created_at = excluded.created_at,
            embedding_model = excluded.embedding_model,
            archived = excluded.archived,
            importance = excluded.importance,
            embedding = excluded.embedding;
    elsif tg_op = 'UPDATE' then
        delete from message_vectors where id = new.id;
    end if;
    return null;
end $$;

drop trigger if exists messages_vectors_update on messages;
create trigger messages_vectors_update
    after update of embedding, embedding_status, embedding_model, archived,
        conversation_id, tenant_id, role, created_at, importance
    on messages for each row execute function message_vectors_sync();

update message_vectors v set importance = m.importance
from messages m
where m.id = v.id and v.importance is distinct from m.importance;

alter table message_vectors alter column importance set not null;
