-- migrate: no-transaction
-- A message's neighbours in its conversation, in the order that defines its context
-- (created_at, then arrival: seq). The stored context is the end of the previous
-- message, and a message inserted before stored ones, edited or deleted hands the next
-- message its context again (store/messages.py). messages_conversation_created orders
-- ties of created_at by id, so among the messages of one batch stored without a time
-- (all at the transaction's now()) each lookup read every tie: deleting a batch of 500
-- such messages cost ~0.6 ms a message more than the delete itself
-- (bench/results/postings_cost.md). By (conversation_id, created_at, seq) each lookup is
-- one probe.
--
-- Expand only (docs/DEPLOY.md): built `concurrently`, so writers of messages go on while
-- it builds (one statement at a time: the first line); a build that failed half-way
-- leaves an invalid index, dropped here before the next attempt builds it again.
drop index concurrently if exists messages_conversation_arrival;
create index concurrently messages_conversation_arrival on messages
    (conversation_id, created_at, seq);
