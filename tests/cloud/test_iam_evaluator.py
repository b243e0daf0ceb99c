"""The IAM test's evaluator can fail: hand-written templates with known answers, one trap of AWS each.

Each case is a small CloudFormation template written here, not synthesized, so the expected decision is known
from AWS's documented behaviour alone (``/work/shared/AWS_FACTS.md``, "What fakes do not show").
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.cloud.calls import AwsCall
from tests.cloud.iam.evaluate import MISSING_KEY_403, Outcome, evaluate, requests_for
from tests.cloud.iam.platform import alarm_calls, log_group_calls
from tests.cloud.iam.template import ACCOUNT, REGION, TemplateModel, TemplateModelError

BUCKET = "unit-lake"
ROLE = "role:AppRole"
ROOT = {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::", {"Ref": "AWS::AccountId"}, ":root"]]}


def bucket(encryption: str = "cmk", *, bucket_key: bool = True) -> dict[str, dict]:
    """A bucket with the TLS-only Deny CDK's ``enforce_ssl`` writes; ``cmk``, ``aws`` (aws/s3) or ``sse-s3``."""
    default: dict[str, Any] = {"SSEAlgorithm": "AES256"}
    if encryption == "cmk":
        default = {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": {"Fn::GetAtt": ["Key", "Arn"]}}
    elif encryption == "aws":
        default = {"SSEAlgorithm": "aws:kms"}
    arn = {"Fn::GetAtt": ["Bucket", "Arn"]}
    return {
        "Bucket": {
            "Type": "AWS::S3::Bucket",
            "Properties": {
                "BucketName": BUCKET,
                "BucketEncryption": {
                    "ServerSideEncryptionConfiguration": [
                        {"ServerSideEncryptionByDefault": default, "BucketKeyEnabled": bucket_key}
                    ]
                },
            },
        },
        "BucketPolicy": {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {
                "Bucket": {"Ref": "Bucket"},
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Deny",
                            "Principal": {"AWS": "*"},
                            "Action": "s3:*",
                            "Resource": [arn, {"Fn::Join": ["", [arn, "/*"]]}],
                            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                        }
                    ],
                },
            },
        },
    }


