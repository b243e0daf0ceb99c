"""The schema module is the single source of truth: every derived form must agree with it."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from curation import schema
from spotify_lake import tables_doc
from spotify_lake.adapters import duck

REPO = Path(__file__).resolve().parents[2]


def test_tables_are_well_formed():
    assert [t.name for t in schema.TABLES] == list(schema.TABLES_BY_NAME)
    for table in schema.TABLES:
        for key in table.key:
            # A key column that may be null could not identify a row.
            assert not table.column(key).nullable, f"{table.name}.{key}"


def test_fields_removed_for_development_mode_apps_are_nullable():
    removed = {
        "tracks": ["popularity", "isrc", "linked_from_id"],
        "albums": ["popularity", "label", "upc"],
        "artists": ["popularity", "followers", "genres"],
        "artist_snapshots": ["popularity", "followers", "genres"],
    }
    for table_name, columns in removed.items():
        for column in columns:
            assert schema.table(table_name).column(column).nullable, f"{table_name}.{column}"


def test_partitioned_tables_and_their_monthly_keys():
    # No partition projection: the job registers each partition (and its location) in the Glue catalog.
    keys = {t.name: [c.name for c in t.partition_keys] for t in schema.TABLES if t.partition_keys}
    assert keys == {
        "plays": ["play_month"],
        "artist_snapshots": ["snapshot_month"],
        "top_items": ["snapshot_month"],
        "playlists": ["snapshot_month"],
        "playlist_items": ["snapshot_month"],
        "search_results": ["snapshot_month"],
    }
    assert not any(hasattr(t, "projection") for t in schema.TABLES)


def test_unknown_table_names_the_known_ones():
    with pytest.raises(KeyError, match="known: plays"):
        schema.table("play")


def test_invalid_definitions_are_rejected():
    with pytest.raises(ValueError, match="unknown type"):
        schema.Column("x", "varchar", True, "x")
    with pytest.raises(ValueError, match="listener_id"):
        schema.Table("t", "t", (schema.Column("a", "string", False, "a"),), key=("a",))
    # Athena's CSV SerDe reads strings only, and nobody would register a listener-kept file's partitions
    with pytest.raises(ValueError, match="string columns only"):
        schema.Table("t", "t", (schema.Column("a", "int", False, "a"),), key=("a",), listener_scoped=False,
                     file_format="csv")  # fmt: skip


def test_the_exclusions_table_is_the_one_file_the_listener_keeps():
    kept = [t.name for t in schema.TABLES if t.edited_by_listener]
    assert kept == ["exclusions"]
    assert schema.EXCLUSIONS.csv_file == "curated/exclusions/exclusions.csv"
    assert [c.name for c in schema.EXCLUSIONS.all_columns] == ["kind", "value", "listener_id", "reason"]


@pytest.mark.parametrize("table", schema.TABLES, ids=lambda t: t.name)
def test_duckdb_ddl_matches_schema(table):
    con = duckdb.connect()
    con.execute(duck.create_table_sql(table))
    described = con.execute(f"DESCRIBE {table.name}").fetchall()
    expected_types = {
        "string": "VARCHAR",
        "bigint": "BIGINT",
        "int": "INTEGER",
        "double": "DOUBLE",
        "boolean": "BOOLEAN",
        "timestamp": "TIMESTAMP",
        "date": "DATE",
        "array<string>": "VARCHAR[]",
    }
    assert [(name, type_, null) for name, type_, null, *_ in described] == [
        (c.name, expected_types[c.type], "YES" if c.nullable else "NO") for c in table.all_columns
    ]


@pytest.mark.parametrize("table", schema.TABLES, ids=lambda t: t.name)
def test_spark_schema_matches_schema(table):
    from curation.spark_schema import struct_type

    spark_type_names = {
        "string": "string",
        "bigint": "bigint",
        "int": "int",
        "double": "double",
        "boolean": "boolean",
        "timestamp": "timestamp",
        "date": "date",
        "array<string>": "array<string>",
    }
    struct = struct_type(table)
    assert [(f.name, f.dataType.simpleString(), f.nullable) for f in struct.fields] == [
        (c.name, spark_type_names[c.type], c.nullable) for c in table.all_columns
    ]
    assert [f.name for f in struct_type(table, include_partitions=False).fields] == [c.name for c in table.columns]


def test_tables_doc_is_current():
    committed = (REPO / "docs" / "TABLES.md").read_text(encoding="utf-8")
    assert committed == tables_doc.render(), "regenerate: python -m spotify_lake.tables_doc > docs/TABLES.md"
