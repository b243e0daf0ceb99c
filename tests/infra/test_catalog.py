"""Glue tables generated from curation.schema, the Athena workgroup and the named queries."""

from __future__ import annotations

import json

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


@pytest.mark.parametrize("env", ENVS)
def test_tables_are_parquet_under_curated_without_partition_projection(synthesized, env):
    # The job registers partitions with their run-scoped locations; with projection on, Athena would ignore them.
    stack = synthesized.stacks[env]
    bucket = {"Ref": logical_id_of(stack, stack.storage.curated_bucket)}
    by_name = glue_tables(synthesized, env)
    plays = by_name["plays"]
    assert plays["StorageDescriptor"]["Location"] == {"Fn::Join": ["", ["s3://", bucket, "/curated/plays/"]]}
    assert plays["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"] == (
        "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
    )
    assert plays["PartitionKeys"] == [
        {"Name": "play_month", "Type": "string", "Comment": "Partition: month of played_at, yyyy-MM (UTC)"}
    ]
    for name, table in by_name.items():
        if name == "exclusions":
            continue
        assert table["Parameters"]["classification"] == "parquet", name
        assert not [k for k in table["Parameters"] if k.startswith(("projection.", "storage."))], name


@pytest.mark.parametrize("env", ENVS)
def test_the_exclusions_table_reads_the_listeners_csv_file(synthesized, env):
    # The file `spotify-lake exclude` writes, copied to the same key: quoted CSV, header skipped, no partitions.
    stack = synthesized.stacks[env]
    bucket = {"Ref": logical_id_of(stack, stack.storage.curated_bucket)}
    table = glue_tables(synthesized, env)["exclusions"]
    storage = table["StorageDescriptor"]
    assert storage["Location"] == {"Fn::Join": ["", ["s3://", bucket, "/curated/exclusions/"]]}
    assert storage["SerdeInfo"]["SerializationLibrary"] == "org.apache.hadoop.hive.serde2.OpenCSVSerde"
    assert storage["InputFormat"] == "org.apache.hadoop.mapred.TextInputFormat"
    assert table["Parameters"]["classification"] == "csv"
    assert table["Parameters"]["skip.header.line.count"] == "1"
    assert "PartitionKeys" not in table or table["PartitionKeys"] == []


@pytest.mark.parametrize("env", ENVS)
def test_nothing_with_a_fixed_name_is_retained(synthesized, env):
    # A retained resource with a fixed physical name makes the next create of a stack of the same name fail
    # (AlreadyExists). Retained resources must have generated names, or names unique to the stack's creation.
    fixed_name = {
        "AWS::Glue::Database": lambda p: p["DatabaseInput"].get("Name"),
        "AWS::Glue::Table": lambda p: p["TableInput"].get("Name"),
        "AWS::Glue::Job": lambda p: p.get("Name"),
        "AWS::Glue::SecurityConfiguration": lambda p: p.get("Name"),
        "AWS::Athena::WorkGroup": lambda p: p.get("Name"),
        "AWS::Athena::NamedQuery": lambda p: None,  # named queries have ids, not unique names
        "AWS::CloudWatch::Dashboard": lambda p: p.get("DashboardName"),
        "AWS::StepFunctions::StateMachine": lambda p: p.get("StateMachineName"),
        "AWS::Logs::LogGroup": lambda p: p.get("LogGroupName"),
        "AWS::S3::Bucket": lambda p: p.get("BucketName"),
        "AWS::SecretsManager::Secret": lambda p: p.get("Name"),
        "AWS::SNS::Topic": lambda p: p.get("TopicName"),
        "AWS::SQS::Queue": lambda p: p.get("QueueName"),
        "AWS::KMS::Key": lambda p: None,
    }
    retained = []
    for logical_id, r in synthesized.templates[env]["Resources"].items():
        if r.get("DeletionPolicy") != "Retain" and r.get("UpdateReplacePolicy") != "Retain":
            continue
        name = fixed_name[r["Type"]](r["Properties"])
        if name is None:
            continue
        # A name containing the stack id (a new UUID for every stack creation) cannot collide.
        assert "AWS::StackId" in json.dumps(name), (r["Type"], logical_id, name)
        retained.append(r["Type"])
    if env == "prod":
        assert retained == ["AWS::Logs::LogGroup", "AWS::Logs::LogGroup"]  # Glue's error and output groups
    else:
        assert retained == []
    # The resources with fixed names exist and are deleted with the stack.
    template = synthesized.templates[env]
    for type_ in ("AWS::Glue::Database", "AWS::Athena::WorkGroup", "AWS::Glue::SecurityConfiguration"):
        _, resource = only(template, type_)
        assert resource.get("DeletionPolicy", "Delete") == "Delete", type_
    _, workgroup = only(template, "AWS::Athena::WorkGroup")
    assert workgroup["Properties"]["RecursiveDeleteOption"] is True


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
    if env == "prod":  # encryption: customer-managed
        assert results["EncryptionConfiguration"] == {
            "EncryptionOption": "SSE_KMS",
            "KmsKey": {"Fn::GetAtt": [logical_id_of(stack, stack.storage.key), "Arn"]},
        }
    else:  # aws-managed
        assert results["EncryptionConfiguration"] == {"EncryptionOption": "SSE_S3"}
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


def test_no_crawler(synthesized):
    for env in ENVS:
        assert not resources(synthesized.templates[env], "AWS::Glue::Crawler")
