"""Specific properties of the synthesized templates: encryption, access, schedules, Glue, Athena, retention."""

from __future__ import annotations

import json

import pytest
from aws_cdk.assertions import Match

from extraction.config import SOURCES
from tests.infra.conftest import logical_id_of, only, resources

ENVS = ("dev", "prod")


def statements(template: dict, policy_logical_id: str) -> list[dict]:
    return template["Resources"][policy_logical_id]["Properties"]["PolicyDocument"]["Statement"]


def role_statements(template: dict, role_logical_id: str) -> list[dict]:
    """Statements of every inline policy attached to ``role_logical_id``."""
    found = []
    for policy in resources(template, "AWS::IAM::Policy").values():
        if {"Ref": role_logical_id} in policy["Properties"]["Roles"]:
            found += policy["Properties"]["PolicyDocument"]["Statement"]
    return found


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def actions_on(stmts: list[dict], resource_fragment: str) -> set[str]:
    """Actions granted on any resource whose JSON mentions ``resource_fragment``."""
    found = set()
    for s in stmts:
        if any(resource_fragment in json.dumps(r) for r in as_list(s["Resource"])):
            found |= set(as_list(s["Action"]))
    return found


# -- storage --------------------------------------------------------------------------------------------


def test_prod_has_one_customer_managed_key_with_rotation_and_dev_none(synthesized):
    # prod: encryption customer-managed; dev: aws-managed (no $1 a month key)
    _, key = only(synthesized.templates["prod"], "AWS::KMS::Key")
    assert key["Properties"]["EnableKeyRotation"] is True
    assert not resources(synthesized.templates["dev"], "AWS::KMS::Key")
    assert synthesized.stacks["dev"].storage.key is None


