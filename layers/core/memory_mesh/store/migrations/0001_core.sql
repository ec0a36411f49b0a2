-- Conversations and messages, with the vector, full-text and filter indexes search uses.
-- {dimensions} is the configured embedding dimension (an integer, checked by the runner).
create extension if not exists vector;

create table conversations (
    id          uuid primary key,
    tenant_id   text not null,
    title       text,
    metadata    jsonb not null default '{}'::jsonb,
    created_at  timestamptz not null default now(),
    updated_at  timestamptz not null default now()
);
-- cursor pagination: newest first, id breaks ties
create index conversations_tenant_created on conversations (tenant_id, created_at desc, id desc);

create table messages (
    id                    uuid primary key,
    tenant_id             text not null,
    conversation_id       uuid not null references conversations (id) on delete cascade,
    role                  text not null check (role in ('user', 'assistant', 'system', 'tool')),
    content               text not null,
    metadata              jsonb not null default '{}'::jsonb,
    importance            real not null check (importance >= 0 and importance <= 1),
    importance_explicit   boolean not null default false,
    created_at            timestamptz not null default now(),
    updated_at            timestamptz not null default now(),
    archived              boolean not null default false,
    -- bumped when content changes, so a late embedding of old content is discarded
    content_version       integer not null default 1,
    content_tsv           tsvector generated always as (to_tsvector('english', content)) stored,
    embedding             vector({dimensions}),
    embedding_provider    text,
    embedding_model       text,
    embedding_dimensions  integer,
    embedding_status      text not null default 'pending'
                          check (embedding_status in ('pending', 'ready', 'failed')),
    embedding_attempts    integer not null default 0,
    embedding_error       text,
    embedding_next_attempt_at timestamptz not null default now(),
    embedded_at           timestamptz
);

-- the exact-search plan reads a tenant's (or a conversation's) rows through these
create index messages_tenant_created on messages (tenant_id, created_at desc, id desc);
create index messages_conversation_created on messages (conversation_id, created_at, id);
-- large scopes: HNSW over a halfvec expression (half the size, same recall)
create index messages_embedding_hnsw on messages
    using hnsw ((embedding::halfvec({dimensions})) halfvec_cosine_ops)
    with (m = 16, ef_construction = 64);
create index messages_content_tsv on messages using gin (content_tsv);
create index messages_metadata on messages using gin (metadata jsonb_path_ops);
-- the worker's queue: due pending embeddings
create index messages_embedding_due on messages (embedding_next_attempt_at)
    where embedding_status = 'pending';

-- settings the data depends on; a process configured differently refuses to start
create table memory_mesh_settings (
    key    text primary key,
    value  text not null
);
insert into memory_mesh_settings (key, value) values ('embedding_dimensions', '{dimensions}');
