-- Keyword matches of a large scope found through the GIN indexes (issue 17).
--
-- Row-level security (migration 0002) lets PostgreSQL use an index for a condition only
-- when its operator is LEAKPROOF, or after the policy's own condition has been checked.
-- Full-text `@@` (ts_match_vq) is not leakproof, so for memory_mesh_app the GIN indexes on
-- content_tsv and context_tsv were never used: a keyword or hybrid search read every row
-- of its scope (610 ms over a 1M-row tenant, bench/results/scale_study.md). A planner
-- setting cannot change that, and LEAKPROOF wrappers need a real superuser (not Aurora's).
--
-- This function finds the matches as its owner, the migrating role: a superuser (the
-- embedded database), or a member of memory_mesh_system (migration 0002 grants that to
-- whoever migrates: the cloud's master user), whose policy `using (true)` puts no
-- condition ahead of `@@`, so the planner may take the GIN indexes. It filters on the
-- transaction's tenant itself, by the very setting the policies read
-- (`memory_mesh.tenant_id`, set by Database.tenant): no tenant set, no rows. The other
-- filters are the search's own (store/search.py, `_filters`; the tests compare both).
-- Dynamic SQL with bound values: each call is planned for its own values and filters, so
-- a rare word takes the GIN indexes and a common one in a small tenant its B-tree.
create function memory_mesh_keyword_matches(
    terms tsquery,
    in_conversation uuid,
    with_role text,
    created_after timestamptz,
    created_before timestamptz,
    metadata_contains jsonb,
    include_archived boolean
) returns table (
    id uuid,
    content_tsv tsvector,
    context_tsv tsvector,
    content_terms integer,
    context_terms integer
)
language plpgsql stable security definer
set search_path = pg_catalog, public
as $$
declare
    statement text := 'select m.id, m.content_tsv, m.context_tsv, m.content_terms,'
        ' m.context_terms from public.messages m where m.tenant_id = $1'
        ' and (m.content_tsv @@ $2 or m.context_tsv @@ $2)';
begin
    if in_conversation is not null then
        statement := statement || ' and m.conversation_id = $3';
    end if;
    if with_role is not null then
        statement := statement || ' and m.role = $4';
    end if;
    if created_after is not null then
        statement := statement || ' and m.created_at >= $5';
    end if;
    if created_before is not null then
        statement := statement || ' and m.created_at < $6';
    end if;
    if metadata_contains is not null then
        statement := statement || ' and m.metadata @> $7';
    end if;
    if not include_archived then
        statement := statement || ' and not m.archived';
    end if;
    return query execute statement
        using current_setting('memory_mesh.tenant_id', true), terms, in_conversation,
              with_role, created_after, created_before, metadata_contains;
end
$$;

revoke all on function memory_mesh_keyword_matches(
    tsquery, uuid, text, timestamptz, timestamptz, jsonb, boolean) from public;
grant execute on function memory_mesh_keyword_matches(
    tsquery, uuid, text, timestamptz, timestamptz, jsonb, boolean) to memory_mesh_app;
