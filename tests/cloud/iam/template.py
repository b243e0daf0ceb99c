"""A synthesized CloudFormation template as IAM sees it: concrete names, roles, identity and resource policies.

The IAM test evaluates requests against what CloudFormation would create, so every intrinsic function is
resolved here with a fixed account, region and partition. Physical names come from the explicit name
properties where the template sets them, otherwise they are derived deterministically from the logical id
(CloudFormation would generate one; any stable name evaluates the same way, because policies refer to
resources through the same intrinsics). Nothing here knows today's resources by logical id: placeholders
and principals are found by construct path (``Storage/RawBucket``), so the model follows the stacks as they
change, and a placeholder whose construct is absent (``lake_key`` with AWS-managed keys) resolves to None.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ACCOUNT = "123456789012"
REGION = "eu-west-1"
PARTITION = "aws"
URL_SUFFIX = "amazonaws.com"

#: Placeholder → construct path under the stack (the ``Resource``/``Table`` child is found by the model),
#: and which value of that resource the placeholder stands for.
PLACEHOLDERS: dict[str, tuple[str, str]] = {
    "raw": ("Storage/RawBucket", "name"),
    "curated": ("Storage/CuratedBucket", "name"),
    "athena_results": ("Storage/AthenaResultsBucket", "name"),
    "lake_key": ("Storage/LakeKey", "arn"),
    "secret": ("Ingestion/SpotifySecret", "arn"),
    "alerts": ("Orchestration/Alerts", "arn"),
    "extractor_failures": ("Ingestion/ExtractorFailures", "arn"),
    "extractor": ("Ingestion/Extractor/Function", "arn"),
    "quality_gate": ("Orchestration/QualityGate/Function", "arn"),
    "curate_job": ("Processing/CurateJob", "name"),
    "database": ("CatalogAndQuery/Database", "name"),
    "workgroup": ("CatalogAndQuery/Workgroup", "name"),
    "state_machine": ("Orchestration/Pipeline", "arn"),
}
#: Placeholders an environment may legitimately lack (the KMS calls then go to AWS-managed keys).
OPTIONAL_PLACEHOLDERS = frozenset({"lake_key"})

#: Principal → (construct path of the resource that names the role, property path to the role reference).
PRINCIPAL_ROLES: dict[str, tuple[str, tuple[str, ...]]] = {
    "extractor": ("Ingestion/Extractor/Function", ("Role",)),
    "quality_gate": ("Orchestration/QualityGate/Function", ("Role",)),
    "curate_job": ("Processing/CurateJob", ("Role",)),
    "state_machine": ("Orchestration/Pipeline", ("RoleArn",)),
    "scheduler": ("Ingestion/FrequentExtraction", ("Target", "RoleArn")),
    "daily_scheduler": ("Orchestration/DailyRun", ("Target", "RoleArn")),
}

#: AWS-managed keys, by the service that owns them. Their key policy (fixed by AWS, documented for each
#: service) lets any principal of the account use the key through that service, and nothing else.
AWS_MANAGED_KEY_SERVICES = ("s3", "sqs", "sns", "secretsmanager", "lambda", "logs")


class TemplateModelError(Exception):
    """The template uses something this model cannot evaluate faithfully (it fails loudly, never guesses)."""


@dataclass(frozen=True)
class KeyRef:
    """The KMS key a resource is encrypted with: a key of the stack or an AWS-managed key."""

    arn: str
    policy: dict
    policy_name: str
    aws_managed: bool


def _stable_id(text: str, length: int = 12) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def aws_managed_key(service: str) -> KeyRef:
    """``aws/<service>``: usable by every principal of the account, only through ``service``."""
    arn = f"arn:{PARTITION}:kms:{REGION}:{ACCOUNT}:key/aws-managed-{service}-{_stable_id(service, 8)}"
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": f"Allow access through {service} for all principals in the account",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
                "Resource": "*",
                "Condition": {
                    "StringEquals": {
                        "kms:CallerAccount": ACCOUNT,
                        "kms:ViaService": f"{service}.{REGION}.{URL_SUFFIX}",
                    }
                },
            },
            {
                "Sid": "Allow direct access to key metadata to the account",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:{PARTITION}:iam::{ACCOUNT}:root"},
                "Action": ["kms:Describe*", "kms:Get*", "kms:List*"],
                "Resource": "*",
            },
        ],
    }
    return KeyRef(arn, policy, f"key policy of aws/{service} (AWS-managed)", aws_managed=True)


def construct_paths(outdir: Path, stack_name: str, template: dict) -> dict[str, str]:
    """Logical id → construct path relative to the stack, from the template's ``aws:cdk:path`` metadata or,
    when path metadata is off (tests synthesize without the CLI), from the cloud assembly's metadata file."""
    paths: dict[str, str] = {}
    for logical_id, resource in template.get("Resources", {}).items():
        path = resource.get("Metadata", {}).get("aws:cdk:path")
        if path:
            paths[logical_id] = path.split("/", 1)[1] if "/" in path else path
    if paths:
        return paths
    manifest = json.loads((outdir / "manifest.json").read_text())
    artifact = manifest["artifacts"][stack_name]
    entries: dict[str, list[dict]] = dict(artifact.get("metadata", {}))
    extra = artifact.get("additionalMetadataFile")
    if extra:
        entries.update(json.loads((outdir / extra).read_text()))
    for path, items in entries.items():
        for item in items:
            if item.get("type") == "aws:cdk:logicalId":
                paths[item["data"]] = path.lstrip("/").split("/", 1)[1] if path.count("/") > 1 else path
    return paths


