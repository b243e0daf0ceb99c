"""The Parquet files of a local lake that a reader sees: the published version of each curated table.

A curation run writes new versions beside the published ones and switches the table's catalog document
(``curated/_catalog/<table>.json``, :mod:`curation.catalog`); superseded and unfinished versions stay on
disk until the next run deletes them. Every local reader (DuckDB, the benchmarks, the reliability checks,
Trino in the tests) therefore lists files through this module, never by globbing ``curated/<table>/``.
"""

from __future__ import annotations

from pathlib import Path

from curation.catalog import read_document
from curation.schema import Table
from curation.schema import table as table_named


def _hidden(name: str) -> bool:
    return name.startswith(("_", "."))


def _parquet_in(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.rglob("*.parquet")
        if p.is_file() and not any(_hidden(part) for part in p.relative_to(folder).parts)
    )


def published_locations(lake: Path, table: Table | str) -> dict[str, Path]:
    """Partition value (``""`` for a whole table) → folder, as the table's catalog document names them.

    Append-only tables (quarantine, data quality) have no document: their folder is their one location."""
    spec = table_named(table) if isinstance(table, str) else table
    if spec.edited_by_listener:
        # The listener's own file (exclusions): read where it lies, as Athena reads the table's folder.
        return {"": (lake / spec.csv_file).parent} if (lake / spec.csv_file).is_file() else {}
    if spec.append_only:
        folder = lake / "curated" / spec.name
        return {"": folder} if folder.is_dir() else {}

    def read_text(key: str) -> str | None:
        path = lake / key
        return path.read_text() if path.is_file() else None

    key = spec.partition_key
    document = read_document(read_text, spec.name, key)
    return {value: lake / location for value, location in sorted(document.locations.items())}


def published_files(lake: Path, table: Table | str) -> list[Path]:
    """Every Parquet file of the table's published version (no Spark side files, no hidden names); for a table
    the listener keeps (``file_format == "csv"``), its one CSV file when it exists."""
    spec = table_named(table) if isinstance(table, str) else table
    if spec.edited_by_listener:
        return [lake / spec.csv_file] if (lake / spec.csv_file).is_file() else []
    folders = published_locations(lake, spec)
    if spec.append_only:
        return sorted(p for f in folders.values() for p in f.glob("*.parquet") if not _hidden(p.name))
    return sorted(p for folder in folders.values() for p in _parquet_in(folder))
