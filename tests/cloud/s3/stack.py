"""The lake's buckets and Glue catalog as a synthesized template declares them, recreated on the moto server.

Nothing here names a logical id: the curation job resource (the template's one ``AWS::Glue::Job``) says which
buckets it reads and writes (``--raw_root``/``--curated_root`` refer to them) and which security configuration
it runs with; the buckets say how they are encrypted and versioned. So the test's buckets follow the stack.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: Environment of cdk.json whose storage the S3 protocol test recreates (prod keeps a customer-managed key).
ENVIRONMENT = "prod"


@dataclass(frozen=True)
class BucketSpec:
    """Default encryption and versioning of one bucket, as the template sets them."""

    logical_id: str
    sse_algorithm: str  # "aws:kms" or "AES256"
    kms_key_logical_id: str | None  # None with aws:kms: the AWS-managed key aws/s3
    bucket_key_enabled: bool
    versioned: bool


@dataclass(frozen=True)
class JobStorage:
    """The curation job's two buckets and whether its security configuration asks for SSE-KMS on writes."""

    raw: BucketSpec
    curated: BucketSpec
    job_sse_kms_key_logical_id: str | None  # the key the job's writes name (EMRFS with SSE-KMS), or None


def _resources(template: dict, type_: str) -> dict[str, dict]:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == type_}


def _refs(value: Any) -> list[str]:
    """Logical ids referenced (``Ref``/``Fn::GetAtt``) anywhere inside ``value``."""
    if isinstance(value, dict):
        if "Ref" in value:
            return [value["Ref"]]
        if "Fn::GetAtt" in value:
            return [value["Fn::GetAtt"][0]]
        return [ref for v in value.values() for ref in _refs(v)]
    if isinstance(value, list):
        return [ref for v in value for ref in _refs(v)]
    return []


def _only(template: dict, type_: str) -> tuple[str, dict]:
    found = _resources(template, type_)
    assert len(found) == 1, f"expected one {type_}, found {sorted(found)}"
    return next(iter(found.items()))


def bucket_spec(template: dict, logical_id: str) -> BucketSpec:
    properties = template["Resources"][logical_id]["Properties"]
    (rule,) = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    default = rule["ServerSideEncryptionByDefault"]
    keys = _refs(default.get("KMSMasterKeyID"))
    return BucketSpec(
        logical_id=logical_id,
        sse_algorithm=default["SSEAlgorithm"],
        kms_key_logical_id=keys[0] if keys else None,
        bucket_key_enabled=bool(rule.get("BucketKeyEnabled", False)),
        versioned=properties.get("VersioningConfiguration", {}).get("Status") == "Enabled",
    )


def job_storage(template: dict) -> JobStorage:
    """The buckets behind the job's ``--raw_root`` and ``--curated_root``, and its S3 encryption setting."""
    _, job = _only(template, "AWS::Glue::Job")
    arguments = job["Properties"]["DefaultArguments"]
    (raw,) = _refs(arguments["--raw_root"])
    (curated,) = _refs(arguments["--curated_root"])
    sse_key = None
    security = _refs(job["Properties"].get("SecurityConfiguration"))
    if security:
        configuration = template["Resources"][security[0]]["Properties"]["EncryptionConfiguration"]
        for s3_encryption in configuration.get("S3Encryptions", []):
            if s3_encryption.get("S3EncryptionMode") == "SSE-KMS":
                (sse_key,) = _refs(s3_encryption["KmsKeyArn"])
    return JobStorage(bucket_spec(template, raw), bucket_spec(template, curated), sse_key)


def create_bucket(s3, name: str, spec: BucketSpec, key_arns: dict[str, str], region: str) -> None:
    """Create ``name`` with the spec's default encryption (bucket key included) and versioning."""
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    default: dict[str, str] = {"SSEAlgorithm": spec.sse_algorithm}
    if spec.kms_key_logical_id:
        default["KMSMasterKeyID"] = key_arns[spec.kms_key_logical_id]
    s3.put_bucket_encryption(
        Bucket=name,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": default, "BucketKeyEnabled": spec.bucket_key_enabled}]
        },
    )
    if spec.versioned:
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})


def create_keys(kms, storage: JobStorage) -> dict[str, str]:
    """One moto KMS key per customer-managed key the storage uses: logical id -> key ARN."""
    logical_ids = {
        storage.raw.kms_key_logical_id,
        storage.curated.kms_key_logical_id,
        storage.job_sse_kms_key_logical_id,
    }
    return {
        logical_id: kms.create_key(Description=f"stands for {logical_id}")["KeyMetadata"]["Arn"]
        for logical_id in sorted(i for i in logical_ids if i)
    }


def _cfn_string(value: Any) -> str:
    """A map-of-strings value as CloudFormation passes it on (``true`` for a JSON true)."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def _resolve(value: Any, names: dict[str, str]) -> Any:
    """Enough of CloudFormation's intrinsics for a Glue table: ``Ref`` by ``names``, ``Fn::Join``, literals;
    ``Parameters`` maps become strings, as CloudFormation converts them for the Glue API."""
    if isinstance(value, dict):
        if "Ref" in value:
            return names[value["Ref"]]
        if "Fn::Join" in value:
            separator, parts = value["Fn::Join"]
            return separator.join(str(_resolve(p, names)) for p in parts)
        return {
            k: {pk: _cfn_string(_resolve(pv, names)) for pk, pv in v.items()}
            if k == "Parameters" and isinstance(v, dict)
            else _resolve(v, names)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_resolve(v, names) for v in value]
    return value


def create_glue_catalog(glue, template: dict, names: dict[str, str]) -> str:
    """The template's Glue database and tables, with ``names`` (logical id -> name) for the buckets it refers to.

    Returns the database name. The tables' locations point at the test's curated bucket, as the stack's do.
    """
    database_id, database = _only(template, "AWS::Glue::Database")
    database_input = database["Properties"]["DatabaseInput"]
    pseudo = {"AWS::AccountId": "123456789012", "AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com"}
    names = {**names, **pseudo, database_id: database_input["Name"]}
    glue.create_database(DatabaseInput=_resolve(database_input, names))
    for table in _resources(template, "AWS::Glue::Table").values():
        properties = _resolve(table["Properties"], names)
        glue.create_table(DatabaseName=properties["DatabaseName"], TableInput=properties["TableInput"])
    return database_input["Name"]
