"""Looking at a local lake the way its readers do: raw objects, cursors and curated Parquet.

Nothing here uses Spark: curated files are read with pyarrow, file by file, exactly as Athena or DuckDB
would meet them, so a half-written file or a partition missing rows shows up as what a reader would see.
"""

from __future__ import annotations

import gzip
import json
from collections import Counter
from datetime import datetime
from pathlib import Path

from lake_contract.keys import RunSummaryKey, StateKey, api_glob
from spotify_lake.adapters.lakefiles import published_files, published_locations

#: Columns of ``plays`` that say where a row came from, not what the play was. They differ between two
#: lakes holding the same plays (run ids are random, a faulty run writes its plays under other objects),
#: so row-for-row comparisons leave them out. Every other column of the schema is compared.
PROVENANCE_COLUMNS = frozenset({"run_id", "raw_object", "updated_at"})


def stable_columns(table_name: str = "plays") -> list[str]:
    from curation.schema import table

    return [c.name for c in table(table_name).all_columns if c.name not in PROVENANCE_COLUMNS]


# --- raw zone ------------------------------------------------------------------------------------------


def raw_objects(lake: Path, endpoint: str = "recently_played") -> list[Path]:
    return sorted(lake.glob(api_glob(endpoint)))


def read_raw(path: Path) -> list[dict]:
    """Every envelope of one raw object; raises on a truncated or undecodable object."""
    return [json.loads(line) for line in gzip.decompress(path.read_bytes()).decode("utf-8").splitlines() if line]


def raw_problems(lake: Path) -> list[str]:
    """Raw objects a reader could not decode (after a crash: none may exist)."""
    problems = []
    for path in sorted(lake.glob(api_glob())):
        try:
            read_raw(path)
        except (OSError, EOFError, ValueError) as exc:
            problems.append(f"{path.relative_to(lake)}: {type(exc).__name__}")
    return problems


def raw_plays(lake: Path) -> list[tuple[str, str, str]]:
    """(listener_id, played_at, track id) of every recently-played line, duplicates included."""
    out = []
    for path in raw_objects(lake):
        for record in read_raw(path):
            item = record["item"]
            out.append((record["listener_id"], item["played_at"], (item.get("track") or {}).get("id")))
    return out


def raw_duplicates(lake: Path) -> int:
    """Plays stored more than once in the raw zone (allowed there: curation must fold them)."""
    counts = Counter(raw_plays(lake))
    return sum(n - 1 for n in counts.values() if n > 1)


def _ms(iso: str) -> int:
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)


def cursors(lake: Path) -> dict[str, int]:
    """listener_id -> committed recently-played cursor (ms)."""
    out = {}
    for path in lake.glob(StateKey.cursor_glob("recently_played")):
        value = json.loads(path.read_text())
        listener_id = StateKey.parse(path.relative_to(lake).as_posix()).listener_id
        if "after_ms" in value and listener_id:
            out[listener_id] = int(value["after_ms"])
    return out


def cursors_ahead(lake: Path) -> list[str]:
    """Cursors that claim plays the raw zone does not hold (must be empty: that would be lost plays)."""
    newest: dict[str, int] = {}
    for listener, played_at, _ in raw_plays(lake):
        newest[listener] = max(newest.get(listener, 0), _ms(played_at))
    return [
        f"listener {lid}: cursor {cursor} > newest raw play {newest.get(lid)}"
        for lid, cursor in sorted(cursors(lake).items())
        if cursor > newest.get(lid, -1)
    ]


def cursor_files(lake: Path) -> list[str]:
    """Every file under the listeners' state folders (one cursor document each, plus the lock file)."""
    return sorted(p.relative_to(lake).as_posix() for p in lake.glob(StateKey.cursor_glob()) if p.is_file())


# --- curated zone ---------------------------------------------------------------------------------------


def table_files(lake: Path, table: str) -> list[Path]:
    """Parquet files a reader of ``curated/<table>/`` sees: the published version (spotify_lake.adapters.lakefiles)."""
    return published_files(lake, table)


def unreadable_parquet(lake: Path) -> list[str]:
    """Curated Parquet files that do not read back completely."""
    import pyarrow.parquet as pq

    bad = []
    curated = lake / "curated"
    if not curated.exists():
        return bad
    for table in sorted(p.name for p in curated.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))):
        for path in table_files(lake, table):
            try:
                pq.read_table(path)
            except Exception as exc:  # any reader failure is the finding
                bad.append(f"{path.relative_to(lake)}: {type(exc).__name__}")
    return bad


def _row_key(row: tuple) -> tuple:
    return tuple((v is None, repr(v)) for v in row)


def table_rows(lake: Path, table: str = "plays", columns: list[str] | None = None) -> list[tuple]:
    """Rows of a curated table on ``columns`` (default: the stable ones), sorted; Hive partition values
    come from the folder names as a reader would attach them."""
    import pyarrow.parquet as pq

    columns = columns or stable_columns(table)
    rows: list[tuple] = []
    root = lake / "curated" / table
    for path in table_files(lake, table):
        partition = {}
        for part in path.relative_to(root).parts[:-1]:  # the version folder has no "="
            if "=" in part:
                key, value = part.split("=", 1)
                partition[key] = value
        data = pq.read_table(path).to_pylist()
        for record in data:
            record.update(partition)
            rows.append(tuple(record.get(c) for c in columns))
    return sorted(rows, key=_row_key)


def partitions(lake: Path, table: str = "plays") -> dict[str, list[tuple]]:
    """Published partition (``<key>=<value>``) -> its sorted stable rows, as a reader of the catalog sees it."""
    import pyarrow.parquet as pq

    columns = stable_columns(table)
    out: dict[str, list[tuple]] = {}
    for folder in published_locations(lake, table).values():
        rows = []
        key, value = folder.name.split("=", 1)
        for path in sorted(folder.glob("*.parquet")):
            if path.name.startswith(("_", ".")):
                continue
            for record in pq.read_table(path).to_pylist():
                record[key] = value
                rows.append(tuple(record.get(c) for c in columns))
        out[folder.name] = sorted(rows, key=_row_key)
    return out


def diff_rows(expected: list[tuple], actual: list[tuple]) -> dict:
    """Rows only in one side (multiset difference), for reports."""
    e, a = Counter(expected), Counter(actual)
    return {"missing": sum((e - a).values()), "extra": sum((a - e).values())}


def duplicate_keys(rows: list[tuple], key_index: int = 0) -> int:
    counts = Counter(r[key_index] for r in rows)
    return sum(n - 1 for n in counts.values() if n > 1)


def run_summaries(lake: Path, stage: str) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(lake.glob(RunSummaryKey.glob(stage)))]


def tree_digest(root: Path, *, exclude: tuple[str, ...] = ()) -> dict[str, str]:
    """relative path -> SHA-256 of every visible file under ``root`` (for byte-for-byte re-run checks)."""
    import hashlib

    out = {}
    if not root.exists():
        return out
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if not path.is_file() or any(part.startswith(".") for part in path.relative_to(root).parts):
            continue
        if any(rel.startswith(prefix) for prefix in exclude):
            continue
        out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out
