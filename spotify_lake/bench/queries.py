"""Every view of ``sql/views`` on a curated lake in DuckDB: latency and Parquet bytes read vs available.

DuckDB's JSON profile gives the bytes its scans read (``io.total_bytes_read``) and, per Parquet scan, the
files it opened out of those that matched the table (``Scanning Files: k/n`` when a filter pruned some).
``bytes_total`` is the size of every Parquet file of the curated tables the view reads, found by parsing
the view and the views it selects from.

A separate probe checks partition pruning: the last 30 days of plays, once filtered on ``played_at`` only
and once also on the ``play_month`` partition key (what Athena needs to prune with partition projection).
"""

from __future__ import annotations

import json
import re
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from spotify_lake.adapters.lakefiles import published_files

_CURATED_PATH = re.compile(r"curated/([a-z_]+)/")


def _walk(node: dict[str, Any]):
    yield node
    for child in node.get("children", ()):
        yield from _walk(child)


def _scans(profile: dict[str, Any]) -> list[dict[str, Any]]:
    scans = []
    for root in profile.get("operator", profile.get("children", [])):
        for node in _walk(root):
            info = node.get("extra_info") or {}
            if node.get("type") == "TABLE_SCAN" and str(info.get("Function", "")).upper() == "READ_PARQUET":
                scans.append(node)
    return scans


def _tables_of(scans: list[dict[str, Any]]) -> set[str]:
    tables = set()
    for scan in scans:
        text = json.dumps(scan.get("extra_info", {}))
        tables.update(_CURATED_PATH.findall(text.replace("\\\\", "/")))
    return tables


def _files_scanned(scans: list[dict[str, Any]]) -> tuple[int, int]:
    """(files read, files matching) summed over the scans; both 0 when the profile does not say."""
    read = total = 0
    for scan in scans:
        info = scan.get("extra_info", {})
        match = re.match(r"(\d+)/(\d+)", str(info.get("Scanning Files", "")))
        if match:
            read += int(match[1])
            total += int(match[2])
        elif "Total Files Read" in info:
            read += int(info["Total Files Read"])
            total += int(info["Total Files Read"])
    return read, total


def table_bytes(lake: Path, table: str) -> int:
    return sum(p.stat().st_size for p in published_files(lake, table))


def profiled(con, sql: str, profile_path: Path) -> tuple[float, dict[str, Any], int]:
    """Run ``sql`` to completion with JSON profiling: (seconds, profile, result rows)."""
    con.execute("PRAGMA enable_profiling = 'json'")
    con.execute(f"PRAGMA profiling_output = '{profile_path}'")
    start = time.perf_counter()
    rows = len(con.execute(sql).fetchall())
    seconds = time.perf_counter() - start
    con.execute("PRAGMA disable_profiling")
    return seconds, json.loads(profile_path.read_text()), rows


def view_tables(views) -> dict[str, set[str]]:
    """Curated tables each view reads, directly or through the views it selects from (parsed, not guessed)."""
    import sqlglot.expressions as exp

    from curation.schema import TABLES_BY_NAME
    from spotify_lake.report.sqlfiles import parse_trino, substitute_time_zone

    direct: dict[str, set[str]] = {}
    for view in views:
        tree = parse_trino(substitute_time_zone(view.sql, "UTC"))
        ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
        direct[view.name] = {t.name for t in tree.find_all(exp.Table) if t.name not in ctes and t.name != view.name}

    def closure(name: str, seen: frozenset[str] = frozenset()) -> set[str]:
        if name in TABLES_BY_NAME:
            return {name}
        out: set[str] = set()
        for ref in direct.get(name, ()):
            if ref not in seen:
                out |= closure(ref, seen | {name})
        return out

    return {name: closure(name) for name in direct}


def measure(con, lake: Path, sql: str, repeats: int, work: Path, tables: set[str] | None = None) -> dict[str, Any]:
    times, profile, rows = [], {}, 0
    for i in range(max(1, repeats)):
        seconds, profile, rows = profiled(con, sql, work / f"profile-{i}.json")
        times.append(seconds)
    scans = _scans(profile)
    tables = sorted(tables if tables is not None else _tables_of(scans))
    files_read, files_matching = _files_scanned(scans)
    return {
        "seconds": statistics.median(times),
        "bytes_read": int(profile.get("io", {}).get("total_bytes_read", 0)),
        "bytes_total": sum(table_bytes(lake, t) for t in tables),
        "tables": tables,
        "files_read": files_read,
        "files_matching": files_matching,
        "rows_returned": rows,
    }


def run_queries(lake: Path, repeats: int = 3, time_zone: str = "UTC") -> dict[str, Any]:
    """Profile every view and the 30-day pruning probe on ``lake``."""
    from spotify_lake.report.lake import connect, create_views
    from spotify_lake.report.sqlfiles import view_files

    con = connect(lake)
    views = view_files()
    statuses = {s.name: s for s in create_views(con, time_zone, views)}
    touched = view_tables(views)
    out: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-profile-") as tmp:
        work = Path(tmp)
        for view in views:
            status = statuses[view.name]
            if not status.ok:
                out.append({"view": view.name, "error": status.error})
                continue
            # View names match NN_<identifier>.sql (checked by view_files): no free text reaches the SQL.
            sql = f"SELECT * FROM {view.name}"  # noqa: S608
            out.append({"view": view.name, **measure(con, lake, sql, repeats, work, touched[view.name])})
        pruning = month_pruning_probe(con, lake, repeats, work)
    con.close()
    return {"views": out, "pruning": pruning}


def month_pruning_probe(con, lake: Path, repeats: int, work: Path) -> dict[str, Any]:
    """The last 30 days of plays, without and with a ``play_month`` predicate."""
    row = con.execute("SELECT max(played_at) FROM plays").fetchone()
    if row is None or row[0] is None:
        return {"error": "no plays in the lake"}
    end = row[0]
    start_month = con.execute("SELECT strftime(?::TIMESTAMP - INTERVAL 30 DAY, '%Y-%m')", [end]).fetchone()[0]
    since = f"TIMESTAMP '{end}' - INTERVAL 30 DAY"
    # `end` and `start_month` come from the lake itself (a timestamp and a yyyy-MM string).
    base = "SELECT listener_id, count(*) AS plays, sum(ms_played) AS ms FROM plays WHERE played_at >= " + since  # noqa: S608
    months = con.execute("SELECT count(DISTINCT play_month) FROM plays").fetchone()[0]
    return {
        "since": f"{end} - 30 days",
        "partitions_total": months,
        "played_at_only": measure(con, lake, base + " GROUP BY listener_id", repeats, work),
        "with_play_month": measure(
            con, lake, base + f" AND play_month >= '{start_month}' GROUP BY listener_id", repeats, work
        ),
    }
