-- The triggers that keep the postings (migration 0015, 0019) and the narrow vector table
-- (migration 0009, 0011) in step with `messages` read the rows they change by key,
-- whatever those tables held when a connection first ran them.
--
-- PL/pgSQL keeps a statement's generic plan for the life of its connection and plans it
-- again only when the table is analysed. A connection that first wrote tables of a few
-- rows got sequential scans for the triggers' key lookups (cheaper then) and kept them as
-- the tables grew, until the next autoanalyze: with 150k postings each archived message
-- then cost 12 ms instead of 0.16 ms, and a retention batch of 1,000 rows ran out of its
-- statement timeout (tests/integration/test_sync_trigger_plans.py). Sequential scans are
-- off while the triggers run, as for the keyword function (migration 0014): a setting of
-- the functions, which a later `create or replace function` must carry on. Not covered:
-- a message's delete reaches `message_vectors` through its foreign key's cascade, a
-- query PostgreSQL itself prepares and caches the same way, so such a connection's
-- deletes still scan that table until its next analyze (autovacuum: within a minute of
-- the growth that triggers one).
alter function message_terms_sync() set enable_seqscan = off;
alter function message_vectors_sync() set enable_seqscan = off;
