"""A DuckDB database over a local lake: one view per curated table, then the Athena views transpiled."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import sqlglot

from curation.schema import TABLES, Table
from spotify_lake.adapters.duck import create_table_sql, duckdb_type
from spotify_lake.adapters.lakefiles import published_files
from spotify_lake.report.sqlfiles import ViewFile, to_duckdb, view_files


@dataclass(frozen=True)
class ViewStatus:
    name: str
    ok: bool
    error: str | None = None


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def csv_source(table: Table, files: list[Path]) -> str:
    """``read_csv`` of a listener-kept table as Athena's CSV SerDe reads it: a header line, every column a string,
    comma-separated, double-quoted (a doubled quote inside quotes is a quote). Athena reads an empty field as an
    empty string and DuckDB as NULL: the views trim and ``nullif(…, '')`` every column, so both agree."""
    paths = "[" + ", ".join(_quote(str(f.resolve())) for f in files) + "]"
    columns = ", ".join(f"{_quote(c.name)}: {_quote(duckdb_type(c))}" for c in table.columns)
    return (
        f"read_csv({paths}, header = true, auto_detect = false, delim = ',', quote = '\"', escape = '\"', "
        f"columns = {{{columns}}}, null_padding = true)"
    )


def register_table(con: duckdb.DuckDBPyConnection, lake: Path, table: Table) -> int:
    """Make ``table`` queryable under its own name; an empty typed table when the lake has no files for it.

    Columns are cast to the schema's types (and missing ones filled with typed nulls), so the views see the
    same shape Athena does whatever the writer's Parquet types were. Returns the number of Parquet files.
    """
    files = published_files(lake, table)
    if not files:
        con.execute(create_table_sql(table))
        return 0
    if table.edited_by_listener:
        con.execute(f"CREATE VIEW {table.name} AS SELECT * FROM {csv_source(table, files)}")  # noqa: S608 - quoted
        return len(files)
    # The published files only: a version folder has no "=" in its name, so Hive parsing sees only the
    # partition key (``…/<version>/play_month=2024-05/part-0.parquet``).
    paths = "[" + ", ".join(_quote(str(f.resolve())) for f in files) + "]"
    hive_types = ", ".join(f"{_quote(c.name)}: {_quote(duckdb_type(c))}" for c in table.partition_keys)
    source = f"read_parquet({paths}, hive_partitioning = true, union_by_name = true"
    source += f", hive_types = {{{hive_types}}})" if hive_types else ")"
    # Identifiers come from the schema module and the path is quoted: no user text reaches the SQL unescaped.
    present = {row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()}  # noqa: S608
    columns = ",\n  ".join(
        f"CAST({c.name} AS {duckdb_type(c)}) AS {c.name}"
        if c.name in present
        else f"CAST(NULL AS {duckdb_type(c)}) AS {c.name}"
        for c in table.all_columns
    )
    con.execute(f"CREATE VIEW {table.name} AS SELECT\n  {columns}\nFROM {source}")
    return len(files)


def connect(lake: Path) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with every curated table of ``lake`` registered."""
    con = duckdb.connect(":memory:")
    # Timestamps are stored in UTC; the session zone only matters if a TIMESTAMPTZ ever reached the output.
    con.execute("SET TimeZone = 'UTC'")
    for table in TABLES:
        register_table(con, lake, table)
    return con


def create_views(
    con: duckdb.DuckDBPyConnection, time_zone: str = "UTC", views: list[ViewFile] | None = None
) -> list[ViewStatus]:
    """Run every view file in order; a failing view is recorded (views using it then fail too)."""
    statuses = []
    for view in views if views is not None else view_files():
        try:
            con.execute(to_duckdb(view.sql, time_zone))
        except (duckdb.Error, sqlglot.errors.SqlglotError, ValueError) as exc:
            statuses.append(ViewStatus(view.name, False, str(exc).splitlines()[0]))
        else:
            statuses.append(ViewStatus(view.name, True))
    return statuses
