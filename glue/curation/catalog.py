"""Which prefix holds the current rows of each curated table and partition: the publish step of a run.

A run never moves or overwrites published data. It writes each table it rebuilds under a fresh prefix of
its own (a *version*: ``curated/<table>/<version>/[<key>=<value>/]part-*.parquet``) and then switches the
catalog entry of each partition (or of the whole table) to that prefix. Readers follow the catalog only, so
they see the old version or the new one, never a partial or doubled partition (docs/CURATION.md). On S3 a
rename is a copy plus a delete, which is why the switch is a catalog write and not a directory rename.

Two backends, one interface:

- :class:`DocumentCatalog`: one JSON document per table, ``curated/_catalog/<table>.json``, replaced whole
  (an atomic rename on a local file system, one PUT on S3). Local lakes use it; the toolkit's readers
  (DuckDB, Trino, the reliability checks) read it with :func:`read_document`.
- :class:`GlueCatalog`: the Glue Data Catalog (job argument ``--glue_database``), what Athena reads: one
  ``BatchUpdatePartition``/``BatchCreatePartition`` per 100 partitions, ``UpdateTable`` for unpartitioned
  tables; the table documents are kept beside it as the job's own record.

Locations are stored relative to the curated bucket's root (``curated/plays/<version>/play_month=2024-05/``)
in documents, so a lake folder can be copied or moved; the Glue backend converts them to ``s3://`` URIs.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

#: Folder (under ``curated/``) of the table documents.
CATALOG_DIR = "_catalog"
#: Key of the single location of an unpartitioned table.
WHOLE_TABLE = ""
#: Glue's limits per batch call (BatchCreatePartition / BatchUpdatePartition: 100; BatchDeletePartition: 25).
_GLUE_BATCH = 100
_GLUE_DELETE_BATCH = 25
#: The TableInput fields GetTable returns that UpdateTable accepts back.
_TABLE_INPUT_FIELDS = (
    "Name",
    "Description",
    "Owner",
    "Retention",
    "StorageDescriptor",
    "PartitionKeys",
    "TableType",
    "Parameters",
)


@dataclass(frozen=True)
class TableLocations:
    """The current location of every partition of one table (``{WHOLE_TABLE: loc}`` when unpartitioned)."""

    table: str
    partition_key: str | None
    locations: Mapping[str, str] = field(default_factory=dict)

    def to_json(self) -> str:
        document = {"table": self.table, "partition_key": self.partition_key, "locations": dict(self.locations)}
        return json.dumps(document, indent=1, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> TableLocations:
        doc = json.loads(text)
        return cls(doc["table"], doc["partition_key"], dict(doc["locations"]))

    def switched(self, changes: Mapping[str, str], dropped: set[str]) -> TableLocations:
        kept = {v: loc for v, loc in self.locations.items() if v not in dropped}
        return TableLocations(self.table, self.partition_key, kept | dict(changes))


def document_key(table: str) -> str:
    """The table document's key relative to the curated root."""
    return f"curated/{CATALOG_DIR}/{table}.json"


def version_prefix(table: str, version: str) -> str:
    """Where one run writes a table (relative to the curated root); partitions are ``<key>=<value>/`` below."""
    return f"curated/{table}/{version}/"


def partition_location(table: str, version: str, key: str | None, value: str) -> str:
    if key is None:
        return version_prefix(table, version)
    return f"{version_prefix(table, version)}{key}={value}/"


def version_of(location: str) -> str:
    """The version folder of a location written by :func:`partition_location`."""
    parts = location.strip("/").split("/")
    return parts[2]


class Catalog(Protocol):
    """What a run needs from a catalog: read the current locations, switch some of them."""

    def current(self, table: str, partition_key: str | None) -> TableLocations: ...

    def sync(self, published: TableLocations) -> int:
        """Make the catalog name exactly the published locations; returns how many entries had to be corrected."""
        ...

    def switch(self, current: TableLocations, changes: Mapping[str, str], dropped: set[str]) -> TableLocations: ...


def read_document(read_text: Callable[[str], str | None], table: str, partition_key: str | None) -> TableLocations:
    """The table's document through ``read_text(key) -> text or None``; an absent document is an empty table."""
    text = read_text(document_key(table))
    if text is None:
        return TableLocations(table, partition_key)
    return TableLocations.from_json(text)


class DocumentCatalog:
    """Table documents in the lake itself, read and written through two small callables (no Spark here)."""

    def __init__(self, read_text: Callable[[str], str | None], replace_text: Callable[[str, str], None]) -> None:
        self._read = read_text
        self._replace = replace_text

    def current(self, table: str, partition_key: str | None) -> TableLocations:
        return read_document(self._read, table, partition_key)

    def sync(self, published: TableLocations) -> int:
        return 0  # the documents are the record itself

    def switch(self, current: TableLocations, changes: Mapping[str, str], dropped: set[str]) -> TableLocations:
        new = current.switched(changes, dropped)
        self._replace(document_key(current.table), new.to_json())
        return new


