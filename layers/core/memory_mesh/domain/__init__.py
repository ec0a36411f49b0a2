"""Pure logic, no I/O: models, limits, importance scoring, ranking weights."""
