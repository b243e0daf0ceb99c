"""Defects that only AWS would show, read off the synthesized templates: S3's 404-versus-403 rule, KMS for
the Scheduler's encrypted dead-letter queue, the placeholder secret, the reserved concurrency switch."""

from __future__ import annotations

import json

import pytest

from tests.infra.conftest import cdk_context, logical_id_of, only, resources
from tests.infra.test_template import as_list, role_statements

ENVS = ("dev", "prod")


def list_statements(template: dict) -> list[dict]:
    found = []
    for policy in resources(template, "AWS::IAM::Policy").values():
        found += [
            s for s in policy["Properties"]["PolicyDocument"]["Statement"] if "s3:ListBucket" in as_list(s["Action"])
        ]
    return found


@pytest.mark.parametrize("env", ENVS)
def test_every_list_grant_lets_a_missing_key_read_as_404(synthesized, env):
    # S3 checks s3:ListBucket WITHOUT an s3:prefix key to decide 404 versus 403 for a missing key: a plain
    # StringLike on s3:prefix fails that check; StringLikeIfExists passes it and still bounds list requests.
    stmts = list_statements(synthesized.templates[env])
    for s in stmts:
        assert list(s["Condition"]) == ["StringLikeIfExists"], s
        assert list(s["Condition"]["StringLikeIfExists"]) == ["s3:prefix"], s
    flat = sorted(p for s in stmts for p in as_list(s["Condition"]["StringLikeIfExists"]["s3:prefix"]))
    assert flat == ["_runs/*", "_runs/curate-*", "_state/*", "curated/*", "raw/*", "results/*"]


@pytest.mark.parametrize("env", ENVS)
def test_readers_of_missing_state_hold_list_on_that_bucket(synthesized, env):
    stack = synthesized.stacks[env]
    template = synthesized.templates[env]
    cases = (
        (stack.ingestion.extractor.role, stack.storage.raw_bucket),  # cursors not written yet
        (stack.orchestration.quality_gate.role, stack.storage.curated_bucket),  # a run that wrote no summary
        (stack.processing.role, stack.storage.raw_bucket),  # exists() of raw/
        (stack.processing.role, stack.storage.curated_bucket),  # the manifest, catalog documents, _runs
    )
    for role, bucket in cases:
        stmts = role_statements(template, logical_id_of(stack, role))
        bucket_arn = {"Fn::GetAtt": [logical_id_of(stack, bucket), "Arn"]}
        assert [s for s in stmts if s["Action"] == "s3:ListBucket" and s["Resource"] == bucket_arn], role


def test_scheduler_role_can_encrypt_into_its_kms_dead_letter_queue(synthesized):
    stack = synthesized.stacks["prod"]
    template = synthesized.templates["prod"]
    [schedule] = [
        r
        for r in resources(template, "AWS::Scheduler::Schedule").values()
        if "DeadLetterConfig" in r["Properties"]["Target"]
    ]
    role_arn = schedule["Properties"]["Target"]["RoleArn"]
    stmts = role_statements(template, role_arn["Fn::GetAtt"][0])
    key = {"Fn::GetAtt": [logical_id_of(stack, stack.storage.key), "Arn"]}
    kms = {a for s in stmts if key in as_list(s["Resource"]) for a in as_list(s["Action"])}
    assert {"kms:GenerateDataKey", "kms:Decrypt"} <= kms
    queue = {"Fn::GetAtt": [logical_id_of(stack, stack.ingestion.failed_invocations), "Arn"]}
    assert "sqs:SendMessage" in {a for s in stmts if queue in as_list(s["Resource"]) for a in as_list(s["Action"])}
    # aws-managed: the queue uses SSE-SQS, which needs no key permission.
    _, dev_queue = only(synthesized.templates["dev"], "AWS::SQS::Queue")
    assert dev_queue["Properties"]["SqsManagedSseEnabled"] is True
    assert "KmsMasterKeyId" not in dev_queue["Properties"]


@pytest.mark.parametrize("env", ENVS)
def test_the_secret_starts_as_a_document_without_listeners(synthesized, env):
    from extraction.credentials import parse_secret
    from stacks.ingestion import PLACEHOLDER_SECRET

    _, secret = only(synthesized.templates[env], "AWS::SecretsManager::Secret")
    generator = secret["Properties"]["GenerateSecretString"]
    assert json.loads(generator["SecretStringTemplate"]) == {"client_id": "", "client_secret": "", "listeners": []}
    assert generator["GenerateStringKey"] == "placeholder"
    # what Secrets Manager will store parses as "no listener authorized yet"
    stored = json.dumps({**PLACEHOLDER_SECRET, "placeholder": "x" * 32})
    assert parse_secret(stored, "secret").listeners == ()
    # aws-managed: the aws/secretsmanager key (no KmsKeyId); customer-managed: the lake key
    assert ("KmsKeyId" in secret["Properties"]) == (env == "prod")


@pytest.mark.synth
def test_reserved_concurrency_is_set_only_when_configured(tmp_path):
    from stacks.app import build_app

    context = cdk_context(env="dev")
    context["spotify-lake:environments"]["dev"]["extractor_reserved_concurrency"] = 2
    app, [stack] = build_app(context, outdir=str(tmp_path))
    app.synth()
    template = json.loads((tmp_path / "SpotifyLake-dev.template.json").read_text())
    fn = template["Resources"][logical_id_of(stack, stack.ingestion.extractor.function)]["Properties"]
    assert fn["ReservedConcurrentExecutions"] == 2