class GlueCatalog:
    """The Glue Data Catalog, what Athena reads, kept equal to the lake's table documents.

    The documents stay the job's record of what is published: a ``cdk deploy`` that updates a Glue table
    resets its location to the template's folder, and a replaced table loses its partitions, so the job
    must not learn the current versions back from Glue. Every switch writes Glue first (readers move to the
    new version) and then the document; :meth:`sync`, at the start of each run, puts back into Glue whatever
    a deployment or a crash between the two writes left different. ``client`` is a boto3 Glue client,
    created by the caller so that this package does not need boto3 where Glue is not used."""

    def __init__(self, client: Any, database: str, curated_root: str, documents: DocumentCatalog) -> None:
        self._glue = client
        self._database = database
        self._root = curated_root.rstrip("/") + "/"
        self._documents = documents

    def _uri(self, location: str) -> str:
        return self._root + location

    def _table(self, table: str) -> dict[str, Any]:
        return self._glue.get_table(DatabaseName=self._database, Name=table)["Table"]

    def _glue_locations(self, table: str) -> dict[str, str]:
        paginator = self._glue.get_paginator("get_partitions")
        found: dict[str, str] = {}
        for page in paginator.paginate(DatabaseName=self._database, TableName=table):
            for partition in page["Partitions"]:
                found[partition["Values"][0]] = partition["StorageDescriptor"]["Location"]
        return found

    def current(self, table: str, partition_key: str | None) -> TableLocations:
        return self._documents.current(table, partition_key)

    def sync(self, published: TableLocations) -> int:
        """Make Glue name exactly the published locations; returns how many entries had to be corrected."""
        table = self._table(published.table)
        if published.partition_key is None:
            wanted = published.locations.get(WHOLE_TABLE)
            if wanted is None or table["StorageDescriptor"]["Location"] == self._uri(wanted):
                return 0
            self._move_table(table, wanted)
            return 1
        in_glue = self._glue_locations(published.table)
        wrong = {v: loc for v, loc in published.locations.items() if in_glue.get(v) != self._uri(loc)}
        extra = set(in_glue) - set(published.locations)
        self._write_partitions(table, published.table, wrong, extra, in_glue)
        return len(wrong) + len(extra)

    def switch(self, current: TableLocations, changes: Mapping[str, str], dropped: set[str]) -> TableLocations:
        table = self._table(current.table)
        if current.partition_key is None:
            if changes:
                self._move_table(table, changes[WHOLE_TABLE])
        else:
            gone = {v for v in dropped if v not in changes}
            self._write_partitions(table, current.table, changes, gone, self._glue_locations(current.table))
        return self._documents.switch(current, changes, dropped)

    def _move_table(self, table: dict[str, Any], location: str) -> None:
        table_input = {k: table[k] for k in _TABLE_INPUT_FIELDS if k in table}
        table_input["StorageDescriptor"] = {**table["StorageDescriptor"], "Location": self._uri(location)}
        self._glue.update_table(DatabaseName=self._database, TableInput=table_input)

    def _write_partitions(
        self,
        table: dict[str, Any],
        name: str,
        locations: Mapping[str, str],
        gone: set[str],
        in_glue: Mapping[str, str],
    ) -> None:
        descriptor = table["StorageDescriptor"]

        def partition_input(value: str, location: str) -> dict[str, Any]:
            return {"Values": [value], "StorageDescriptor": {**descriptor, "Location": self._uri(location)}}

        updates = [(v, loc) for v, loc in sorted(locations.items()) if v in in_glue]
        creates = [(v, loc) for v, loc in sorted(locations.items()) if v not in in_glue]
        for batch in _batches(updates, _GLUE_BATCH):
            answer = self._glue.batch_update_partition(
                DatabaseName=self._database,
                TableName=name,
                Entries=[{"PartitionValueList": [v], "PartitionInput": partition_input(v, loc)} for v, loc in batch],
            )
            _raise_on_errors("BatchUpdatePartition", name, answer.get("Errors", []))
        for batch in _batches(creates, _GLUE_BATCH):
            answer = self._glue.batch_create_partition(
                DatabaseName=self._database,
                TableName=name,
                PartitionInputList=[partition_input(v, loc) for v, loc in batch],
            )
            _raise_on_errors("BatchCreatePartition", name, answer.get("Errors", []))
        for chunk in _batches(sorted(v for v in gone if v in in_glue), _GLUE_DELETE_BATCH):
            answer = self._glue.batch_delete_partition(
                DatabaseName=self._database,
                TableName=name,
                PartitionsToDelete=[{"Values": [v]} for v in chunk],
            )
            _raise_on_errors("BatchDeletePartition", name, answer.get("Errors", []))


def _batches(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _raise_on_errors(call: str, table: str, errors: list[dict[str, Any]]) -> None:
    """Glue's batch calls report per-partition failures in the answer instead of raising."""
    if errors:
        first = errors[0]
        detail = first.get("ErrorDetail", {})
        raise RuntimeError(
            f"{call} on {table}: {len(errors)} partition(s) failed, first {first.get('PartitionValues')}: "
            f"{detail.get('ErrorCode')} {detail.get('ErrorMessage')}"
        )
