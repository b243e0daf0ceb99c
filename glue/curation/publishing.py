"""How a curation run publishes: each rebuilt table is written under this run's own version prefix (staged),
run-scoped facts are appended, and the catalog is switched to the new versions in one step per table; the
versions no catalog entry names any more are deleted when the next run starts.

The order of these steps, which makes a crash safe, is the run's (:mod:`curation.job`, docs/CURATION.md).
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from curation.catalog import partition_location, version_of, version_prefix
from curation.reading import current_locations
from curation.schema import TABLES, Table
from curation.spark_schema import struct_type
from curation.state import RunState, timed


def version_uri(state: RunState, table: Table) -> str:
    """Where this run stages its version of ``table``."""
    return state.paths.uri(version_prefix(table.name, state.version)).rstrip("/")


def stage(
    state: RunState, table: Table, rows: DataFrame, affected: set[str] | None = None, *, clustered: bool = False
) -> None:
    """Write ``rows`` (the table's final content for the partitions it holds) as this run's version of it:
    a fresh prefix no reader follows until :func:`publish` switches the catalog to it.

    ``clustered``: the rows are already hash-partitioned by the table's partition key (one task per key), so
    the write neither shuffles them again nor orders a file's rows by the table's key."""
    schema = struct_type(table)
    rows = rows.select(*[F.col(f.name).cast(f.dataType) for f in schema.fields])
    target = version_uri(state, table)
    with timed(f"stage {table.name}"):
        _write_staged(table, rows, target, clustered)
    state.staged[table.name] = table
    state.affected[table.name] = set(affected or ())


def _write_staged(table: Table, rows: DataFrame, target: str, clustered: bool) -> None:
    part = table.partition_key
    if part is not None:
        if clustered:
            # Each task writes its keys one after another; a task whose rows already come sorted by the key
            # (the plays' overlap window leaves them so) is not sorted again.
            ordered = rows.sortWithinPartitions(part)
        else:
            ordered = rows.repartition(part).sortWithinPartitions(part, *[k for k in table.key if k != part])
        ordered.write.mode("overwrite").partitionBy(part).parquet(target)
    else:
        rows.coalesce(1).sortWithinPartitions(*table.key).write.mode("overwrite").parquet(target)


def append(state: RunState, table: Table, rows: DataFrame) -> None:
    """Run-scoped facts (quarantine, data_quality): write this run's file(s), then move them into the table."""
    staged = f"{state.paths.staging(state.run_id)}/_append/{table.name}"
    schema = struct_type(table)
    rows.select(*[F.col(f.name).cast(f.dataType) for f in schema.fields]).coalesce(1).write.mode("overwrite").parquet(
        staged
    )
    for i, path in enumerate(state.fs.files(staged)):
        state.fs.move(path, f"{state.paths.table(table.name)}/{state.run_id}-{i:03d}.parquet")


def publish(state: RunState) -> dict[str, list[str]]:
    """Switch the catalog to this run's versions: per partition (or table), old rows or new, never a mix."""
    written: dict[str, list[str]] = {}
    for table in TABLES:
        if table.append_only:
            continue
        current = current_locations(state, table)
        key = table.partition_key
        if table.name in state.staged:
            if key is None:
                new = {"": partition_location(table.name, state.version, None, "")}
            else:
                values = [d.split("=", 1)[1] for d in state.fs.list_dirs(version_uri(state, table))]
                new = {v: partition_location(table.name, state.version, key, v) for v in values}
            # Partitions whose every row merged into another one (or, on a full refresh, every old one).
            gone = set(current.locations) if state.full_refresh else state.affected.get(table.name, set())
            state.current[table.name] = state.catalog.switch(current, new, gone - set(new))
            written[table.name] = ["*"] if key is None else sorted(new)
        elif state.full_refresh and table.name in state.cleared and current.locations:
            state.current[table.name] = state.catalog.switch(current, {}, set(current.locations))
    return written


def clean_unpublished(state: RunState) -> list[str]:
    """Delete every version folder the catalog does not name: versions superseded by an earlier run (kept
    until now so that a query planned just before that run's switch still found its files) and folders of
    runs that were killed or failed their checks. Returns what was deleted (keys under the curated root)."""
    deleted: list[str] = []
    for table in TABLES:
        if table.append_only:
            continue
        root = state.paths.table(table.name)
        published = current_locations(state, table).locations
        current_versions = {version_of(loc) for loc in published.values()}
        # Folders with "=" are partitions of the layout before versions; they are not this code's to delete.
        for version in (d for d in state.fs.list_dirs(root) if "=" not in d):
            folder = f"{root}/{version}"
            if version not in current_versions:
                state.fs.delete(folder)
                deleted.append(version_prefix(table.name, version))
                continue
            if table.partition_keys:
                for part in state.fs.list_dirs(folder):
                    location = f"{version_prefix(table.name, version)}{part}/"
                    if published.get(part.split("=", 1)[1]) != location:
                        state.fs.delete(f"{folder}/{part}")
                        deleted.append(location)
    for leftover in state.fs.list_dirs(f"{state.paths.curated}/_staging"):
        state.fs.delete(state.paths.staging(leftover))
        deleted.append(f"curated/_staging/{leftover}/")
    return deleted
