"""S3 REST and Glue JSON requests, as the recording server keeps them, turned into IAM actions (no JVM)."""

from __future__ import annotations

import json

import pytest

from tests.cloud.calls import AwsCall
from tests.cloud.s3.requests import Exchange, Naming, scope_service, to_calls

NAMING = Naming(
    buckets={"raw-b": "raw", "cur-b": "curated"},
    kms_keys={"arn:aws:kms:eu-west-1:123456789012:key/k-1": "lake_key"},
    databases={"spotify_lake_prod": "database"},
)
S3A = {"user-agent": "Hadoop 3.3.4, aws-sdk-java/1.12.262 Linux/6.1 OpenJDK_64-Bit_Server_VM/17"}
BOTO3 = {"user-agent": "Boto3/1.40.0 md/Botocore#1.40.0 ua/2.1 os/linux"}


def s3(method, path, query=(), headers=None, status=200, body=b"") -> Exchange:
    return Exchange(method, path, tuple(query), {**S3A, **(headers or {})}, len(body), status, body, "s3")


def calls(*exchanges: Exchange) -> list[tuple]:
    return [(c.action, c.resource, c.origin, c.context, c.missing) for c in to_calls(exchanges, NAMING, "curate_job")]


def test_the_service_comes_from_the_signature_scope():
    auth = "AWS4-HMAC-SHA256 Credential=testing/20261202/eu-west-1/glue/aws4_request, SignedHeaders=host, Signature=x"
    assert scope_service(auth) == "glue"
    assert scope_service(None) == ""


def test_exists_of_a_prefix_is_a_head_of_the_key_and_a_listing():
    # Hadoop's exists("s3://raw-b/raw"): HEAD raw (404: no such object), then list "raw/" (one key is enough)
    got = calls(
        s3("HEAD", "/raw-b/raw", status=404),
        s3("GET", "/raw-b/", [("list-type", "2"), ("prefix", "raw/"), ("delimiter", "/"), ("max-keys", "2")]),
    )
    assert got == [
        ("s3:GetObject", "arn:{partition}:s3:::{raw}/raw", "hadoop-s3a HeadObject", {}, True),
        (
            "s3:ListBucket",
            "arn:{partition}:s3:::{raw}",
            "hadoop-s3a ListObjectsV2",
            {"s3:prefix": "raw/", "s3:delimiter": "/", "s3:max-keys": "2"},
            False,
        ),
    ]


def test_a_rename_is_a_copy_and_a_delete_and_writes_carry_their_encryption_headers():
    sse = {"x-amz-server-side-encryption": "aws:kms", "x-amz-server-side-encryption-aws-kms-key-id": "k-1"}
    got = calls(
        s3("PUT", "/cur-b/_runs/.r1.json.tmp", headers=sse),
        s3("PUT", "/cur-b/_runs/r1.json", headers={**sse, "x-amz-copy-source": "cur-b/_runs/.r1.json.tmp"}),
        s3("DELETE", "/cur-b/_runs/.r1.json.tmp", status=204),
    )
    written = {
        "s3:x-amz-server-side-encryption": "aws:kms",
        "s3:x-amz-server-side-encryption-aws-kms-key-id": "{lake_key}",
    }
    assert got == [
        ("s3:PutObject", "arn:{partition}:s3:::{curated}/_runs/.r1.json.tmp", "hadoop-s3a PutObject", written, False),
        (
            "s3:PutObject",
            "arn:{partition}:s3:::{curated}/_runs/r1.json",
            "hadoop-s3a CopyObject",
            {**written, "s3:x-amz-copy-source": "{curated}/_runs/.r1.json.tmp"},
            False,
        ),
        ("s3:GetObject", "arn:{partition}:s3:::{curated}/_runs/.r1.json.tmp", "hadoop-s3a CopyObject", {}, False),
        ("s3:DeleteObject", "arn:{partition}:s3:::{curated}/_runs/.r1.json.tmp", "hadoop-s3a DeleteObject", {}, False),
    ]


def test_a_multi_object_delete_is_one_delete_per_key():
    body = (
        b'<?xml version="1.0" encoding="UTF-8"?><Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
        b"<Object><Key>curated/t/_temporary/0/</Key></Object><Object><Key>curated/t/a b.parquet</Key></Object>"
        b"<Quiet>true</Quiet></Delete>"
    )
    got = calls(s3("POST", "/cur-b/", [("delete", "")], body=body))
    assert [(a, r) for a, r, *_ in got] == [
        ("s3:DeleteObject", "arn:{partition}:s3:::{curated}/curated/t/_temporary/0/"),
        ("s3:DeleteObject", "arn:{partition}:s3:::{curated}/curated/t/a b.parquet"),
    ]


def test_multipart_uploads_and_keys_with_escaped_characters():
    key = "/cur-b/curated/plays/play_month%3D2024-01/part-0.parquet"
    got = calls(
        s3("POST", key, [("uploads", "")]),
        s3("PUT", key, [("partNumber", "1"), ("uploadId", "u")]),
        s3("POST", key, [("uploadId", "u")]),
        s3("GET", key, [("uploadId", "u")]),
        s3("DELETE", key, [("uploadId", "u")], status=204),
    )
    resource = "arn:{partition}:s3:::{curated}/curated/plays/play_month=2024-01/part-0.parquet"
    assert [(a, r, o) for a, r, o, *_ in got] == [
        ("s3:PutObject", resource, "hadoop-s3a CreateMultipartUpload"),
        ("s3:PutObject", resource, "hadoop-s3a UploadPart"),
        ("s3:PutObject", resource, "hadoop-s3a CompleteMultipartUpload"),
        ("s3:ListMultipartUploadParts", resource, "hadoop-s3a ListParts"),
        ("s3:AbortMultipartUpload", resource, "hadoop-s3a AbortMultipartUpload"),
    ]


def test_bucket_location_and_requests_without_a_mapping():
    got = calls(
        s3("GET", "/raw-b/", [("location", "")]),
        s3("GET", "/raw-b/", [("versioning", "")]),
        s3("GET", "/elsewhere/x"),
    )
    assert got[0][:2] == ("s3:GetBucketLocation", "arn:{partition}:s3:::{raw}")
    assert got[1][:2] == ("unknown:s3 GET", "arn:{partition}:s3:::{raw}")
    assert got[1][2] == "hadoop-s3a GET /raw-b/?versioning"
    assert got[2][:2] == ("s3:GetObject", "arn:{partition}:s3:::{unmapped-bucket:elsewhere}/x")


@pytest.mark.parametrize(
    ("operation", "body", "resources"),
    [
        (
            "GetTable",
            {"DatabaseName": "spotify_lake_prod", "Name": "plays"},
            ["catalog", "database/{database}", "table/{database}/plays"],
        ),
        (
            "BatchUpdatePartition",
            {"DatabaseName": "spotify_lake_prod", "TableName": "plays", "Entries": []},
            ["catalog", "database/{database}", "table/{database}/plays"],
        ),
        ("GetDatabases", {}, ["catalog"]),
    ],
)
def test_glue_requests_are_authorized_on_catalog_database_and_table(operation, body, resources):
    exchange = Exchange(
        "POST", "/", (), {**BOTO3, "x-amz-target": f"AWSGlue.{operation}"}, 0, 200, json.dumps(body).encode(), "glue"
    )
    got = to_calls([exchange], NAMING, "curate_job")
    assert got == [
        AwsCall(
            "curate_job",
            f"glue:{operation}",
            f"arn:{{partition}}:glue:{{region}}:{{account}}:{r}",
            f"boto3 glue {operation}",
        )
        for r in resources
    ]
