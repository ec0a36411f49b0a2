-- The postings' triggers (migration 0015) find a message's postings by its conversation
-- too, ahead of migration 0020, which puts the conversation into the postings' key
-- (tenant, word, conversation, message): a message's postings are then one entry per word
-- found by the whole key, where (tenant, word, message) alone would range over every
-- posting of the word in the tenant. Behaviour is unchanged (the conversation is the
-- message's own); made first so no write waits on a key it cannot use.
create or replace function message_terms_sync() returns trigger language plpgsql as $$
begin
    if tg_op = 'UPDATE' and old.tenant_id = new.tenant_id
            and old.content_tsv = new.content_tsv and old.context_tsv = new.context_tsv then
        update message_terms t
        set conversation_id = new.conversation_id, role = new.role,
            created_at = new.created_at, archived = new.archived
        where t.tenant_id = new.tenant_id and t.conversation_id = old.conversation_id
          and t.message_id = new.id
          and t.lexeme = any(tsvector_to_array(new.content_tsv || new.context_tsv));
        return null;
    end if;
    if tg_op in ('UPDATE', 'DELETE') then
        delete from message_terms t
        where t.tenant_id = old.tenant_id and t.conversation_id = old.conversation_id
          and t.message_id = old.id
          and t.lexeme = any(tsvector_to_array(old.content_tsv || old.context_tsv));
    end if;
    if tg_op in ('INSERT', 'UPDATE') then
        insert into message_terms select * from memory_mesh_message_terms(new);
    end if;
    return null;
end $$;