@pytest.mark.parametrize("env", ENVS)
def test_data_buckets_use_the_lake_key_or_sse_s3_and_access_logs_use_sse_s3(synthesized, env):
    stack = synthesized.stacks[env]
    template = synthesized.templates[env]
    storage = stack.storage
    for bucket in (storage.raw_bucket, storage.curated_bucket, storage.athena_results_bucket):
        props = template["Resources"][logical_id_of(stack, bucket)]["Properties"]
        rule = props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
        if env == "prod":
            key_id = logical_id_of(stack, stack.storage.key)
            assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
            assert rule["ServerSideEncryptionByDefault"]["KMSMasterKeyID"] == {"Fn::GetAtt": [key_id, "Arn"]}
        else:
            assert rule["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
        assert props["LoggingConfiguration"]["DestinationBucketName"] == {
            "Ref": logical_id_of(stack, storage.access_logs_bucket)
        }
    logs = template["Resources"][logical_id_of(stack, storage.access_logs_bucket)]["Properties"]
    assert logs["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "AES256"
    }


@pytest.mark.parametrize("env", ENVS)
def test_every_bucket_blocks_public_access_and_denies_plain_http(synthesized, env):
    template = synthesized.templates[env]
    buckets = resources(template, "AWS::S3::Bucket")
    assert len(buckets) == 4
    for props in (b["Properties"] for b in buckets.values()):
        assert props["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }
    tls_denied = set()
    for policy in resources(template, "AWS::S3::BucketPolicy").values():
        for s in policy["Properties"]["PolicyDocument"]["Statement"]:
            if s["Effect"] == "Deny" and s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}:
                tls_denied.add(policy["Properties"]["Bucket"]["Ref"])
    assert tls_denied == set(buckets)


@pytest.mark.parametrize(("env", "ia_days", "results_days"), [("dev", 30, 7), ("prod", 90, 30)])
def test_raw_is_versioned_and_lifecycle_follows_the_environment(synthesized, env, ia_days, results_days):
    stack = synthesized.stacks[env]
    template = synthesized.templates[env]
    raw = template["Resources"][logical_id_of(stack, stack.storage.raw_bucket)]["Properties"]
    assert raw["VersioningConfiguration"] == {"Status": "Enabled"}
    to_ia = next(r for r in raw["LifecycleConfiguration"]["Rules"] if r["Id"] == "raw-to-infrequent-access")
    assert to_ia["Prefix"] == "raw/"
    assert to_ia["Transitions"] == [{"StorageClass": "STANDARD_IA", "TransitionInDays": ia_days}]
    results = template["Resources"][logical_id_of(stack, stack.storage.athena_results_bucket)]["Properties"]
    assert results["LifecycleConfiguration"]["Rules"][0]["ExpirationInDays"] == results_days
    curated = template["Resources"][logical_id_of(stack, stack.storage.curated_bucket)]["Properties"]
    assert "VersioningConfiguration" not in curated


@pytest.mark.parametrize(("env", "policy"), [("dev", "Delete"), ("prod", "Retain")])
def test_data_is_retained_unless_the_environment_allows_destroy(synthesized, env, policy):
    template = synthesized.templates[env]
    for type_ in ("AWS::S3::Bucket", "AWS::KMS::Key", "AWS::SecretsManager::Secret", "AWS::Logs::LogGroup"):
        for logical_id, r in resources(template, type_).items():
            assert r["DeletionPolicy"] == policy, (type_, logical_id)
    auto_delete = resources(template, "Custom::S3AutoDeleteObjects")
    assert (len(auto_delete) == 4) if policy == "Delete" else not auto_delete


@pytest.mark.parametrize(("env", "days"), [("dev", 14), ("prod", 365)])
def test_log_groups_are_encrypted_and_keep_logs_as_configured(synthesized, env, days):
    groups = resources(synthesized.templates[env], "AWS::Logs::LogGroup")
    assert len(groups) == 5  # extractor, quality gate, state machine, Glue's error and output
    for g in groups.values():
        assert g["Properties"]["RetentionInDays"] == days
        # customer-managed: the lake key; aws-managed: CloudWatch Logs' default encryption
        assert ("KmsKeyId" in g["Properties"]) == (env == "prod")


@pytest.mark.parametrize("env", ENVS)
def test_glue_writes_its_logs_into_the_stacks_own_groups(synthesized, env):
    # Glue 5.0 names its groups <--custom-logGroup-prefix>/error and /output; the stack creates exactly those.
    stack = synthesized.stacks[env]
    template = synthesized.templates[env]
    _, job = only(template, "AWS::Glue::Job")
    prefix = job["Properties"]["DefaultArguments"]["--custom-logGroup-prefix"]
    assert prefix == {
        "Fn::Join": [
            "",
            [f"/aws-glue/spotify-lake-{env}-", {"Fn::Select": [2, {"Fn::Split": ["/", {"Ref": "AWS::StackId"}]}]}],
        ]
    }
    for kind, group in stack.processing.log_groups.items():
        props = template["Resources"][logical_id_of(stack, group)]["Properties"]
        assert props["LogGroupName"] == {"Fn::Join": ["/", [prefix, kind]]}
    stmts = role_statements(template, logical_id_of(stack, stack.processing.role))
    log_actions = {a for s in stmts for a in as_list(s["Action"]) if a.startswith("logs:")}
    assert log_actions == {"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"} | (
        {"logs:AssociateKmsKey"} if env == "prod" else set()
    )
    # only on the two groups, nowhere else under /aws-glue/
    assert not [s for s in stmts if "/aws-glue/" in json.dumps(s["Resource"])]


# -- least privilege --------------------------------------------------------------------------------------


@pytest.mark.parametrize("env", ENVS)
def test_no_policy_grants_wildcard_actions_on_data_services(synthesized, env):
    stack = synthesized.stacks[env]
    key = stack.storage.key
    lake_key = {"Fn::GetAtt": [logical_id_of(stack, key), "Arn"]} if key is not None else "no key"
    for policy in resources(synthesized.templates[env], "AWS::IAM::Policy").values():
        for s in policy["Properties"]["PolicyDocument"]["Statement"]:
            for action in as_list(s["Action"]):
                assert action != "*"
                service, _, name = action.partition(":")
                if "*" not in name or service not in ("s3", "kms", "glue", "athena", "secretsmanager", "sns"):
                    continue
                if service == "s3":
                    # CDK's asset-read grant (s3:GetObject*, List*) on the bootstrap asset bucket only.
                    assert all("cdk-hnb659fds-assets" in json.dumps(r) for r in as_list(s["Resource"])), s
                else:
                    # CDK's grants for the encrypted queue and topic (GenerateDataKey*, ReEncrypt*): lake key only.
                    assert service == "kms", s
                    assert as_list(s["Resource"]) == [lake_key], s


def test_extractor_writes_raw_and_state_and_reads_only_its_secret(synthesized):
    stack = synthesized.stacks["dev"]
    template = synthesized.templates["dev"]
    stmts = role_statements(template, logical_id_of(stack, stack.ingestion.extractor.role))
    raw = logical_id_of(stack, stack.storage.raw_bucket)
    curated = logical_id_of(stack, stack.storage.curated_bucket)
    by_resource = {}
    for s in stmts:
        for r in as_list(s["Resource"]):
            by_resource.setdefault(json.dumps(r, sort_keys=True), set()).update(as_list(s["Action"]))
    raw_objects = json.dumps({"Fn::Join": ["", [{"Fn::GetAtt": [raw, "Arn"]}, "/raw/*"]]}, sort_keys=True)
    state_objects = json.dumps({"Fn::Join": ["", [{"Fn::GetAtt": [raw, "Arn"]}, "/_state/*"]]}, sort_keys=True)
    runs = json.dumps({"Fn::Join": ["", [{"Fn::GetAtt": [curated, "Arn"]}, "/_runs/extract-*"]]}, sort_keys=True)
    assert by_resource[raw_objects] == {"s3:PutObject"}
    assert by_resource[state_objects] == {"s3:GetObject", "s3:PutObject"}
    assert by_resource[runs] == {"s3:PutObject"}
    # Nothing under curated/ and no Delete anywhere.
    assert not actions_on(stmts, "/curated/")
    assert not any("Delete" in a for s in stmts for a in as_list(s["Action"]))
    secret = logical_id_of(stack, stack.ingestion.secret)
    assert actions_on(stmts, secret) == {"secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"}


@pytest.mark.parametrize("env", ENVS)
def test_glue_reads_raw_and_writes_curated(synthesized, env):
    stack = synthesized.stacks[env]
    template = synthesized.templates[env]
    stmts = role_statements(template, logical_id_of(stack, stack.processing.role))
    raw = logical_id_of(stack, stack.storage.raw_bucket)
    curated = logical_id_of(stack, stack.storage.curated_bucket)
    assert actions_on(stmts, "/raw/*") == {"s3:GetObject"}
    # Publishing writes fresh run prefixes and deletes superseded versions and killed runs' prefixes.
    assert actions_on(stmts, "/curated/*") == {"s3:GetObject", "s3:PutObject", "s3:DeleteObject"}
    # Run summaries are one PUT: no delete under _runs/.
    assert actions_on(stmts, "/_runs/*") == {"s3:GetObject", "s3:PutObject"}
    # Hadoop's exists() HEADs the directory keys themselves.
    exact = {
        json.dumps(r, sort_keys=True)
        for s in stmts
        if as_list(s["Action"]) == ["s3:GetObject"]
        for r in as_list(s["Resource"])
        if not json.dumps(r).endswith('*"]]}')
    }
    assert exact == {
        json.dumps({"Fn::Join": ["", [{"Fn::GetAtt": [bucket, "Arn"]}, f"/{key}"]]}, sort_keys=True)
        for bucket, key in ((raw, "raw"), (curated, "curated"), (curated, "_runs"))
    }
    # The Glue catalog: exactly the publish actions, on the catalog, this database and its tables.
    [catalog] = [s for s in stmts if any(a.startswith("glue:") for a in as_list(s["Action"]))]
    assert set(catalog["Action"]) == {
        "glue:GetTable", "glue:UpdateTable", "glue:GetPartitions",
        "glue:BatchCreatePartition", "glue:BatchUpdatePartition", "glue:BatchDeletePartition",
    }  # fmt: skip
    database = f"spotify_lake_{env}"
    assert [json.dumps(r).split(":glue:")[1] for r in catalog["Resource"]] == [
        '", {"Ref": "AWS::Region"}, ":", {"Ref": "AWS::AccountId"}, ":catalog"]]}',
        f'", {{"Ref": "AWS::Region"}}, ":", {{"Ref": "AWS::AccountId"}}, ":database/{database}"]]}}',
        f'", {{"Ref": "AWS::Region"}}, ":", {{"Ref": "AWS::AccountId"}}, ":table/{database}/*"]]}}',
    ]
    assert not actions_on(stmts, "/_state/")
    assert not actions_on(stmts, logical_id_of(stack, stack.storage.athena_results_bucket))


def test_state_machine_writes_query_results_only_in_the_results_bucket(synthesized):
    stack = synthesized.stacks["dev"]
    template = synthesized.templates["dev"]
    role = stack.orchestration.state_machine.role
    stmts = role_statements(template, logical_id_of(stack, role))
    for bucket in (stack.storage.raw_bucket, stack.storage.curated_bucket):
        assert not actions_on(stmts, logical_id_of(stack, bucket))
    assert actions_on(stmts, "/results/*") == {"s3:GetObject", "s3:PutObject"}


# -- ingestion ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("env", "timeout"), [("dev", 600), ("prod", 900)])
def test_extractor_lambda(synthesized, env, timeout):
    stack = synthesized.stacks[env]
    template = synthesized.templates[env]
    fn = template["Resources"][logical_id_of(stack, stack.ingestion.extractor.function)]["Properties"]
    assert fn["Architectures"] == ["arm64"]
    assert fn["Runtime"] == "python3.13"
    assert fn["Handler"] == "extraction.handler.lambda_handler"
    assert fn["Timeout"] == timeout
    # No reservation by default: Lambda refuses one that leaves less than the account minimum unreserved.
    assert "ReservedConcurrentExecutions" not in fn
    assert fn["TracingConfig"] == {"Mode": "Active"}
    env_vars = fn["Environment"]["Variables"]
    assert env_vars["RAW_BUCKET"] == {"Ref": logical_id_of(stack, stack.storage.raw_bucket)}
    assert env_vars["RUNS_BUCKET"] == {"Ref": logical_id_of(stack, stack.storage.curated_bucket)}
    assert env_vars["SECRET_ID"] == {"Ref": logical_id_of(stack, stack.ingestion.secret)}
    assert env_vars["SPOTIFY_MODE_HINT"] == "development"
    _, invoke_config = only(template, "AWS::Lambda::EventInvokeConfig")
    # A failed scheduled run is an event on the default bus (Monitoring's rule makes it one alert).
    assert invoke_config["Properties"]["DestinationConfig"]["OnFailure"]["Destination"] == {
        "Fn::Join": [
            "",
            ["arn:", {"Ref": "AWS::Partition"}, ":events:", {"Ref": "AWS::Region"}, ":", {"Ref": "AWS::AccountId"},
             ":event-bus/default"],
        ]
    }  # fmt: skip
    assert invoke_config["Properties"]["MaximumRetryAttempts"] == 0


def test_extractor_environment_matches_what_the_extractor_reads(synthesized):
    from extraction.config import ExtractorConfig

    stack = synthesized.stacks["prod"]
    env_vars = synthesized.templates["prod"]["Resources"][logical_id_of(stack, stack.ingestion.extractor.function)][
        "Properties"
    ]["Environment"]["Variables"]
    # Tokens become placeholder strings: the extractor's own validation must accept the rest as deployed.
    concrete = {k: v if isinstance(v, str) else f"resolved-{k.lower()}" for k, v in env_vars.items()}
    config = ExtractorConfig.from_environment(concrete)
    assert config.raw_bucket == "resolved-raw_bucket"
    assert config.mode_hint == "development"
    assert [s.q for s in config.searches] == ["genre:pop", "genre:rock"]
    # cdk.json's backfill budget for prod; the daily run (an event without sources) includes the backfill.
    assert (config.backfill_requests_per_run, config.backfill_requests_per_day) == (300, 1000)
    assert "backfill" in (config.sources or SOURCES)


@pytest.mark.parametrize(("env", "minutes"), [("dev", 30), ("prod", 30)])
def test_frequent_extraction_schedule(synthesized, env, minutes):
    stack = synthesized.stacks[env]
    schedule = synthesized.templates[env]["Resources"][logical_id_of(stack, stack.ingestion.schedule)]
    props = schedule["Properties"]
    assert props["ScheduleExpression"] == f"rate({minutes} minutes)"
    assert props["Target"]["Arn"] == {"Fn::GetAtt": [logical_id_of(stack, stack.ingestion.extractor.function), "Arn"]}
    # Every 30 minutes only what Spotify forgets; snapshots come from the daily pipeline run, once a day.
    event = json.loads(props["Target"]["Input"])
    assert event["sources"] == ["recently_played", "catalogue"]
    assert set(event["sources"]) <= set(SOURCES)


@pytest.mark.parametrize(("env", "cron"), [("dev", "cron(30 4 * * ? *)"), ("prod", "cron(0 5 * * ? *)")])
def test_daily_pipeline_schedule_has_the_time_zone(synthesized, env, cron):
    stack = synthesized.stacks[env]
    props = synthesized.templates[env]["Resources"][logical_id_of(stack, stack.orchestration.daily_schedule)][
        "Properties"
    ]
    assert props["ScheduleExpression"] == cron
    assert props["ScheduleExpressionTimezone"] == "Europe/Berlin"
    assert props["Target"]["Arn"] == {"Ref": logical_id_of(stack, stack.orchestration.state_machine)}


# -- processing ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("env", "flex"), [("dev", True), ("prod", False)])
def test_glue_job_is_glue_5_with_security_configuration(synthesized, env, flex):
    template = synthesized.template(env)
    template.has_resource_properties(
        "AWS::Glue::Job",
        {
            "GlueVersion": "5.0",
            "Command": {"Name": "glueetl", "PythonVersion": "3"},
            "WorkerType": "G.1X",
            "NumberOfWorkers": 2,
            "ExecutionClass": "FLEX" if flex else Match.absent(),
            "SecurityConfiguration": Match.any_value(),
            "DefaultArguments": Match.object_like(
                {
                    "--raw_root": Match.any_value(),
                    "--curated_root": Match.any_value(),
                    "--runs_root": Match.any_value(),
                    "--glue_database": f"spotify_lake_{env}",
                    "--extra-py-files": Match.object_like({"Fn::Join": Match.any_value()}),
                }
            ),
        },
    )
    _, security = only(synthesized.templates[env], "AWS::Glue::SecurityConfiguration")
    encryption = security["Properties"]["EncryptionConfiguration"]
    # No CloudWatch encryption: the job logs into the stack's own (encrypted when a key exists) log groups.
    assert "CloudWatchEncryption" not in encryption
    if env == "prod":
        assert encryption["S3Encryptions"][0]["S3EncryptionMode"] == "SSE-KMS"
        assert encryption["JobBookmarksEncryption"]["JobBookmarksEncryptionMode"] == "CSE-KMS"
    else:
        assert encryption == {"S3Encryptions": [{"S3EncryptionMode": "SSE-S3"}]}


def test_glue_job_arguments_are_the_ones_the_script_reads(synthesized):
    from pathlib import Path

    from lake_contract.settings import ARGUMENT_NAMES, CurateArguments

    script = (Path(__file__).resolve().parents[2] / "glue" / "jobs" / "curate.py").read_text()
    _, job = only(synthesized.templates["prod"], "AWS::Glue::Job")
    arguments = job["Properties"]["DefaultArguments"]
    ours = {k: v for k, v in arguments.items() if k.removeprefix("--") in ARGUMENT_NAMES}
    assert sorted(ours) == ["--curated_root", "--glue_database", "--raw_root", "--runs_root"]
    # Tokens become placeholder strings: the job's own model must read the rest as deployed.
    concrete = {k: v if isinstance(v, str) else f"s3://resolved{k}" for k, v in ours.items()}
    parsed = CurateArguments.from_arguments(concrete)
    assert parsed.roots() == ("s3://resolved--raw_root", "s3://resolved--curated_root", "s3://resolved--runs_root")
    assert parsed.glue_database == "spotify_lake_prod"
    assert "CurateArguments.from_arguments" in script


def test_curation_package_asset_has_the_package_at_its_root(synthesized):
    stack = synthesized.stacks["dev"]
    asset = stack.processing.curation_package
    staged = synthesized.outdir / f"asset.{asset.asset_hash}"
    names = {p.relative_to(staged).as_posix() for p in staged.rglob("*.py")}
    assert "curation/schema.py" in names
    assert "curation/__init__.py" in names
    assert not any(n.startswith(("jobs/", "curation/__pycache__")) for n in names)


def test_contract_package_asset_has_the_contract_at_its_root(synthesized):
    stack = synthesized.stacks["dev"]
    staged = synthesized.outdir / f"asset.{stack.processing.contract_package.asset_hash}"
    names = {p.relative_to(staged).as_posix() for p in staged.rglob("*") if p.is_file()}
    assert "lake_contract/__init__.py" in names
    assert all(n.startswith("lake_contract/") and "__pycache__" not in n for n in names), names
    _, job = only(synthesized.templates["dev"], "AWS::Glue::Job")
    extra = json.dumps(job["Properties"]["DefaultArguments"]["--extra-py-files"])
    # Both zips on --extra-py-files (comma-separated): Glue puts each on the job's import path.
    for asset in (stack.processing.curation_package, stack.processing.contract_package):
        assert f"{asset.asset_hash}.zip" in extra, asset.node.id


def test_both_lambda_assets_ship_the_contract(synthesized):
    functions = [
        function
        for function in resources(synthesized.templates["dev"], "AWS::Lambda::Function").values()
        if function["Properties"].get("Handler", "").endswith("lambda_handler")
    ]
    assert len(functions) == 2, [f["Properties"]["Handler"] for f in functions]
    for function in functions:
        asset_hash = function["Properties"]["Code"]["S3Key"].removesuffix(".zip")
        staged = synthesized.outdir / f"asset.{asset_hash}"
        assert (staged / "lake_contract" / "__init__.py").is_file(), function["Properties"]["Handler"]
