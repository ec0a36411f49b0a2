-- migrate: no-transaction
-- The narrow table's covering B-tree (migration 0009) rebuilt with importance (0011), so
-- the exact plan ranks its candidates from the index alone (issue 17). Built
-- `concurrently` beside the old one, which is then dropped and the new one given its
-- name: writers and searches go on throughout. One statement at a time (the first line);
-- each step is safe to run again after a failure (a half-built index is dropped first).
-- The vector is in the index up to 1,200 dimensions (a B-tree entry holds ~2.7 kB).
drop index concurrently if exists message_vectors_scope_next;
create index concurrently message_vectors_scope_next on message_vectors
    (tenant_id, conversation_id)
    include (id, role, created_at, embedding_model, archived, importance{indexed_vector});
drop index concurrently if exists message_vectors_scope;
alter index message_vectors_scope_next rename to message_vectors_scope;
