-- migrate: no-transaction
-- The postings (migration 0015) keyed by (tenant, word, conversation, message): a search
-- of one conversation reads its own postings of the query's words, one range per word,
-- where the key (tenant, word, message) gave it every posting of the word in the tenant
-- to filter. A conversation among many in its tenant therefore no longer reads its rows
-- instead (a 1,500-turn conversation among ten: the postings read 531 of ~5,300 entries;
-- bench/results/search_ab_postings_key.md). A search of a whole tenant reads the same
-- range as before. The triggers already find a message's postings by the whole key
-- (migration 0019).
--
-- Expand only (docs/DEPLOY.md): the new key is built `concurrently` beside the old one,
-- so writers go on while it builds (one statement at a time: the first line); then the
-- primary key moves onto it, a brief lock of the table. Each step is safe to run again
-- after a failure (a half-built index is dropped first).
drop index concurrently if exists message_terms_key_next;
create unique index concurrently message_terms_key_next on message_terms
    (tenant_id, lexeme, conversation_id, message_id)
    include (role, created_at, archived, tf_content, tf_context, content_terms, context_terms);
alter table message_terms drop constraint message_terms_pkey,
    add constraint message_terms_pkey primary key using index message_terms_key_next;
