"""The differential check: every view and named query on Trino (Athena's engine) against DuckDB (the report's).

For one lake and one display time zone, a Trino schema gets the curated tables exactly as the synthesized Glue
tables declare them (partitions registered at the locations the lake publishes), then every view statement
with the text the deployed state machine sends to Athena, in the same order. The DuckDB side is the report's
own connection (``spotify_lake.report.lake``). Each view's complete result and each named query's result are
compared (``compare.first_difference``).
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spotify_lake.athena_check.compare import Result, first_difference, ordered
from spotify_lake.athena_check.distribution import Distribution
from spotify_lake.athena_check.server import TrinoServer, local_uri
from spotify_lake.athena_check.tables import (
    GlueTable,
    cdk_context,
    current_location,
    current_partitions,
    glue_tables,
    synthesize_template,
    trino_type,
)
from spotify_lake.errors import UserError
from spotify_lake.report.sqlfiles import SQL_DIR, check_time_zone, to_duckdb, view_files
from stacks.config import load_environments

logger = logging.getLogger(__name__)

_SCHEMA = re.compile(r"^[a-z_][a-z0-9_]*$")


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _array(values: list[str]) -> str:
    return "ARRAY[" + ", ".join(_literal(v) for v in values) + "]"


def create_table_sql(schema: str, table: GlueTable, location: Path) -> str:
    """Trino DDL for one Glue table: its columns and types, format, partition keys, external location."""
    columns = ",\n  ".join(f"{name} {trino_type(type_)}" for name, type_ in table.columns + table.partition_keys)
    properties = [f"format = {_literal(table.format)}", f"external_location = {_literal(local_uri(location))}"]
    if table.partition_keys:
        properties.append(f"partitioned_by = {_array([k for k, _ in table.partition_keys])}")
    if table.skip_header_lines:
        properties.append(f"skip_header_line_count = {table.skip_header_lines}")
    return f"CREATE TABLE {schema}.{table.name} (\n  {columns}\n)\nWITH ({', '.join(properties)})"


#: How long a statement is retried while Trino has no node to run it on. The single local server is its own
#: worker; on a loaded machine its heartbeat can lapse for a moment and a query then fails with
#: NO_NODES_AVAILABLE before it runs: the engine's state, not a finding about the view.
NO_NODES_PATIENCE_S = 120.0


def _run(cursor: Any, sql: str) -> list[tuple]:
    """Execute ``sql`` and fetch every row, retried while Trino reports no node to run it on."""
    from trino.exceptions import TrinoQueryError

    deadline = time.monotonic() + NO_NODES_PATIENCE_S
    while True:
        try:
            cursor.execute(sql)
            return [tuple(r) for r in cursor.fetchall()]
        except TrinoQueryError as exc:
            if exc.error_name != "NO_NODES_AVAILABLE" or time.monotonic() > deadline:
                raise
            logger.warning("Trino has no active node for a moment; retrying in 2 s")
            time.sleep(2.0)


def _fetch(cursor: Any, sql: str) -> Result:
    rows = _run(cursor, sql)
    return Result(tuple(d[0] for d in cursor.description or ()), rows)


def _fetch_duckdb(con: Any, sql: str) -> Result:
    cursor = con.execute(sql)
    return Result(tuple(d[0] for d in cursor.description), [tuple(r) for r in cursor.fetchall()])


@dataclass
class LakeTables:
    """What was registered in Trino for one lake (for the results and for tests)."""

    tables: dict[str, int] = field(default_factory=dict)  # table -> partitions registered (0: unpartitioned)


def register_tables(server: TrinoServer, schema: str, lake: Path, tables: list[GlueTable]) -> LakeTables:
    """Create ``schema`` with every table of the template over ``lake``; partitions at their current folders.

    A table or partition the lake has no data for yet points at an empty folder in the server's work folder
    (Trino wants an existing directory), as an Athena table over an empty prefix reads no rows.
    """
    if not _SCHEMA.match(schema):
        raise ValueError(f"schema name {schema!r} is not a plain identifier")
    empty_root = server.workdir / "empty" / schema
    registered = LakeTables()
    with server.connect() as conn:
        cursor = conn.cursor()
        schema_folder = server.workdir / "schemas" / schema
        schema_folder.mkdir(parents=True, exist_ok=True)
        _run(cursor, f"CREATE SCHEMA {schema} WITH (location = {_literal(local_uri(schema_folder))})")
        for table in tables:
            empty = empty_root / table.name
            empty.mkdir(parents=True, exist_ok=True)
            if table.partition_key is None:
                location = current_location(lake, table) or empty
                partitions: dict[str, Path] = {}
            else:
                table_folder = lake / table.location
                location = table_folder if table_folder.is_dir() else empty
                partitions = current_partitions(lake, table)
            _run(cursor, create_table_sql(schema, table, location))
            for value, folder in partitions.items():
                _run(
                    cursor,
                    f"CALL system.register_partition({_literal(schema)}, {_literal(table.name)}, "
                    f"{_array([table.partition_key or ''])}, {_array([value])}, {_literal(local_uri(folder))})",
                )
            registered.tables[table.name] = len(partitions)
    return registered


def _view_body(sql: str) -> str:
    """The query of a ``CREATE OR REPLACE VIEW name AS <query>`` statement (to run it with its ORDER BY)."""
    match = re.search(r"\bCREATE\s+OR\s+REPLACE\s+VIEW\s+[A-Za-z_][A-Za-z0-9_]*\s+AS\b", sql, re.IGNORECASE)
    if match is None:
        raise ValueError("not a CREATE OR REPLACE VIEW statement")
    return sql[match.end() :]


def run_check(
    server: TrinoServer,
    lake: Path,
    tables: list[GlueTable],
    *,
    time_zone: str,
    schema: str,
    sql_dir: Path | None = None,
) -> dict[str, Any]:
    """Compare every view and named query of ``sql_dir`` (default: the repository's ``sql/``) on ``lake``.

    Returns the ``results.json`` document: ``trino_version``, ``views``, ``queries`` and ``mismatches``
    (views or queries that fail on either engine or differ between them).
    """
    from spotify_lake.report.lake import connect, create_views
    from stacks.sql_files import load_named_queries, load_views

    sql_dir = sql_dir or SQL_DIR
    began = time.monotonic()
    register_tables(server, schema, lake, tables)
    views = load_views(sql_dir / "views", time_zone)  # the text CDK puts into the state machine
    queries = load_named_queries(sql_dir / "queries")  # the text CDK puts into the named queries
    duck = connect(lake)
    # The report's own view creation: file discovery, placeholder and transpile of spotify_lake.report.
    duck_failed = {s.name: s.error for s in create_views(duck, time_zone, view_files(sql_dir / "views")) if not s.ok}
    results: dict[str, Any] = {"trino_version": server.version, "time_zone": time_zone, "lake": str(lake)}
    view_results: dict[str, Any] = {}
    query_results: dict[str, Any] = {}
    with server.connect(schema) as conn:
        cursor = conn.cursor()
        for view in views:
            view_results[view.name] = _compare_one(
                cursor,
                duck,
                create=view.sql,
                select=f"SELECT * FROM {view.name}",  # noqa: S608 - a name from a view file
                time_zone=time_zone,
                duckdb_error=duck_failed.get(view.name),
            )
        for query in queries:
            query_results[query.name] = _compare_one(
                cursor, duck, create=None, select=query.sql, time_zone=time_zone, duckdb_error=None
            )
    duck.close()
    results["views"] = view_results
    results["queries"] = query_results
    results["mismatches"] = sum(not r["equal"] for r in view_results.values()) + sum(
        not r["ok"] for r in query_results.values()
    )
    results["seconds"] = round(time.monotonic() - began, 2)
    return results


def _compare_one(
    cursor: Any, duck: Any, *, create: str | None, select: str, time_zone: str, duckdb_error: str | None
) -> dict[str, Any]:
    """Create (a view, on Trino) and read one result on both engines; a failure on either side is a difference.

    The DuckDB views already exist (created by the report's code); ``duckdb_error`` is why one failed.
    """
    entry: dict[str, Any] = {"rows_trino": None, "rows_duckdb": None, "equal": False, "first_difference": None}
    trino_result = duck_result = None
    try:
        if create is not None:
            _run(cursor, create)
        trino_result = _fetch(cursor, select)
        entry["rows_trino"] = len(trino_result.rows)
    except Exception as exc:  # any Trino error is this view's finding, reported
        entry["first_difference"] = {"trino_error": str(exc).splitlines()[0][:500]}
    try:
        if duckdb_error is not None:
            raise RuntimeError(duckdb_error)
        duck_result = _fetch_duckdb(duck, to_duckdb(select, time_zone))
        entry["rows_duckdb"] = len(duck_result.rows)
    except Exception as exc:  # as above, for DuckDB
        entry["first_difference"] = entry["first_difference"] or {}
        entry["first_difference"]["duckdb_error"] = str(exc).splitlines()[0][:500]
    if trino_result is not None and duck_result is not None:
        difference = first_difference(trino_result, duck_result, in_order=ordered(select))
        entry["equal"] = difference is None
        entry["first_difference"] = difference
    if create is None:
        entry = {"rows": entry["rows_trino"], "ok": entry["equal"], **entry}
    return entry


def check_lake(
    dist: Distribution, lake: Path, out: Path, *, environment: str | None, time_zone: str | None
) -> tuple[dict[str, Any], Path]:
    """The whole check for one lake: Trino started while the environment's CDK app synthesizes (for its Glue
    tables), then :func:`run_check`; writes ``<out>/results.json`` (and Trino's server log) and returns the
    results and that path. ``time_zone`` defaults to the environment's display time zone."""
    if not (lake / "curated").is_dir():
        raise UserError(f"{lake} has no curated/ folder: run `make demo` (or point --lake at a lake)")
    config = load_environments(cdk_context(environment))[0]
    zone = check_time_zone(time_zone or config.time_zone)
    out.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="athena-check-trino-"))
    server = TrinoServer(dist, workdir)
    try:
        server.launch()  # Trino starts while the CDK app synthesizes
        began = time.monotonic()
        tables = glue_tables(synthesize_template(config.name))
        synth_seconds = time.monotonic() - began
        server.wait_until_ready()
        results = run_check(server, lake.resolve(), tables, time_zone=zone, schema="lake")
    finally:
        server.stop()
        if (workdir / "server.log").is_file():
            shutil.copy(workdir / "server.log", out / "trino-server.log")
        shutil.rmtree(workdir, ignore_errors=True)
    results["environment"] = config.name
    results["timings"] = {
        "synth_seconds": round(synth_seconds, 1),
        "trino_start_seconds": round(server.start_seconds, 1),
        "check_seconds": results.pop("seconds"),
    }
    results["download_bytes"] = dist.download_bytes
    path = out / "results.json"
    path.write_text(json.dumps(results, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    return results, path