class TemplateModel:
    """One environment's template with intrinsics resolved (see the module docstring)."""

    def __init__(self, env: str, stack_name: str, template: dict, paths: Mapping[str, str]) -> None:
        self.env = env
        self.stack_name = stack_name
        self.template = template
        self.resources: dict[str, dict] = template.get("Resources", {})
        self.paths = dict(paths)
        self._conditions: dict[str, bool] = {}

    # -- intrinsics ------------------------------------------------------------------------------------

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((fn, arg),) = value.items()
            if fn == "Ref":
                return self.ref(arg)
            if fn == "Fn::GetAtt":
                logical, attr = arg if isinstance(arg, list) else arg.split(".", 1)
                return self.get_att(logical, attr)
            if fn == "Fn::Join":
                sep, parts = arg
                return sep.join(str(self.resolve(p)) for p in self.resolve(parts))
            if fn == "Fn::Sub":
                return self._sub(arg)
            if fn == "Fn::Select":
                index, items = arg
                return self.resolve(items)[int(self.resolve(index))]
            if fn == "Fn::Split":
                sep, text = arg
                return str(self.resolve(text)).split(sep)
            if fn == "Fn::If":
                name, yes, no = arg
                return self.resolve(yes if self.condition(name) else no)
            if fn == "Fn::GetAZs":
                return [f"{REGION}a", f"{REGION}b", f"{REGION}c"]
            if fn == "Fn::ImportValue" or fn == "Fn::FindInMap":
                raise TemplateModelError(f"{self.env}: {fn} is not modelled: {value}")
            if fn == "Condition":
                return self.condition(arg)
        return {k: self.resolve(v) for k, v in value.items()}

    def condition(self, name: str) -> bool:
        if name not in self._conditions:
            self._conditions[name] = bool(self._eval_condition(self.template["Conditions"][name]))
        return self._conditions[name]

    def _eval_condition(self, expr: Any) -> Any:
        if isinstance(expr, dict) and len(expr) == 1:
            ((fn, arg),) = expr.items()
            if fn == "Fn::Equals":
                a, b = (self._eval_condition(x) for x in arg)
                return a == b
            if fn == "Fn::Not":
                return not self._eval_condition(arg[0])
            if fn == "Fn::And":
                return all(self._eval_condition(x) for x in arg)
            if fn == "Fn::Or":
                return any(self._eval_condition(x) for x in arg)
            if fn == "Condition":
                return self.condition(arg)
        return self.resolve(expr)

    def _sub(self, arg: Any) -> str:
        text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], self.resolve(arg[1]))

        def replace(match: re.Match) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return str(variables[name])
            if "." in name and not name.startswith("AWS::"):
                logical, attr = name.split(".", 1)
                return str(self.get_att(logical, attr))
            return str(self.ref(name))

        return re.sub(r"\$\{([^}]+)\}", replace, text)

    def ref(self, name: str) -> Any:
        pseudo = {
            "AWS::AccountId": ACCOUNT,
            "AWS::Region": REGION,
            "AWS::Partition": PARTITION,
            "AWS::URLSuffix": URL_SUFFIX,
            "AWS::StackName": self.stack_name,
            "AWS::StackId": f"arn:{PARTITION}:cloudformation:{REGION}:{ACCOUNT}:stack/{self.stack_name}/fixed",
            "AWS::NoValue": None,
        }
        if name in pseudo:
            return pseudo[name]
        if name in self.template.get("Parameters", {}):
            parameter = self.template["Parameters"][name]
            if "Default" not in parameter:
                raise TemplateModelError(f"{self.env}: parameter {name} has no default")
            return parameter["Default"]
        resource = self._resource(name)
        kind = resource["Type"]
        arn_refs = {
            "AWS::SNS::Topic",
            "AWS::StepFunctions::StateMachine",
            "AWS::SecretsManager::Secret",
            "AWS::IAM::ManagedPolicy",
        }
        if kind in arn_refs:
            return self.get_att(name, "Arn")
        if kind == "AWS::SQS::Queue":
            return f"https://sqs.{REGION}.{URL_SUFFIX}/{ACCOUNT}/{self.name(name)}"
        if kind == "AWS::KMS::Key":
            return self._key_id(name)
        return self.name(name)

    def get_att(self, logical: str, attr: str) -> Any:
        resource = self._resource(logical)
        kind = resource["Type"]
        name = self.name(logical)
        if attr in {"Arn", "TopicArn", "QueueArn", "Id"} or attr.endswith("Arn"):
            arn = self._arn(logical, kind, name)
            if arn is not None:
                return arn
        if attr in {"Name", "TopicName", "QueueName", "BucketName", "RoleName"}:
            return name
        if attr == "KeyId":
            return self._key_id(logical)
        if attr == "QueueUrl":
            return self.ref(logical)
        if attr == "RoleId":
            return "AROA" + _stable_id(logical, 16).upper()
        if attr in {"DomainName", "RegionalDomainName"} and kind == "AWS::S3::Bucket":
            return f"{name}.s3.{REGION}.{URL_SUFFIX}"
        raise TemplateModelError(f"{self.env}: Fn::GetAtt {logical}.{attr} ({kind}) is not modelled")

    def _arn(self, logical: str, kind: str, name: str) -> str | None:
        base = f"arn:{PARTITION}"
        return {
            "AWS::S3::Bucket": f"{base}:s3:::{name}",
            "AWS::KMS::Key": f"{base}:kms:{REGION}:{ACCOUNT}:key/{self._key_id(logical)}",
            "AWS::SNS::Topic": f"{base}:sns:{REGION}:{ACCOUNT}:{name}",
            "AWS::SQS::Queue": f"{base}:sqs:{REGION}:{ACCOUNT}:{name}",
            "AWS::Lambda::Function": f"{base}:lambda:{REGION}:{ACCOUNT}:function:{name}",
            "AWS::IAM::Role": f"{base}:iam::{ACCOUNT}:role/{name}",
            "AWS::IAM::ManagedPolicy": f"{base}:iam::{ACCOUNT}:policy/{name}",
            "AWS::Logs::LogGroup": f"{base}:logs:{REGION}:{ACCOUNT}:log-group:{name}:*",
            "AWS::StepFunctions::StateMachine": f"{base}:states:{REGION}:{ACCOUNT}:stateMachine:{name}",
            "AWS::SecretsManager::Secret": f"{base}:secretsmanager:{REGION}:{ACCOUNT}:secret:{name}-"
            + _stable_id(logical, 6),
            "AWS::CloudWatch::Alarm": f"{base}:cloudwatch:{REGION}:{ACCOUNT}:alarm:{name}",
            "AWS::Events::Rule": f"{base}:events:{REGION}:{ACCOUNT}:rule/{name}",
            "AWS::Scheduler::Schedule": f"{base}:scheduler:{REGION}:{ACCOUNT}:schedule/default/{name}",
            "AWS::Glue::Job": f"{base}:glue:{REGION}:{ACCOUNT}:job/{name}",
            "AWS::Athena::WorkGroup": f"{base}:athena:{REGION}:{ACCOUNT}:workgroup/{name}",
        }.get(kind)

    def _key_id(self, logical: str) -> str:
        digest = _stable_id(f"{self.stack_name}/{logical}", 32)
        return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"

    #: The property holding a resource's explicit physical name, by type.
    NAME_PROPERTIES: Mapping[str, tuple[str, ...]] = {
        "AWS::S3::Bucket": ("BucketName",),
        "AWS::Lambda::Function": ("FunctionName",),
        "AWS::SNS::Topic": ("TopicName",),
        "AWS::SQS::Queue": ("QueueName",),
        "AWS::IAM::Role": ("RoleName",),
        "AWS::IAM::ManagedPolicy": ("ManagedPolicyName",),
        "AWS::Logs::LogGroup": ("LogGroupName",),
        "AWS::StepFunctions::StateMachine": ("StateMachineName",),
        "AWS::SecretsManager::Secret": ("Name",),
        "AWS::CloudWatch::Alarm": ("AlarmName",),
        "AWS::Events::Rule": ("Name",),
        "AWS::Scheduler::Schedule": ("Name",),
        "AWS::Glue::Job": ("Name", "JobName"),
        "AWS::Glue::Database": ("DatabaseInput", "Name"),
        "AWS::Glue::Table": ("TableInput", "Name"),
        "AWS::Athena::WorkGroup": ("Name",),
    }

    def name(self, logical: str) -> str:
        """The physical name: the explicit name property, else derived from the stack and logical id."""
        resource = self._resource(logical)
        kind = resource["Type"]
        props = resource.get("Properties", {})
        spec = self.NAME_PROPERTIES.get(kind, ())
        if kind in {"AWS::Glue::Database", "AWS::Glue::Table"}:
            explicit = props.get(spec[0], {}).get(spec[1])
        else:
            explicit = next((props[p] for p in spec if p in props), None)
        if explicit is not None:
            return str(self.resolve(explicit))
        derived = f"{self.stack_name}-{logical}"
        if kind == "AWS::S3::Bucket":
            return derived.lower()[:63]
        if kind == "AWS::Logs::LogGroup":
            return f"/generated/{derived}"
        return derived[:64]

    def _resource(self, logical: str) -> dict:
        try:
            return self.resources[logical]
        except KeyError:
            raise TemplateModelError(f"{self.env}: no resource {logical!r} in the template") from None

    # -- finding resources -----------------------------------------------------------------------------

    def by_type(self, kind: str) -> dict[str, dict]:
        return {k: r for k, r in self.resources.items() if r["Type"] == kind}

    def logical_at(self, path: str) -> str | None:
        """The resource a construct path names: the L1 itself, or the ``Resource``/``Table`` default child."""
        for candidate in (path, f"{path}/Resource", f"{path}/Table"):
            for logical, found in self.paths.items():
                if found == candidate and logical in self.resources:
                    return logical
        return None

    def placeholders(self) -> dict[str, str | None]:
        values: dict[str, str | None] = {"partition": PARTITION, "region": REGION, "account": ACCOUNT}
        for placeholder, (path, what) in PLACEHOLDERS.items():
            logical = self.logical_at(path)
            if logical is None:  # a request naming it fails then; see missing_placeholders()
                values[placeholder] = None
                continue
            kind = self.resources[logical]["Type"]
            values[placeholder] = self.name(logical) if what == "name" else self._arn(logical, kind, self.name(logical))
        return values

    def missing_placeholders(self) -> list[str]:
        """Placeholders every environment must have but this template lacks (a construct path moved)."""
        return [
            f"{{{name}}} (no resource at {PLACEHOLDERS[name][0]})"
            for name, value in self.placeholders().items()
            if value is None and name not in OPTIONAL_PLACEHOLDERS
        ]

    def role_arn_of(self, principal: str) -> str:
        path, prop_path = PRINCIPAL_ROLES[principal]
        logical = self.logical_at(path)
        if logical is None:
            raise TemplateModelError(f"{self.env}: principal {principal}: no resource at {path}")
        value: Any = self.resources[logical].get("Properties", {})
        for prop in prop_path:
            value = value.get(prop) if isinstance(value, dict) else None
        if value is None:
            raise TemplateModelError(f"{self.env}: principal {principal}: {path} has no {'.'.join(prop_path)}")
        resolved = str(self.resolve(value))
        return resolved if resolved.startswith("arn:") else f"arn:{PARTITION}:iam::{ACCOUNT}:role/{resolved}"

    def role_logical(self, role_arn: str) -> str:
        for logical in self.by_type("AWS::IAM::Role"):
            if self.get_att(logical, "Arn") == role_arn:
                return logical
        raise TemplateModelError(f"{self.env}: no role of the stack has the ARN {role_arn}")

    def find_by_arn(self, arn: str) -> str | None:
        for logical, resource in self.resources.items():
            candidate = self._arn(logical, resource["Type"], self.name(logical))
            if candidate == arn:
                return logical
        return None

    # -- policies --------------------------------------------------------------------------------------

    def identity_policies(self, role_logical: str) -> list[dict]:
        """Every policy attached to the role: inline, AWS::IAM::Policy/ManagedPolicy of the stack."""
        role = self._resource(role_logical)
        props = role.get("Properties", {})
        role_name = self.name(role_logical)
        policies = []
        for inline in props.get("Policies", []) or []:
            policies.append(
                {
                    "name": f"{role_logical} inline {inline['PolicyName']}",
                    "policy": self.resolve(inline["PolicyDocument"]),
                }
            )
        for arn in self.resolve(props.get("ManagedPolicyArns", []) or []):
            owner = self.find_by_arn(arn)
            if owner is None:
                raise TemplateModelError(
                    f"{self.env}: role {role_logical} attaches managed policy {arn}, which is not in the template "
                    "and cannot be modelled; grant explicit statements instead"
                )
        for logical, resource in self.resources.items():
            if resource["Type"] not in {"AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"}:
                continue
            rp = resource.get("Properties", {})
            attached = [str(r) for r in self.resolve(rp.get("Roles", []) or [])]
            by_arn = resource["Type"] == "AWS::IAM::ManagedPolicy" and self.get_att(logical, "Arn") in [
                str(a) for a in self.resolve(props.get("ManagedPolicyArns", []) or [])
            ]
            if role_name in attached or by_arn:
                policies.append({"name": logical, "policy": self.resolve(rp["PolicyDocument"])})
        return policies

    def resource_policy(self, arn: str) -> tuple[str, dict] | None:
        """The resource policy that governs ``arn`` (bucket, topic, queue, function, secret, key), if any."""
        if not arn.startswith("arn:"):
            return None
        service = arn.split(":")[2]
        if service == "s3":
            bucket = arn.split(":::", 1)[1].split("/", 1)[0]
            for logical, resource in self.by_type("AWS::S3::BucketPolicy").items():
                props = resource["Properties"]
                if self.resolve(props["Bucket"]) == bucket:
                    return logical, self.resolve(props["PolicyDocument"])
            return None
        if service == "kms":
            logical = self.find_by_arn(arn)
            if logical is None:
                return None
            policy = self.resources[logical].get("Properties", {}).get("KeyPolicy")
            if policy is None:  # KMS's default key policy: the account (root) delegates to IAM.
                policy = {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"AWS": f"arn:{PARTITION}:iam::{ACCOUNT}:root"},
                            "Action": "kms:*",
                            "Resource": "*",
                        }
                    ],
                }
                return f"{logical} (default key policy)", policy
            return f"{logical} key policy", self.resolve(policy)
        if service == "sns":
            statements, names = [], []
            for kind, prop in (("AWS::SNS::TopicPolicy", "Topics"), ("AWS::SNS::TopicInlinePolicy", "TopicArn")):
                for logical, resource in self.by_type(kind).items():
                    props = resource["Properties"]
                    targets = self.resolve(props[prop])
                    if arn in (targets if isinstance(targets, list) else [targets]):
                        statements += self.resolve(props["PolicyDocument"])["Statement"]
                        names.append(logical)
            return (" + ".join(names), {"Version": "2012-10-17", "Statement": statements}) if names else None
        if service == "sqs":
            name = arn.rsplit(":", 1)[1]
            url = f"https://sqs.{REGION}.{URL_SUFFIX}/{ACCOUNT}/{name}"
            statements, names = [], []
            for kind, prop in (("AWS::SQS::QueuePolicy", "Queues"), ("AWS::SQS::QueueInlinePolicy", "Queue")):
                for logical, resource in self.by_type(kind).items():
                    props = resource["Properties"]
                    targets = self.resolve(props[prop])
                    if url in (targets if isinstance(targets, list) else [targets]):
                        statements += self.resolve(props["PolicyDocument"])["Statement"]
                        names.append(logical)
            return (" + ".join(names), {"Version": "2012-10-17", "Statement": statements}) if names else None
        if service == "secretsmanager":
            for logical, resource in self.by_type("AWS::SecretsManager::ResourcePolicy").items():
                props = resource["Properties"]
                if self.resolve(props["SecretId"]) == arn:
                    return logical, self.resolve(props["ResourcePolicy"])
            return None
        if service == "lambda":
            return self._lambda_permissions(arn)
        return None

    def _lambda_permissions(self, arn: str) -> tuple[str, dict] | None:
        function_arn = ":".join(arn.split(":")[:7])
        function_name = function_arn.rsplit(":", 1)[1]
        statements, names = [], []
        for logical, resource in self.by_type("AWS::Lambda::Permission").items():
            props = self.resolve(resource["Properties"])
            target = str(props["FunctionName"])
            if target not in {function_arn, function_name, arn}:
                continue
            principal = str(props["Principal"])
            statement: dict[str, Any] = {
                "Sid": logical,
                "Effect": "Allow",
                "Principal": {"Service": principal} if principal.endswith(".amazonaws.com") else {"AWS": principal},
                "Action": props["Action"],
                "Resource": [function_arn, f"{function_arn}:*"],
            }
            condition: dict[str, dict] = {}
            if "SourceArn" in props:
                condition.setdefault("ArnLike", {})["aws:SourceArn"] = props["SourceArn"]
            if "SourceAccount" in props:
                condition.setdefault("StringEquals", {})["aws:SourceAccount"] = props["SourceAccount"]
            if condition:
                statement["Condition"] = condition
            statements.append(statement)
            names.append(logical)
        return (
            ("Lambda permissions " + " + ".join(names), {"Version": "2012-10-17", "Statement": statements})
            if (names)
            else None
        )

    # -- encryption ------------------------------------------------------------------------------------

    def key(self, reference: Any, service: str) -> KeyRef:
        """The key a ``KmsMasterKeyId``/``KMSMasterKeyID``/``KmsKeyId`` value names (None: ``aws/<service>``)."""
        if reference is None:
            return aws_managed_key(service)
        value = str(self.resolve(reference))
        if value.startswith("alias/aws/"):
            return aws_managed_key(value.removeprefix("alias/aws/"))
        logical = self.find_by_arn(value)
        if logical is None:
            key_ids = {self._key_id(k): k for k in self.by_type("AWS::KMS::Key")}
            logical = key_ids.get(value)
        if logical is None:
            raise TemplateModelError(f"{self.env}: KMS key {value} is neither a key of the stack nor AWS-managed")
        name, policy = self.resource_policy(self._arn(logical, "AWS::KMS::Key", "")) or ("", {})
        return KeyRef(self._arn(logical, "AWS::KMS::Key", ""), policy, name, aws_managed=False)

    def bucket_encryption(self, bucket: str) -> tuple[KeyRef, bool] | None:
        """(key, bucket key enabled) of an SSE-KMS bucket; None for SSE-S3 (no KMS calls)."""
        for logical, resource in self.by_type("AWS::S3::Bucket").items():
            if self.name(logical) != bucket:
                continue
            rules = resource.get("Properties", {}).get("BucketEncryption", {}).get("ServerSideEncryptionConfiguration")
            if not rules:
                return None
            default = rules[0].get("ServerSideEncryptionByDefault", {})
            if default.get("SSEAlgorithm") not in {"aws:kms", "aws:kms:dsse"}:
                return None
            return self.key(default.get("KMSMasterKeyID"), "s3"), bool(rules[0].get("BucketKeyEnabled"))
        raise TemplateModelError(f"{self.env}: bucket {bucket} is not in the template")

    def encryption_of(self, arn: str) -> KeyRef | None:
        """The key of a queue, topic or secret of the stack (None when it is not KMS-encrypted)."""
        logical = self.find_by_arn(arn)
        if logical is None:
            raise TemplateModelError(f"{self.env}: {arn} is not a resource of the stack")
        kind = self.resources[logical]["Type"]
        props = self.resources[logical].get("Properties", {})
        if kind == "AWS::SQS::Queue":
            return self.key(props["KmsMasterKeyId"], "sqs") if "KmsMasterKeyId" in props else None
        if kind == "AWS::SNS::Topic":
            return self.key(props["KmsMasterKeyId"], "sns") if "KmsMasterKeyId" in props else None
        if kind == "AWS::SecretsManager::Secret":
            return self.key(props.get("KmsKeyId"), "secretsmanager")
        return None
