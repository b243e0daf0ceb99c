"""The catalog backends: table documents and the Glue Data Catalog (moto), switched the same way."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from curation.catalog import (
    DocumentCatalog,
    GlueCatalog,
    TableLocations,
    document_key,
    partition_location,
    version_of,
)

ROOT = "s3://lake-curated"


def test_locations_of_a_version_and_back():
    location = partition_location("plays", "curate-1-abc", "play_month", "2024-05")
    assert location == "curated/plays/curate-1-abc/play_month=2024-05/"
    assert version_of(location) == "curate-1-abc"
    assert partition_location("tracks", "curate-1-abc", None, "") == "curated/tracks/curate-1-abc/"
    assert version_of("curated/tracks/curate-1-abc/") == "curate-1-abc"


def test_document_catalog_switches_whole_documents():
    store: dict[str, str] = {}
    catalog = DocumentCatalog(store.get, store.__setitem__)
    empty = catalog.current("plays", "play_month")
    assert empty == TableLocations("plays", "play_month", {})
    first = catalog.switch(empty, {"2024-01": "a/", "2024-02": "b/"}, set())
    second = catalog.switch(first, {"2024-02": "c/", "2024-03": "d/"}, {"2024-01"})
    assert second.locations == {"2024-02": "c/", "2024-03": "d/"}
    assert catalog.current("plays", "play_month") == second
    assert list(store) == [document_key("plays")] == ["curated/_catalog/plays.json"]


@pytest.fixture
def glue():
    with mock_aws():
        client = boto3.client("glue", region_name="eu-west-1")
        client.create_database(DatabaseInput={"Name": "lake"})
        descriptor = {
            "Columns": [{"Name": "play_id", "Type": "string"}],
            "Location": f"{ROOT}/curated/plays/",
            "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
            "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
            "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"},
        }
        client.create_table(
            DatabaseName="lake",
            TableInput={
                "Name": "plays",
                "StorageDescriptor": descriptor,
                "PartitionKeys": [{"Name": "play_month", "Type": "string"}],
                "TableType": "EXTERNAL_TABLE",
                "Parameters": {"classification": "parquet"},
            },
        )
        client.create_table(
            DatabaseName="lake",
            TableInput={
                "Name": "tracks",
                "StorageDescriptor": {**descriptor, "Location": f"{ROOT}/curated/tracks/"},
                "TableType": "EXTERNAL_TABLE",
                "Parameters": {"classification": "parquet"},
            },
        )
        yield client


def _partitions(client) -> dict[str, str]:
    pages = client.get_paginator("get_partitions").paginate(DatabaseName="lake", TableName="plays")
    return {p["Values"][0]: p["StorageDescriptor"]["Location"] for page in pages for p in page["Partitions"]}


def _glue_catalog(client) -> tuple[GlueCatalog, dict[str, str]]:
    store: dict[str, str] = {}
    return GlueCatalog(client, "lake", ROOT, DocumentCatalog(store.get, store.__setitem__)), store


def test_glue_catalog_creates_updates_and_drops_partitions_in_batches(glue):
    catalog, documents = _glue_catalog(glue)
    empty = catalog.current("plays", "play_month")
    assert empty.locations == {}
    # 130 months: more than one BatchCreatePartition (100 at most per call).
    months = [f"{2010 + i // 12}-{i % 12 + 1:02d}" for i in range(130)]
    first = catalog.switch(empty, {m: partition_location("plays", "v1", "play_month", m) for m in months}, set())
    assert len(_partitions(glue)) == 130
    assert _partitions(glue)["2010-01"] == f"{ROOT}/curated/plays/v1/play_month=2010-01/"
    changes = {m: partition_location("plays", "v2", "play_month", m) for m in [*months[:101], "2030-01"]}
    second = catalog.switch(first, changes, set(months[101:128]))
    found = _partitions(glue)
    assert len(found) == 101 + 2 + 1  # updated, kept, created
    assert found["2010-01"] == f"{ROOT}/curated/plays/v2/play_month=2010-01/"
    assert found[months[128]] == f"{ROOT}/curated/plays/v1/play_month={months[128]}/"
    assert "2030-01" in found
    assert months[101] not in found
    assert catalog.current("plays", "play_month") == second
    assert TableLocations.from_json(documents["curated/_catalog/plays.json"]) == second
    # The partitions keep the table's storage descriptor (format, SerDe, columns) with their own location.
    partition = glue.get_partition(DatabaseName="lake", TableName="plays", PartitionValues=["2030-01"])["Partition"]
    assert partition["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"].endswith("ParquetHiveSerDe")
    assert partition["StorageDescriptor"]["Columns"] == [{"Name": "play_id", "Type": "string"}]


def test_glue_catalog_moves_an_unpartitioned_table(glue):
    catalog, _ = _glue_catalog(glue)
    initial = catalog.current("tracks", None)
    assert initial.locations == {}
    switched = catalog.switch(initial, {"": "curated/tracks/v7/"}, set())
    table = glue.get_table(DatabaseName="lake", Name="tracks")["Table"]
    assert table["StorageDescriptor"]["Location"] == f"{ROOT}/curated/tracks/v7/"
    assert table["Parameters"] == {"classification": "parquet"}
    assert catalog.current("tracks", None) == switched == TableLocations("tracks", None, {"": "curated/tracks/v7/"})


def test_sync_puts_back_what_a_deployment_reset_or_a_crash_left_behind(glue):
    catalog, _ = _glue_catalog(glue)
    tracks = catalog.switch(catalog.current("tracks", None), {"": "curated/tracks/v7/"}, set())
    months = {m: partition_location("plays", "v1", "play_month", m) for m in ("2024-01", "2024-02")}
    plays = catalog.switch(catalog.current("plays", "play_month"), months, set())
    assert catalog.sync(tracks) == catalog.sync(plays) == 0
    # cdk deploy updated the table (location back to the template's folder) and deleted a partition; a
    # crash between Glue's switch and the document's left a partition the documents never published.
    table = glue.get_table(DatabaseName="lake", Name="tracks")["Table"]
    glue.update_table(
        DatabaseName="lake",
        TableInput={
            "Name": "tracks",
            "StorageDescriptor": {**table["StorageDescriptor"], "Location": f"{ROOT}/curated/tracks/"},
        },
    )
    glue.batch_delete_partition(DatabaseName="lake", TableName="plays", PartitionsToDelete=[{"Values": ["2024-02"]}])
    stray = glue.get_partition(DatabaseName="lake", TableName="plays", PartitionValues=["2024-01"])["Partition"]
    glue.create_partition(
        DatabaseName="lake",
        TableName="plays",
        PartitionInput={"Values": ["2024-03"], "StorageDescriptor": stray["StorageDescriptor"]},
    )
    assert catalog.sync(tracks) == 1
    assert catalog.sync(plays) == 2
    assert glue.get_table(DatabaseName="lake", Name="tracks")["Table"]["StorageDescriptor"]["Location"] == (
        f"{ROOT}/curated/tracks/v7/"
    )
    assert _partitions(glue) == {m: f"{ROOT}/{loc}" for m, loc in months.items()}


def test_glue_batch_errors_are_raised_not_ignored(glue, monkeypatch):
    catalog, _ = _glue_catalog(glue)
    # Glue answers a batch call with per-partition errors instead of raising: they must not pass silently.
    refused = {"Errors": [{"PartitionValues": ["2024-01"], "ErrorDetail": {"ErrorCode": "AccessDenied"}}]}
    monkeypatch.setattr(glue, "batch_create_partition", lambda **_: refused)
    with pytest.raises(RuntimeError, match=r"BatchCreatePartition on plays: 1 partition\(s\) failed.*AccessDenied"):
        catalog.switch(
            catalog.current("plays", "play_month"), {"2024-01": "curated/plays/v1/play_month=2024-01/"}, set()
        )
