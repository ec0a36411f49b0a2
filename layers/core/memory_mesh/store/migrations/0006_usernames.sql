-- Optional usernames (the seed README registers with one): unique per installation,
-- case-insensitively, like emails. Sign-in accepts either.
alter table users add column username text;
create unique index users_username on users (lower(username));
