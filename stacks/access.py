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


def grant_exact_keys(grantee: iam.IGrantable, bucket: s3.IBucket, *keys: str) -> None:
    """GetObject on the objects named exactly ``keys`` (no wildcard).

    Hadoop's ``exists()``/``getFileStatus`` of a directory path such as ``s3://bucket/raw`` first HEADs the
    key ``raw`` itself (then lists ``raw/``); a grant on ``raw/*`` does not cover the key ``raw``, and a
    denied HEAD is an AccessDenied, not a "missing". No such object ever exists: this reads nothing.
    """
    grantee.grant_principal.add_to_principal_policy(
        iam.PolicyStatement(actions=["s3:GetObject"], resources=[bucket.arn_for_objects(k) for k in keys])
    )


def grant_list(grantee: iam.IGrantable, bucket: s3.IBucket, *prefixes: str) -> None:
    """ListBucket: list requests limited to keys under ``prefixes``, and missing keys answered 404.

    ``StringLikeIfExists`` on purpose: S3 decides 404-or-403 for a GET/HEAD of a missing key by evaluating
    ``s3:ListBucket`` on the bucket *without* an ``s3:prefix`` key. A plain ``StringLike`` fails that check,
    so every "does this state object exist yet?" would be AccessDenied. With ``IfExists`` a list request
    that names a prefix must stay under ``prefixes``; the price is that a list without any prefix is
    allowed too (key names only, never contents), for these roles of this stack.
    """
    grantee.grant_principal.add_to_principal_policy(
        iam.PolicyStatement(
            actions=["s3:ListBucket"],
            resources=[bucket.bucket_arn],
            conditions={"StringLikeIfExists": {"s3:prefix": [f"{p}*" for p in prefixes]}},
        )
    )


def grant_key(grantee: iam.IGrantable, key: kms.IKey | None, *, encrypt: bool) -> None:
    """Decrypt (reads) and, with ``encrypt``, GenerateDataKey (SSE-KMS writes) on the lake key only.

    Nothing when the environment uses AWS-managed encryption (``key`` is None): SSE-S3, SSE-SQS and the
    AWS-managed keys of Secrets Manager and CloudWatch Logs need no grant in the caller's policy.
    """
    if key is None:
        return
    actions = ["kms:Decrypt", "kms:DescribeKey"] + (["kms:GenerateDataKey"] if encrypt else [])
    grantee.grant_principal.add_to_principal_policy(iam.PolicyStatement(actions=actions, resources=[key.key_arn]))
