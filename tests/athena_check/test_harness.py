"""The check's parts that need no Trino: tables from the template, partition discovery, the comparison."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from curation import schema
from curation.catalog import TableLocations, document_key
from spotify_lake.athena_check.check import create_table_sql
from spotify_lake.athena_check.compare import Result, first_difference, ordered, values_equal
from spotify_lake.athena_check.server import local_uri
from spotify_lake.athena_check.tables import (
    GlueTable,
    TableDefinitionError,
    current_location,
    current_partitions,
    glue_tables,
    trino_type,
)

PARQUET = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"


@pytest.mark.parametrize(
    ("glue", "trino"),
    [
        ("string", "varchar"),
        ("int", "integer"),
        ("bigint", "bigint"),
        ("timestamp", "timestamp(3)"),
        ("array<string>", "array(varchar)"),
        ("array<array<int>>", "array(array(integer))"),
        ("decimal(10,2)", "decimal(10, 2)"),
    ],
)
def test_glue_types_in_trino_spelling(glue, trino):
    assert trino_type(glue) == trino


def test_an_unknown_glue_type_is_an_error():
    with pytest.raises(TableDefinitionError, match="struct"):
        trino_type("struct<a:int>")


def test_tables_come_from_the_synthesized_glue_resources(tables):
    by_name = {t.name: t for t in tables}
    assert sorted(by_name) == sorted(t.name for t in schema.TABLES)
    plays = by_name["plays"]
    assert plays.partition_keys == (("play_month", "string"),)
    assert plays.location == "curated/plays/"
    assert plays.format == "PARQUET"
    assert ("played_at", "timestamp") in plays.columns
    assert by_name["tracks"].partition_key is None
    assert ("artist_ids", "array<string>") in by_name["tracks"].columns
    # The template declares what curation.schema says, column for column (the stacks derive it from there).
    for table in schema.TABLES:
        assert by_name[table.name].columns == tuple((c.name, c.type) for c in table.columns)


def test_a_template_without_glue_tables_is_an_error():
    with pytest.raises(TableDefinitionError, match="no AWS::Glue::Table"):
        glue_tables({"Resources": {"B": {"Type": "AWS::S3::Bucket", "Properties": {}}}})


def _plays_table() -> GlueTable:
    return GlueTable(
        "plays", (("play_id", "string"), ("ms", "bigint")), (("play_month", "string"),), PARQUET, "curated/plays/", {}
    )


def test_create_table_statement(tmp_path):
    sql = create_table_sql("lake", _plays_table(), tmp_path / "curated" / "plays")
    assert sql == (
        "CREATE TABLE lake.plays (\n  play_id varchar,\n  ms bigint,\n  play_month varchar\n)\n"
        f"WITH (format = 'PARQUET', external_location = 'local://{tmp_path}/curated/plays', "
        "partitioned_by = ARRAY['play_month'])"
    )


def test_current_partitions_are_the_ones_the_catalog_document_publishes(tmp_path):
    root = tmp_path / "curated" / "plays"
    # A superseded version and a killed run's folder sit beside the published ones: Trino must not see them.
    for folder in ("v1/play_month=2024-01", "v2/play_month=2024-01", "v2/play_month=2024-02", "v3/play_month=2024-03"):
        (root / folder).mkdir(parents=True)
    published = {"2024-01": "curated/plays/v2/play_month=2024-01/", "2024-02": "curated/plays/v2/play_month=2024-02/"}
    (tmp_path / document_key("plays")).parent.mkdir(parents=True)
    (tmp_path / document_key("plays")).write_text(TableLocations("plays", "play_month", published).to_json())
    assert current_partitions(tmp_path, _plays_table()) == {
        "2024-01": root / "v2" / "play_month=2024-01",
        "2024-02": root / "v2" / "play_month=2024-02",
    }
    assert current_partitions(tmp_path / "empty", _plays_table()) == {}
    with pytest.raises(TableDefinitionError, match="partitioned"):
        current_location(tmp_path, _plays_table())


def test_local_uri_is_absolute(tmp_path):
    assert local_uri(tmp_path / "a") == f"local://{tmp_path}/a"


# -- comparison --------------------------------------------------------------------------------------------


def test_numbers_agree_within_one_billionth_relative_only():
    assert values_equal(1.0, 1.0 + 5e-10)
    assert not values_equal(1.0, 1.0 + 2e-9)
    assert not values_equal(0.0, 1e-300)  # no absolute tolerance
    assert values_equal(Decimal("2.50"), 2.5)
    assert not values_equal(3, 3.0)  # integer on one engine, double on the other
    assert not values_equal(True, 1)
    assert values_equal(None, None)
    assert not values_equal(None, 0)


def test_timestamps_must_be_the_same_instant_in_the_same_zone():
    berlin = timezone(timedelta(hours=1))
    assert values_equal(datetime(2024, 1, 1, 12), datetime(2024, 1, 1, 12))
    assert not values_equal(datetime(2024, 1, 1, 12), datetime(2024, 1, 1, 12, 0, 0, 1000))
    assert not values_equal(datetime(2024, 1, 1, 12, tzinfo=UTC), datetime(2024, 1, 1, 13, tzinfo=berlin))
    assert not values_equal(datetime(2024, 1, 1, 12), datetime(2024, 1, 1, 12, tzinfo=UTC))
    assert not values_equal(date(2024, 1, 1), datetime(2024, 1, 1))


def test_arrays_compare_element_by_element():
    assert values_equal(["a", "b"], ["a", "b"])
    assert not values_equal(["a", "b"], ["b", "a"])
    assert values_equal([1.0], [1.0 + 1e-12])


def test_rows_compare_in_any_order_unless_ordered():
    trino = Result(("k", "v"), [("a", 1.0), ("b", 2.0)])
    duckdb = Result(("k", "v"), [("b", 2.0 + 1e-12), ("a", 1.0)])
    assert first_difference(trino, duckdb, in_order=False) is None
    assert first_difference(trino, duckdb, in_order=True) == {
        "row": 0,
        "column": "k",
        "trino": "a",
        "duckdb": "b",
        "trino_row": ["a", 1.0],
        "duckdb_row": ["b", 2.0 + 1e-12],
    }


def test_missing_rows_and_renamed_columns_are_differences():
    one = Result(("k",), [("a",)])
    assert first_difference(one, Result(("k",), [("a",), ("b",)]), in_order=False) == {
        "rows": {"trino": 1, "duckdb": 2}
    }
    assert first_difference(one, Result(("key",), [("a",)]), in_order=False) == {
        "columns": {"trino": ["k"], "duckdb": ["key"]}
    }


def test_order_matters_only_for_an_outer_order_by():
    assert ordered("SELECT a FROM t ORDER BY a LIMIT 3")
    assert not ordered("SELECT a FROM (SELECT a FROM t ORDER BY a LIMIT 3)")
    assert not ordered("CREATE OR REPLACE VIEW v AS SELECT a FROM t")
    assert ordered("CREATE OR REPLACE VIEW v AS SELECT a FROM t ORDER BY a")


def test_unpartitioned_table_location(tmp_path):
    tracks = GlueTable("tracks", (("track_id", "string"),), (), PARQUET, "curated/tracks/", {})
    assert current_location(tmp_path, tracks) is None
    (tmp_path / "curated" / "tracks" / "v9").mkdir(parents=True)
    (tmp_path / document_key("tracks")).parent.mkdir(parents=True)
    (tmp_path / document_key("tracks")).write_text(TableLocations("tracks", None, {"": "curated/tracks/v9/"}).to_json())
    assert current_location(tmp_path, tracks) == Path(tmp_path / "curated" / "tracks" / "v9")


def test_the_listeners_csv_table_is_read_as_athena_reads_it(tmp_path):
    # Given the Glue table of the exclusions file: OpenCSVSerde, header line skipped, string columns
    serde = "org.apache.hadoop.hive.serde2.OpenCSVSerde"
    exclusions = GlueTable(
        "exclusions", (("kind", "string"), ("value", "string")), (), serde, "curated/exclusions/",
        {"skip.header.line.count": "1"},
    )  # fmt: skip
    folder = tmp_path / "curated" / "exclusions"
    assert current_location(tmp_path, exclusions) is None  # no file yet: an empty table
    folder.mkdir(parents=True)
    (folder / "exclusions.csv").write_text("kind,value,listener_id,reason\n", encoding="utf-8")
    assert current_location(tmp_path, exclusions) == folder  # the file is read where it lies
    assert create_table_sql("lake", exclusions, folder) == (
        "CREATE TABLE lake.exclusions (\n  kind varchar,\n  value varchar\n)\n"
        f"WITH (format = 'CSV', external_location = 'local://{folder}', skip_header_line_count = 1)"
    )