def key(*, delegate_to_iam: bool = True) -> dict[str, dict]:
    statements = [{"Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": "kms:*", "Resource": "*"}]
    if not delegate_to_iam:  # a key policy naming one administrator only: IAM policies grant nothing
        admin = f"arn:aws:iam::{ACCOUNT}:role/KeyAdmin"
        statements = [{"Effect": "Allow", "Principal": {"AWS": admin}, "Action": "kms:*", "Resource": "*"}]
    return {"Key": {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": {"Statement": statements}}}}


def role(*statements: dict) -> dict[str, dict]:
    return {
        "AppRole": {"Type": "AWS::IAM::Role", "Properties": {"RoleName": "app"}},
        "AppPolicy": {
            "Type": "AWS::IAM::Policy",
            "Properties": {
                "PolicyName": "app",
                "Roles": [{"Ref": "AppRole"}],
                "PolicyDocument": {"Version": "2012-10-17", "Statement": list(statements)},
            },
        },
    }


def allow(actions: list[str], resource: Any, condition: dict | None = None) -> dict:
    statement = {"Effect": "Allow", "Action": actions, "Resource": resource}
    if condition:
        statement["Condition"] = condition
    return statement


def objects(prefix: str) -> str:
    return f"arn:aws:s3:::{BUCKET}/{prefix}*"


KEY_USE = allow(["kms:Decrypt", "kms:GenerateDataKey"], {"Fn::GetAtt": ["Key", "Arn"]})


def run(resources: dict[str, dict], calls: list[AwsCall]) -> list[Outcome]:
    model = TemplateModel("unit", "Unit", {"Resources": resources}, {})
    return evaluate(requests_for(calls, model), {"unit": model})


def decisions(outcomes: list[Outcome]) -> dict[tuple[str, str], str]:
    return {(o.request.action, o.request.because): o.decision for o in outcomes}


def test_prefix_conditioned_list_turns_a_missing_key_into_403():
    resources = (
        bucket()
        | key()
        | role(
            allow(["s3:GetObject", "s3:PutObject"], objects("_state/")),
            allow(["s3:ListBucket"], f"arn:aws:s3:::{BUCKET}", {"StringLike": {"s3:prefix": ["_state/*"]}}),
            KEY_USE,
        )
    )
    missing = AwsCall(ROLE, "s3:GetObject", f"arn:aws:s3:::{BUCKET}/_state/cursor.json", "unit:read", missing=True)
    outcomes = run(resources, [missing])
    assert [o.request.action for o in outcomes] == ["s3:GetObject", "s3:ListBucket"]  # no KMS: nothing to decrypt
    get, check = outcomes
    assert get.decision == "Allowed"
    assert check.decision == "ImplicitlyDenied"
    assert check.explanation.startswith(MISSING_KEY_403)
    assert check.request.context == {}  # the 404 check carries no s3:prefix


def test_list_with_string_like_if_exists_lets_a_missing_key_be_404():
    resources = (
        bucket()
        | key()
        | role(
            allow(["s3:GetObject"], objects("_state/")),
            allow(["s3:ListBucket"], f"arn:aws:s3:::{BUCKET}", {"StringLikeIfExists": {"s3:prefix": ["_state/*"]}}),
        )
    )
    listing = AwsCall(ROLE, "s3:ListBucket", f"arn:aws:s3:::{BUCKET}", "unit:list", {"s3:prefix": "raw/"})
    missing = AwsCall(ROLE, "s3:GetObject", f"arn:aws:s3:::{BUCKET}/_state/cursor.json", "unit:read", missing=True)
    outcomes = run(resources, [missing, listing])
    assert [o.decision for o in outcomes] == ["Allowed", "Allowed", "ImplicitlyDenied"]
    assert outcomes[2].request.context == {"s3:prefix": "raw/"}  # a real list of another prefix stays denied


def test_rename_by_copy_and_delete_needs_delete_object():
    resources = bucket("sse-s3") | role(allow(["s3:GetObject", "s3:PutObject"], objects("_runs/")))
    source = f"arn:aws:s3:::{BUCKET}/_runs/curate-1.json.tmp"
    calls = [
        AwsCall(ROLE, "s3:PutObject", source, "unit:write_temp"),
        AwsCall(
            ROLE,
            "s3:CopyObject",
            f"arn:aws:s3:::{BUCKET}/_runs/curate-1.json",
            "unit:rename",
            {"s3:x-amz-copy-source": f"{BUCKET}/_runs/curate-1.json.tmp"},
        ),
        AwsCall(ROLE, "s3:DeleteObject", source, "unit:rename"),
    ]
    outcomes = run(resources, calls)
    assert [(o.request.action, o.request.resource.rsplit("/", 1)[1], o.decision) for o in outcomes] == [
        ("s3:PutObject", "curate-1.json.tmp", "Allowed"),
        ("s3:GetObject", "curate-1.json.tmp", "Allowed"),  # the copy's source read
        ("s3:PutObject", "curate-1.json", "Allowed"),
        ("s3:DeleteObject", "curate-1.json.tmp", "ImplicitlyDenied"),
    ]
    assert outcomes[3].explanation == "no statement allows"
    assert outcomes[3].request.origin == "unit:rename"


def _topic(*statements: dict) -> dict[str, dict]:
    tls_deny = {
        "Sid": "AllowPublishThroughSSLOnly",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "sns:Publish",
        "Resource": {"Ref": "Topic"},
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    return {
        "Topic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "alerts"}},
        "TopicPolicy": {
            "Type": "AWS::SNS::TopicPolicy",
            "Properties": {
                "Topics": [{"Ref": "Topic"}],
                "PolicyDocument": {"Version": "2012-10-17", "Statement": [tls_deny, *statements]},
            },
        },
        "Alarm": {"Type": "AWS::CloudWatch::Alarm", "Properties": {"AlarmActions": [{"Ref": "Topic"}]}},
    }


def _alarm_outcome(resources: dict[str, dict]) -> Outcome:
    model = TemplateModel("unit", "Unit", {"Resources": resources}, {})
    calls = alarm_calls(model)
    assert [(c.principal, c.action) for c in calls] == [("service:cloudwatch.amazonaws.com", "sns:Publish")]
    [outcome] = evaluate(requests_for(calls, model), {"unit": model})
    return outcome


def test_alarm_cannot_publish_to_a_topic_whose_policy_is_only_the_tls_deny():
    outcome = _alarm_outcome(_topic())
    assert outcome.decision == "ImplicitlyDenied"
    assert "allows the service principal" in outcome.explanation


def test_alarm_publishes_when_the_topic_allows_cloudwatch_for_its_alarms_only():
    def allow_alarms(pattern: str) -> dict:
        return {
            "Sid": "CloudWatchAlarms",
            "Effect": "Allow",
            "Principal": {"Service": "cloudwatch.amazonaws.com"},
            "Action": "sns:Publish",
            "Resource": {"Ref": "Topic"},
            "Condition": {"ArnLike": {"aws:SourceArn": pattern}},
        }

    allowed = _alarm_outcome(_topic(allow_alarms(f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:*")))
    assert allowed.decision == "Allowed"
    assert allowed.deciding == ("Sid CloudWatchAlarms of resource policy TopicPolicy",)
    other_account = _alarm_outcome(_topic(allow_alarms(f"arn:aws:cloudwatch:{REGION}:999999999999:alarm:*")))
    assert other_account.decision == "ImplicitlyDenied"


def _queue_send(*statements: dict) -> list[Outcome]:
    resources = key() | role(*statements)
    resources["Queue"] = {
        "Type": "AWS::SQS::Queue",
        "Properties": {"QueueName": "failures", "KmsMasterKeyId": {"Fn::GetAtt": ["Key", "Arn"]}},
    }
    queue = f"arn:aws:sqs:{REGION}:{ACCOUNT}:failures"
    return run(resources, [AwsCall(ROLE, "sqs:SendMessage", queue, "unit:dead_letter")])


def test_sending_to_a_kms_queue_without_key_grants_is_denied():
    outcomes = _queue_send(allow(["sqs:SendMessage"], f"arn:aws:sqs:{REGION}:{ACCOUNT}:failures"))
    assert [(o.request.action, o.decision) for o in outcomes] == [
        ("sqs:SendMessage", "Allowed"),
        ("kms:GenerateDataKey", "ImplicitlyDenied"),
        ("kms:Decrypt", "ImplicitlyDenied"),
    ]
    context = outcomes[1].request.context
    assert context["kms:ViaService"] == f"sqs.{REGION}.amazonaws.com"
    assert context["kms:EncryptionContext:aws:sqs:arn"] == f"arn:aws:sqs:{REGION}:{ACCOUNT}:failures"


def test_sending_to_a_kms_queue_with_key_grants_is_allowed():
    outcomes = _queue_send(allow(["sqs:SendMessage"], f"arn:aws:sqs:{REGION}:{ACCOUNT}:failures"), KEY_USE)
    assert [o.decision for o in outcomes] == ["Allowed"] * 3


def test_kms_via_s3_uses_the_bucket_key_context_and_the_key_policy():
    calls = [AwsCall(ROLE, "s3:PutObject", f"arn:aws:s3:::{BUCKET}/raw/a.json", "unit:write")]
    write = allow(["s3:PutObject"], objects("raw/"))
    delegated = run(bucket() | key() | role(write, KEY_USE), calls)
    assert [o.decision for o in delegated] == ["Allowed", "Allowed"]
    assert delegated[1].request.context["kms:EncryptionContext:aws:s3:arn"] == f"arn:aws:s3:::{BUCKET}"
    per_object = run(bucket(bucket_key=False) | key() | role(write, KEY_USE), calls)
    assert per_object[1].request.context["kms:EncryptionContext:aws:s3:arn"] == f"arn:aws:s3:::{BUCKET}/raw/a.json"
    # The identity grant is worthless when the key policy does not let IAM policies grant use of the key.
    not_delegated = run(bucket() | key(delegate_to_iam=False) | role(write, KEY_USE), calls)
    assert [o.decision for o in not_delegated] == ["Allowed", "ImplicitlyDenied"]
    assert "key policy" in not_delegated[1].explanation
    # aws/s3 lets every principal of the account use it through S3, with no grant in the role.
    managed = run(bucket("aws") | role(write), calls)
    assert [o.decision for o in managed] == ["Allowed", "Allowed"]
    assert managed[1].request.resource.startswith(f"arn:aws:kms:{REGION}:{ACCOUNT}:key/aws-managed-s3-")


def test_the_tls_deny_is_evaluated_first():
    resources = bucket("sse-s3") | role(allow(["s3:GetObject"], objects("")))
    plain_http = AwsCall(
        ROLE, "s3:GetObject", f"arn:aws:s3:::{BUCKET}/a", "unit:read", {"aws:SecureTransport": "false"}
    )
    tls = AwsCall(ROLE, "s3:GetObject", f"arn:aws:s3:::{BUCKET}/a", "unit:read")
    denied, allowed = run(resources, [plain_http, tls])
    assert denied.decision == "ExplicitlyDenied"
    assert denied.explanation == "explicitly denied by statement #1 of resource policy BucketPolicy"
    assert allowed.decision == "Allowed"


def _log_group_key_use(account_pattern: str) -> list[Outcome]:
    """CloudWatch Logs using a log group's key, against a key policy conditioned on the encryption context."""
    logs_statement = {
        "Sid": "CloudWatchLogs",
        "Effect": "Allow",
        "Principal": {"Service": f"logs.{REGION}.amazonaws.com"},
        "Action": ["kms:Decrypt*", "kms:GenerateDataKey*"],
        "Resource": "*",
        "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:{REGION}:{account_pattern}:*"}},
    }
    root = {"Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": "kms:*", "Resource": "*"}
    resources = {
        "Key": {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": {"Statement": [root, logs_statement]}}},
        "Logs": {
            "Type": "AWS::Logs::LogGroup",
            "Properties": {"LogGroupName": "/unit/app", "KmsKeyId": {"Fn::GetAtt": ["Key", "Arn"]}},
        },
    }
    model = TemplateModel("unit", "Unit", {"Resources": resources}, {})
    calls = log_group_calls(model)
    assert [c.context["kms:EncryptionContext:aws:logs:arn"] for c in calls] == [
        f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/unit/app"
    ] * 2
    return evaluate(requests_for(calls, model), {"unit": model})


def test_a_key_policy_condition_on_the_encryption_context_is_evaluated():
    # iam-simulate 0.1.173 drops kms:EncryptionContext:<key> during validation; simulate.mjs decides again.
    assert [o.decision for o in _log_group_key_use(ACCOUNT)] == ["Allowed", "Allowed"]
    assert [o.decision for o in _log_group_key_use("999999999999")] == ["ImplicitlyDenied", "ImplicitlyDenied"]


def test_an_aws_managed_policy_on_a_role_fails_loudly():
    resources = role(allow(["s3:GetObject"], objects("")))
    resources["AppRole"]["Properties"]["ManagedPolicyArns"] = ["arn:aws:iam::aws:policy/AdministratorAccess"]
    model = TemplateModel("unit", "Unit", {"Resources": resources}, {})
    with pytest.raises(TemplateModelError, match=r"AdministratorAccess, which is not in the template"):
        model.identity_policies("AppRole")
