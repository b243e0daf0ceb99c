"""Least-privilege grants with exact actions. CDK's ``grant_*`` helpers add action families (``s3:GetObject*``,
``s3:List*``, ``kms:ReEncrypt*``); these helpers give a role only the calls the runtime code makes, on one prefix."""

from __future__ import annotations

from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3

READ = ("s3:GetObject",)
WRITE = ("s3:PutObject",)
READ_WRITE = ("s3:GetObject", "s3:PutObject")
READ_WRITE_DELETE = ("s3:GetObject", "s3:PutObject", "s3:DeleteObject")


def grant_objects(grantee: iam.IGrantable, bucket: s3.IBucket, prefix: str, actions: tuple[str, ...]) -> None:
    """``actions`` on the objects under ``prefix`` of ``bucket``."""
    grantee.grant_principal.add_to_principal_policy(
        iam.PolicyStatement(actions=list(actions), resources=[bucket.arn_for_objects(f"{prefix}*")])
    )


def grant_list(grantee: iam.IGrantable, bucket: s3.IBucket, *prefixes: str) -> None:
    """ListBucket limited to keys under ``prefixes``."""
    grantee.grant_principal.add_to_principal_policy(
        iam.PolicyStatement(
            actions=["s3:ListBucket"],
            resources=[bucket.bucket_arn],
            conditions={"StringLike": {"s3:prefix": [f"{p}*" for p in prefixes]}},
        )
    )


def grant_key(grantee: iam.IGrantable, key: kms.IKey, *, encrypt: bool) -> None:
    """Decrypt (reads) and, with ``encrypt``, GenerateDataKey (SSE-KMS writes) on the lake key only."""
    actions = ["kms:Decrypt", "kms:DescribeKey"] + (["kms:GenerateDataKey"] if encrypt else [])
    grantee.grant_principal.add_to_principal_policy(iam.PolicyStatement(actions=actions, resources=[key.key_arn]))
