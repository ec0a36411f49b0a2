-- An inverted index of the messages' words for BM25 over a large scope (issue 17).
--
-- Keyword search of a large scope (a tenant above MEMORY_SEARCH_EXACT_MAX_ROWS rows, or a
-- conversation that large) found its matches through the GIN indexes (migrations 0013,
-- 0014), then read every matching message's row for its tsvectors to count each query
-- word's occurrences: a question of common words matches thousands of messages, each a
-- random read of a wide row (content, tsvectors, a vector). Over a tenant of 150,000
-- messages that took 90 ms at the median and 200-300 ms for such questions
-- (bench/results/keyword_scale.md).
--
-- Here each (message, word) is one row holding what BM25 needs (the word's occurrences
-- in the content and in the context, the message's lengths) and what a search filters on,
-- stored by (tenant, word) in a covering B-tree: a scope's postings of the query's words
-- are one index-only range per word. Measured on that tenant (same top 10 for 40 of 40
-- questions): see bench/results/keyword_scale.md, case `postings, statistics given`.
--
-- The price: ~5.4 kB per message (22 postings per conversation turn with its context) and
-- 1.4x the database's work per message stored (bench/results/postings_cost.md).
--
-- Expand only (docs/DEPLOY.md): a new table kept in step with `messages` by triggers, so
-- code that does not know it (a canary's old version, a rollback) keeps it right by
-- writing `messages` as before. Writers of messages wait while this migration fills it
-- (the triggers are made first; ~15 s per 300,000 messages measured here).

create table message_terms (
    tenant_id        text not null,
    lexeme           text not null,   -- a word as content_tsv / context_tsv hold it
    message_id       uuid not null,
    conversation_id  uuid not null,
    role             text not null,
    created_at       timestamptz not null,
    archived         boolean not null,
    tf_content       integer not null, -- the word's positions in content_tsv
    tf_context       integer not null, -- ... and in context_tsv
    content_terms    integer not null, -- the message's lengths (migration 0008)
    context_terms    integer not null
);

alter table message_terms set (
    autovacuum_vacuum_insert_scale_factor = 0.02,
    autovacuum_vacuum_scale_factor = 0.02
);

-- the same row-level security as messages (migration 0002); the triggers run as whoever
-- changed the message, so both roles write here, each within its policy. The policy's
-- text equality is leakproof: the app role's searches use the B-tree below.
grant select, insert, update, delete on message_terms to memory_mesh_app, memory_mesh_system;
alter table message_terms enable row level security;
alter table message_terms force row level security;
create policy tenant_isolation on message_terms to memory_mesh_app
    using (tenant_id = current_setting('memory_mesh.tenant_id', true))
    with check (tenant_id = current_setting('memory_mesh.tenant_id', true));
create policy system_access on message_terms to memory_mesh_system
    using (true) with check (true);

-- a message's postings: every word of its content (weight A) and of its context (B), a
-- word in both counted in each (the tsvectors joined as store/search.py joins them); the
-- one definition the triggers and the fill below use
create function memory_mesh_message_terms(m messages) returns setof message_terms
language sql stable
as $$
    select m.tenant_id, t.lexeme, m.id, m.conversation_id, m.role, m.created_at,
           m.archived, cardinality(array_positions(t.weights, 'A')),
           cardinality(array_positions(t.weights, 'B')), m.content_terms, m.context_terms
    from unnest(setweight(m.content_tsv, 'A') || setweight(m.context_tsv, 'B')) t
$$;

create function message_terms_sync() returns trigger language plpgsql as $$
begin
    if tg_op = 'UPDATE' and old.tenant_id = new.tenant_id
            and old.content_tsv = new.content_tsv and old.context_tsv = new.context_tsv then
        -- the same words (archived, moved, re-dated): the scope columns only
        update message_terms t
        set conversation_id = new.conversation_id, role = new.role,
            created_at = new.created_at, archived = new.archived
        where t.tenant_id = new.tenant_id and t.message_id = new.id
          and t.lexeme = any(tsvector_to_array(new.content_tsv || new.context_tsv));
        return null;
    end if;
    if tg_op in ('UPDATE', 'DELETE') then
        delete from message_terms t
        where t.tenant_id = old.tenant_id and t.message_id = old.id
          and t.lexeme = any(tsvector_to_array(old.content_tsv || old.context_tsv));
    end if;
    if tg_op in ('INSERT', 'UPDATE') then
        insert into message_terms select * from memory_mesh_message_terms(new);
    end if;
    return null;
end $$;

-- 1. The triggers first: from here to the commit writers of messages wait, so nothing
-- they write escapes the fill below.
create trigger messages_terms_insert after insert on messages
    for each row execute function message_terms_sync();
create trigger messages_terms_update
    after update of content, context, archived, conversation_id, tenant_id, role, created_at
    on messages for each row
    when ((old.content_tsv, old.context_tsv, old.archived, old.conversation_id,
           old.tenant_id, old.role, old.created_at)
          is distinct from
          (new.content_tsv, new.context_tsv, new.archived, new.conversation_id,
           new.tenant_id, new.role, new.created_at))
    execute function message_terms_sync();
-- deletes one by one (a message, its conversation or tenant by cascade, retention): no
-- foreign key, whose cascade would need a second index on message_id
create trigger messages_terms_delete after delete on messages
    for each row execute function message_terms_sync();

-- 2. The fill, then the index built once over it (faster than entry by entry)
insert into message_terms select t.* from messages m, memory_mesh_message_terms(m) t;

-- covering: a scope's postings of a word are read from the index alone
alter table message_terms add constraint message_terms_pkey
    primary key (tenant_id, lexeme, message_id)
    include (conversation_id, role, created_at, archived, tf_content, tf_context,
             content_terms, context_terms);

analyze message_terms;
