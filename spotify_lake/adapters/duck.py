"""DuckDB forms of the curated tables, derived from ``curation.schema`` (the single source of truth)."""

from __future__ import annotations

from curation.schema import Column, Table

_DUCKDB_TYPES: dict[str, str] = {
    "string": "VARCHAR",
    "bigint": "BIGINT",
    "int": "INTEGER",
    "double": "DOUBLE",
    "boolean": "BOOLEAN",
    "timestamp": "TIMESTAMP",
    "date": "DATE",
    "array<string>": "VARCHAR[]",
}


def duckdb_type(column: Column) -> str:
    return _DUCKDB_TYPES[column.type]


def create_table_sql(table: Table, schema: str | None = None) -> str:
    """``CREATE TABLE`` for an empty table of this shape (used when the lake has no files for it yet)."""
    name = f"{schema}.{table.name}" if schema else table.name
    cols = ",\n  ".join(f"{c.name} {duckdb_type(c)}{'' if c.nullable else ' NOT NULL'}" for c in table.all_columns)
    return f"CREATE TABLE {name} (\n  {cols}\n)"


def parquet_columns_sql(table: Table) -> str:
    """The ``columns`` struct for ``read_parquet``-free typed reads: ``{'a': 'VARCHAR', ...}``."""
    inner = ", ".join(f"'{c.name}': '{duckdb_type(c)}'" for c in table.all_columns)
    return "{" + inner + "}"
