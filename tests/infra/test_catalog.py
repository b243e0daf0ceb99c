"""Glue tables generated from curation.schema, the Athena workgroup and the named queries."""

from __future__ import annotations

import pytest

from curation import schema
from tests.infra.conftest import REPO, logical_id_of, only, resources

ENVS = ("dev", "prod")


def glue_tables(synthesized, env: str) -> dict[str, dict]:
    tables = resources(synthesized.templates[env], "AWS::Glue::Table")
    return {t["Properties"]["TableInput"]["Name"]: t["Properties"]["TableInput"] for t in tables.values()}


@pytest.mark.parametrize("env", ENVS)
def test_one_glue_table_per_schema_table(synthesized, env):
    assert sorted(glue_tables(synthesized, env)) == sorted(t.name for t in schema.TABLES)


@pytest.mark.parametrize("env", ENVS)
def test_glue_columns_equal_the_schema_source(synthesized, env):
    by_name = glue_tables(synthesized, env)
    for table in schema.TABLES:
        deployed = by_name[table.name]
        columns = [(c["Name"], c["Type"]) for c in deployed["StorageDescriptor"]["Columns"]]
        partitions = [(c["Name"], c["Type"]) for c in deployed.get("PartitionKeys", [])]
        assert columns == [(c.name, c.type) for c in table.columns], table.name
        assert partitions == [(c.name, c.type) for c in table.partition_keys], table.name
        assert [c["Comment"] for c in deployed["StorageDescriptor"]["Columns"]] == [
            c.description for c in table.columns
        ]


def test_tables_are_parquet_under_curated_with_month_projection(synthesized):
    stack = synthesized.stacks["prod"]
    bucket = {"Ref": logical_id_of(stack, stack.storage.curated_bucket)}
    by_name = glue_tables(synthesized, "prod")
    plays = by_name["plays"]
    assert plays["StorageDescriptor"]["Location"] == {"Fn::Join": ["", ["s3://", bucket, "/curated/plays/"]]}
    assert plays["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"] == (
        "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
    )
    params = plays["Parameters"]
    assert params["classification"] == "parquet"
    assert params["projection.enabled"] == "true"
    assert params["projection.play_month.type"] == "date"
    assert params["projection.play_month.format"] == "yyyy-MM"
    assert params["projection.play_month.range"] == "2006-01,NOW"
    assert params["projection.play_month.interval"] == "1"
    assert params["projection.play_month.interval.unit"] == "MONTHS"
    assert params["storage.location.template"] == {
        "Fn::Join": ["", ["s3://", bucket, "/curated/plays/play_month=${play_month}"]]
    }
    # Tables without partitions have no projection.
    assert "projection.enabled" not in by_name["tracks"]["Parameters"]
    assert "PartitionKeys" not in by_name["tracks"] or by_name["tracks"]["PartitionKeys"] == []


@pytest.mark.parametrize(("env", "database"), [("dev", "spotify_lake_dev"), ("prod", "spotify_lake_prod")])
def test_database_is_named_per_environment(synthesized, env, database):
    _, db = only(synthesized.templates[env], "AWS::Glue::Database")
    assert db["Properties"]["DatabaseInput"]["Name"] == database


@pytest.mark.parametrize(("env", "cutoff_mb"), [("dev", 1024), ("prod", 10240)])
def test_athena_workgroup(synthesized, env, cutoff_mb):
    stack = synthesized.stacks[env]
    _, workgroup = only(synthesized.templates[env], "AWS::Athena::WorkGroup")
    config = workgroup["Properties"]["WorkGroupConfiguration"]
    assert workgroup["Properties"]["Name"] == f"spotify-lake-{env}"
    assert config["EnforceWorkGroupConfiguration"] is True
    assert config["EngineVersion"] == {"SelectedEngineVersion": "Athena engine version 3"}
    assert config["BytesScannedCutoffPerQuery"] == cutoff_mb * 1024 * 1024
    results = config["ResultConfiguration"]
    assert results["EncryptionConfiguration"] == {
        "EncryptionOption": "SSE_KMS",
        "KmsKey": {"Fn::GetAtt": [logical_id_of(stack, stack.storage.key), "Arn"]},
    }
    assert results["OutputLocation"] == {
        "Fn::Join": ["", ["s3://", {"Ref": logical_id_of(stack, stack.storage.athena_results_bucket)}, "/results/"]]
    }


def test_named_queries_come_from_sql_queries(synthesized):
    from stacks.sql_files import load_named_queries

    expected = {q.name: q for q in load_named_queries(REPO / "sql" / "queries")}
    assert expected, "sql/queries has no named queries"
    deployed = resources(synthesized.templates["dev"], "AWS::Athena::NamedQuery")
    by_name = {q["Properties"]["Name"]: q["Properties"] for q in deployed.values()}
    assert sorted(by_name) == sorted(expected)
    for name, props in by_name.items():
        assert props["QueryString"] == expected[name].sql
        assert props["Description"] == expected[name].description
        assert props["Database"] == {
            "Ref": logical_id_of(synthesized.stacks["dev"], synthesized.stacks["dev"].catalog.database)
        }


def test_no_crawler_unless_configured(synthesized):
    for env in ENVS:
        assert not resources(synthesized.templates[env], "AWS::Glue::Crawler")
