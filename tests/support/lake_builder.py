"""Write curated Parquet in the lake layout without Spark: one published version per table (a version folder,
Hive partitions as the schema says) and the table's catalog document, as a curation run leaves them.

Timestamps are written UTC-adjusted, as Spark writes them, so the loader's casts are exercised.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from curation.catalog import WHOLE_TABLE, TableLocations, document_key, partition_location
from curation.schema import Table, table

#: The version folder every table written here is published from.
VERSION = "curate-lake-builder-000000"

_ARROW_TYPES = {
    "string": pa.string(),
    "bigint": pa.int64(),
    "int": pa.int32(),
    "double": pa.float64(),
    "boolean": pa.bool_(),
    "timestamp": pa.timestamp("us", tz="UTC"),
    "date": pa.date32(),
    "array<string>": pa.list_(pa.string()),
}


def write_table(lake: Path, name: str, rows: list[dict[str, Any]]) -> None:
    """Write ``rows`` (dicts; missing columns are null) as
    ``curated/<name>/<VERSION>/[<key>=<value>/]part-00000.parquet`` and publish them in the table's document
    (append-only tables: ``curated/<name>/part-00000.parquet``)."""
    spec: Table = table(name)
    partition = spec.partition_key
    groups: dict[str | None, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        unknown = set(row) - {c.name for c in spec.all_columns}
        if unknown:
            raise KeyError(f"{name}: unknown columns {sorted(unknown)}")
        groups[row[partition] if partition else None].append(row)
    schema = pa.schema([pa.field(c.name, _ARROW_TYPES[c.type]) for c in spec.columns])
    locations: dict[str, str] = {}
    for value, group in groups.items():
        if spec.append_only:
            folder = lake / "curated" / name
        else:
            location = partition_location(name, VERSION, partition, str(value) if partition else "")
            locations[str(value) if partition else WHOLE_TABLE] = location
            folder = lake / location
        folder.mkdir(parents=True, exist_ok=True)
        data = {c.name: [r.get(c.name) for r in group] for c in spec.columns}
        pq.write_table(pa.table(data, schema=schema), folder / "part-00000.parquet")
    if not spec.append_only:
        document = lake / document_key(name)
        document.parent.mkdir(parents=True, exist_ok=True)
        document.write_text(TableLocations(name, partition, locations).to_json())


def write_exclusions(lake: Path, text: str) -> Path:
    """Write the listener's exclusions file (CSV text, header first) where the readers look for it."""
    path = lake / table("exclusions").csv_file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
