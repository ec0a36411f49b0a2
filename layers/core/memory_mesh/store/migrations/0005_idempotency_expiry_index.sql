-- The retention sweep forgets expired idempotency keys of every tenant
-- (store/idempotency.py, delete_expired with no tenant): an index on the expiry alone
-- lets it find them without reading the whole table.
create index idempotency_keys_expires_at on idempotency_keys (expires_at);
