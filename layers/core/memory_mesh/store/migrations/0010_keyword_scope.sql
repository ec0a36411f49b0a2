-- migrate: no-transaction
-- Keyword search's scope statistics from an index (issue 15): BM25 needs the number of
-- messages in the search's scope and their average length (store/search.py, scope_stats).
-- Without this index the scope's rows were read from the wide `messages` heap (content,
-- tsvectors, metadata and a vector: ~3 rows a page) for two integers each. A covering
-- B-tree holds the scope columns every search filter names and the two lengths, so the
-- statistics are an index-only scan, and the keyword matches find their scope by it.
--
-- Expand only (docs/DEPLOY.md): an index built `concurrently`, so writers of messages go
-- on while it builds. That cannot run in a transaction: the runner runs this file one
-- statement at a time (the first line), and a build that failed half-way leaves an
-- invalid index, dropped here before the next attempt builds it again.
drop index concurrently if exists messages_keyword_scope;
create index concurrently messages_keyword_scope on messages (tenant_id, conversation_id)
    include (role, created_at, archived, content_terms, context_terms);
-- the index-only scan skips the heap only on pages vacuum has marked all-visible, and a
-- message is updated once or twice after it arrives (its vector, its context): vacuum
-- after 2% of the rows changed or arrived, not the default 20% (as message_vectors)
alter table messages set (
    autovacuum_vacuum_insert_scale_factor = 0.02,
    autovacuum_vacuum_scale_factor = 0.02
);
