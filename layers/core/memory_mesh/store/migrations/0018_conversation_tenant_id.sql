-- migrate: no-transaction
-- A conversation found by its id under row-level security: the policy adds
-- `tenant_id = current_setting(...)` to `c.id = ...`. With a tenant grown since the
-- conversations table was last analysed, the planner guessed that tenant a row or two and
-- took its index (tenant_id, external_id), filtering it by id: every conversation of the
-- tenant read for each lookup, e.g. a search's external id of each hit (10 hits x 4,999
-- rows on the 1M database: the statement 12.7 ms, against 6.5 ms through this index;
-- tests/integration/test_conversation_lookup_plan.py). By (tenant_id, id), both
-- conditions are the index's, so a lookup is one entry whatever the statistics say, and
-- the external id is read from the index.
--
-- Expand only (docs/DEPLOY.md): built `concurrently`, so writers of conversations go on
-- while it builds (one statement at a time: the first line); a build that failed half-way
-- leaves an invalid index, dropped here before the next attempt builds it again.
drop index concurrently if exists conversations_tenant_id;
create index concurrently conversations_tenant_id on conversations (tenant_id, id)
    include (external_id);
