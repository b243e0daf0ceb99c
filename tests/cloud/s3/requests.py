"""What an AWS endpoint received, and the IAM actions it stands for.

The recording server keeps each HTTP exchange as an :class:`Exchange` (only the parts IAM looks at); this module
turns exchanges into :class:`tests.cloud.calls.AwsCall` records: the S3 REST API as Hadoop's S3A client speaks it
(path-style URLs) and the Glue JSON protocol as boto3 speaks it. A request this module does not know becomes an
``unknown:`` action, so the IAM test shows it instead of the recording losing it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit
from xml.etree import ElementTree

from tests.cloud.calls import AwsCall, s3_bucket, s3_object

#: Request headers kept with an exchange (lower case). The IAM-relevant ones become condition keys.
RECORDED_HEADERS = (
    "x-amz-target",
    "x-amz-copy-source",
    "if-none-match",
    "if-match",
    "x-amz-server-side-encryption",
    "x-amz-server-side-encryption-aws-kms-key-id",
    "x-amz-server-side-encryption-bucket-key-enabled",
    "x-amz-server-side-encryption-context",
    "x-amz-acl",
    "x-amz-storage-class",
    "user-agent",
    "authorization",  # only the credential scope is kept (service), never the signature
)

#: Request headers S3 exposes to policies as ``s3:<header>`` condition keys.
S3_CONDITION_HEADERS = (
    "x-amz-copy-source",
    "x-amz-server-side-encryption",
    "x-amz-server-side-encryption-aws-kms-key-id",
    "x-amz-acl",
    "x-amz-storage-class",
    "if-none-match",
    "if-match",
)

_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/([^/]+)/([^/]+)/aws4_request")


@dataclass(frozen=True)
class Exchange:
    """One request as received (path still percent-encoded, query as pairs) and the status it was answered with."""

    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    headers: Mapping[str, str]
    content_length: int
    status: int
    body: bytes = b""  # kept only where the action depends on it (S3 multi-object delete, Glue JSON)
    service: str = ""  # from the signature's credential scope ("s3", "glue", "kms")

    def param(self, name: str) -> str | None:
        return next((v for k, v in self.query if k == name), None)

    def has(self, name: str) -> bool:
        return any(k == name for k, _ in self.query)


def scope_service(authorization: str | None) -> str:
    """The service a SigV4 request was signed for, e.g. ``s3`` or ``glue``; "" when unsigned."""
    match = _SCOPE.search(authorization or "")
    return match.group(2) if match else ""


@dataclass
class Naming:
    """How the concrete names of the test endpoint map to the placeholders of :mod:`tests.cloud.calls`."""

    buckets: dict[str, str]  # bucket name -> placeholder ("raw", "curated")
    kms_keys: dict[str, str] = field(default_factory=dict)  # key ARN or id -> placeholder ("lake_key")
    databases: dict[str, str] = field(default_factory=dict)  # Glue database name -> placeholder ("database")

    def bucket(self, name: str) -> str:
        # An unknown bucket keeps its name: the IAM test then reports a resource no template grants.
        return self.buckets.get(name, f"unmapped-bucket:{name}")

    def key(self, value: str) -> str:
        # A key is named by ARN or by id: compare the ids.
        by_id = {known.rsplit("/", 1)[-1]: placeholder for known, placeholder in self.kms_keys.items()}
        placeholder = by_id.get(value.rsplit("/", 1)[-1])
        return f"{{{placeholder}}}" if placeholder else value

    def database(self, name: str) -> str:
        placeholder = self.databases.get(name)
        return f"{{{placeholder}}}" if placeholder else name


def origin_of(exchange: Exchange, operation: str) -> str:
    """Which client made the request: Hadoop's S3A (AWS SDK for Java) or boto3."""
    agent = exchange.headers.get("user-agent", "")
    if "aws-sdk-java" in agent or "Hadoop" in agent:
        return f"hadoop-s3a {operation}"
    if "Boto3" in agent or "Botocore" in agent:
        return f"boto3 {exchange.service or 's3'} {operation}"
    return f"{agent.split(' ', 1)[0] or 'unknown client'} {operation}"


