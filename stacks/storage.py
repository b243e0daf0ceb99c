"""Storage: the lake's buckets (raw, curated, Athena results, access logs) and, when the environment asks for
one, the customer-managed key that encrypts them and everything else of the stack."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from lake_contract import keys
from stacks.config import EnvironmentConfig

#: Prefixes of the lake layout (docs/RAW_ZONE.md). Grants are scoped to these, never to whole buckets.
RAW_PREFIX = f"{keys.RAW}/"
STATE_PREFIX = f"{keys.STATE}/"
CURATED_PREFIX = "curated/"
RUNS_PREFIX = f"{keys.RUNS}/"


class LakeStorage(Construct):
    """Data buckets with SSE-KMS under one rotated customer-managed key (``encryption: customer-managed``) or
    SSE-S3 (``aws-managed``: no key to pay for); server access logs always in an SSE-S3 bucket."""

    def __init__(self, scope: Construct, construct_id: str, *, config: EnvironmentConfig) -> None:
        super().__init__(scope, construct_id)
        removal = RemovalPolicy.RETAIN if config.retain_data else RemovalPolicy.DESTROY
        destroy = not config.retain_data

        #: The stack's customer-managed key, or None: every service then uses its AWS-managed encryption.
        self.key: kms.Key | None = None
        if config.customer_managed_key:
            self.key = kms.Key(
                self,
                "LakeKey",
                description=f"spotify-lake {config.name}: lake buckets, secret, logs, alerts",
                enable_key_rotation=True,
                removal_policy=removal,
            )

        # S3 cannot deliver server access logs into an SSE-KMS bucket, so this one alone uses SSE-S3.
        self.access_logs_bucket = s3.Bucket(
            self,
            "AccessLogsBucket",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=[s3.LifecycleRule(id="expire-access-logs", expiration=Duration.days(365))],
            removal_policy=removal,
            auto_delete_objects=destroy,
        )

        self.raw_bucket = self._data_bucket(
            "RawBucket",
            "raw",
            removal,
            versioned=True,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="raw-to-infrequent-access",
                    prefix=RAW_PREFIX,
                    transitions=[
                        s3.Transition(
                            storage_class=s3.StorageClass.INFREQUENT_ACCESS,
                            transition_after=Duration.days(config.raw_infrequent_access_after_days),
                        )
                    ],
                ),
                s3.LifecycleRule(
                    id="expire-overwritten-versions",
                    noncurrent_version_expiration=Duration.days(config.raw_noncurrent_versions_expire_days),
                    abort_incomplete_multipart_upload_after=Duration.days(7),
                ),
            ],
        )
        self.curated_bucket = self._data_bucket(
            "CuratedBucket",
            "curated",
            removal,
            versioned=False,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="abort-incomplete-uploads", abort_incomplete_multipart_upload_after=Duration.days(7)
                )
            ],
        )
        self.athena_results_bucket = self._data_bucket(
            "AthenaResultsBucket",
            "athena-results",
            removal,
            versioned=False,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-query-results",
                    expiration=Duration.days(config.athena_results_expire_days),
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                )
            ],
        )

    def _data_bucket(
        self,
        construct_id: str,
        log_prefix: str,
        removal: RemovalPolicy,
        *,
        versioned: bool,
        lifecycle_rules: list[s3.LifecycleRule],
    ) -> s3.Bucket:
        encryption: dict = (
            {"encryption": s3.BucketEncryption.KMS, "encryption_key": self.key, "bucket_key_enabled": True}
            if self.key is not None
            else {"encryption": s3.BucketEncryption.S3_MANAGED}
        )
        return s3.Bucket(
            self,
            construct_id,
            **encryption,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            versioned=versioned,
            lifecycle_rules=lifecycle_rules,
            server_access_logs_bucket=self.access_logs_bucket,
            server_access_logs_prefix=f"{log_prefix}/",
            removal_policy=removal,
            auto_delete_objects=removal == RemovalPolicy.DESTROY,
        )
