"""Athena's SQL proven on Trino: the curated tables as Glue declares them, the views as the state machine sends
them, every view and named query compared with the DuckDB results the report uses (see docs/ANALYTICS.md)."""