def _split_path(path: str) -> tuple[str, str]:
    """Path-style ``/bucket/key`` into bucket and decoded key ("" for a bucket-level request)."""
    bucket, _, key = path.lstrip("/").partition("/")
    return unquote(bucket), unquote(key)


def _copy_source(header: str) -> tuple[str, str]:
    source = unquote(urlsplit(header).path if "?" in header else header).lstrip("/")
    bucket, _, key = source.partition("/")
    return bucket, key


def _s3_context(exchange: Exchange, naming: Naming) -> dict[str, str | list[str]]:
    context: dict[str, str | list[str]] = {}
    for header in S3_CONDITION_HEADERS:
        value = exchange.headers.get(header)
        if value is None:
            continue
        if header == "x-amz-server-side-encryption-aws-kms-key-id":
            value = naming.key(value)
        if header == "x-amz-copy-source":
            bucket, key = _copy_source(value)
            value = f"{{{naming.bucket(bucket)}}}/{key}"
        context[f"s3:{header}"] = value
    return context


def _deleted_keys(body: bytes) -> list[str]:
    root = ElementTree.fromstring(body)  # noqa: S314 - the body comes from the job under test, in-process
    return [el.text or "" for el in root.iter() if el.tag.rsplit("}", 1)[-1] == "Key"]


def s3_calls(exchange: Exchange, naming: Naming, principal: str) -> list[AwsCall]:
    """IAM actions of one S3 REST request (path-style), per the S3 API reference's "Permissions" sections."""
    bucket_name, key = _split_path(exchange.path)
    bucket = naming.bucket(bucket_name)
    method = exchange.method
    missing = exchange.status == 404

    def call(action: str, resource: str, operation: str, context=None, *, is_missing: bool = False) -> AwsCall:
        return AwsCall(principal, action, resource, origin_of(exchange, operation), context or {}, is_missing)

    if not key:
        if method == "GET" and exchange.has("location"):
            return [call("s3:GetBucketLocation", s3_bucket(bucket), "GetBucketLocation")]
        if method == "GET" and exchange.has("uploads"):
            return [call("s3:ListBucketMultipartUploads", s3_bucket(bucket), "ListMultipartUploads")]
        if method == "GET" and not [k for k, _ in exchange.query if k not in _LIST_PARAMS]:
            context: dict[str, str | list[str]] = {
                f"s3:{name}": value
                for name, value in (
                    ("prefix", exchange.param("prefix")),
                    ("delimiter", exchange.param("delimiter")),
                    ("max-keys", exchange.param("max-keys")),
                )
                if value is not None
            }
            operation = "ListObjectsV2" if exchange.param("list-type") == "2" else "ListObjects"
            return [call("s3:ListBucket", s3_bucket(bucket), operation, context)]
        if method == "HEAD" and not exchange.query:
            return [call("s3:ListBucket", s3_bucket(bucket), "HeadBucket")]
        if method == "POST" and exchange.has("delete"):
            return [
                call("s3:DeleteObject", s3_object(bucket, deleted), "DeleteObjects")
                for deleted in _deleted_keys(exchange.body)
            ]
        return [_unknown(exchange, principal, s3_bucket(bucket))]

    resource = s3_object(bucket, key)
    subresources = {k for k, _ in exchange.query} - {"versionId", "partNumber", "uploadId", "uploads"}
    if subresources:
        return [_unknown(exchange, principal, resource)]
    context = _s3_context(exchange, naming)
    if method in ("GET", "HEAD") and exchange.has("uploadId"):
        return [call("s3:ListMultipartUploadParts", resource, "ListParts")]
    if method in ("GET", "HEAD"):
        action = "s3:GetObjectVersion" if exchange.has("versionId") else "s3:GetObject"
        operation = "GetObject" if method == "GET" else "HeadObject"
        return [call(action, resource, operation, is_missing=missing)]  # no write headers on a read
    if method == "PUT" and "x-amz-copy-source" in exchange.headers:
        source_bucket, source_key = _copy_source(exchange.headers["x-amz-copy-source"])
        operation = "UploadPartCopy" if exchange.has("uploadId") else "CopyObject"
        return [
            call("s3:PutObject", resource, operation, context),
            call("s3:GetObject", s3_object(naming.bucket(source_bucket), source_key), operation),
        ]
    if method == "PUT":
        return [call("s3:PutObject", resource, "UploadPart" if exchange.has("uploadId") else "PutObject", context)]
    if method == "POST" and exchange.has("uploads"):
        return [call("s3:PutObject", resource, "CreateMultipartUpload", context)]
    if method == "POST" and exchange.has("uploadId"):
        return [call("s3:PutObject", resource, "CompleteMultipartUpload", context)]
    if method == "DELETE" and exchange.has("uploadId"):
        return [call("s3:AbortMultipartUpload", resource, "AbortMultipartUpload")]
    if method == "DELETE":
        action = "s3:DeleteObjectVersion" if exchange.has("versionId") else "s3:DeleteObject"
        return [call(action, resource, "DeleteObject")]
    return [_unknown(exchange, principal, resource)]


