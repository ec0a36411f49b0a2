"""PostgreSQL + pgvector: pool, embedded server, migrations and one repository per table."""
