-- The keyword function never reads the whole table (issue 17).
--
-- A question of common words (a name, "team", "get") matches a large share of a big
-- tenant. For such a question the planner costed a sequential scan of the whole
-- `messages` table (every tenant's rows, each with its vector) below the GIN indexes'
-- bitmap, and read it: over a 150k-row tenant in a 300k-row table, 336 ms where the
-- indexes took 134-228 ms (bench/results/keyword_scale.md), and a sequential scan grows
-- with the whole table, not with the tenant or its matches. Migration 0013's function
-- exists to reach a large scope's matches through the indexes, so sequential scans are
-- off while it runs: a setting of the function (the search statement that calls it is
-- planned as before); the planner still chooses by cost between the GIN indexes and the
-- scope's B-trees.
alter function memory_mesh_keyword_matches(
    tsquery, uuid, text, timestamptz, timestamptz, jsonb, boolean)
    set enable_seqscan = off;