_LIST_PARAMS = {"list-type", "prefix", "delimiter", "max-keys", "continuation-token", "start-after", "marker"}
_LIST_PARAMS |= {"fetch-owner", "encoding-type"}


def _unknown(exchange: Exchange, principal: str, resource: str) -> AwsCall:
    query = "&".join(f"{k}={v}" if v else k for k, v in exchange.query)
    operation = f"{exchange.method} {exchange.path}{'?' + query if query else ''}"
    return AwsCall(
        principal, f"unknown:{exchange.service or 'http'} {exchange.method}", resource, origin_of(exchange, operation)
    )


def glue_arns(body: dict, naming: Naming) -> list[str]:
    """The catalog, database and table ARNs a Glue Data Catalog request is authorized on."""
    base = "arn:{partition}:glue:{region}:{account}"
    arns = [f"{base}:catalog"]
    database = body.get("DatabaseName") or (body.get("DatabaseInput") or {}).get("Name")
    if database:
        db = naming.database(database)
        arns.append(f"{base}:database/{db}")
        table = body.get("TableName") or body.get("Name") or (body.get("TableInput") or {}).get("Name")
        if table:
            arns.append(f"{base}:table/{db}/{table}")
    return arns


def glue_calls(exchange: Exchange, naming: Naming, principal: str) -> list[AwsCall]:
    """``X-Amz-Target: AWSGlue.<Op>`` → ``glue:<Op>`` on every ARN the operation is authorized on."""
    target = exchange.headers.get("x-amz-target", "")
    operation = target.split(".", 1)[1] if target.startswith("AWSGlue.") else ""
    if not operation:
        return [_unknown(exchange, principal, "arn:{partition}:glue:{region}:{account}:catalog")]
    body = json.loads(exchange.body or b"{}")
    origin = origin_of(exchange, operation)
    return [AwsCall(principal, f"glue:{operation}", arn, origin) for arn in glue_arns(body, naming)]


def to_calls(exchanges: Iterable[Exchange], naming: Naming, principal: str) -> list[AwsCall]:
    """Every exchange as the IAM actions it needs, in the order received."""
    calls: list[AwsCall] = []
    for exchange in exchanges:
        if exchange.service == "s3":
            calls += s3_calls(exchange, naming, principal)
        elif exchange.service == "glue" or exchange.headers.get("x-amz-target", "").startswith("AWSGlue."):
            calls += glue_calls(exchange, naming, principal)
        else:
            calls.append(_unknown(exchange, principal, exchange.path))
    return calls
