"""Processing: the Glue 5.0 curation job (raw zone → curated Parquet), its role and security configuration."""

from __future__ import annotations

from aws_cdk import Aws, Duration, RemovalPolicy
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3_assets as s3_assets
from constructs import Construct

from stacks.access import READ, READ_WRITE, READ_WRITE_DELETE, grant_key, grant_list, grant_objects
from stacks.config import AssetPaths, EnvironmentConfig
from stacks.nag import ANY_RESOURCE, acknowledge, arn_finding
from stacks.storage import CURATED_PREFIX, RAW_PREFIX, RUNS_PREFIX, LakeStorage

CURATE_SCRIPT = "curate.py"
_WORKER_TYPES = {"G.1X": glue.WorkerType.G_1X, "G.2X": glue.WorkerType.G_2X, "G.025X": glue.WorkerType.G_025X}


class Processing(Construct):
    """The curation job: Flex or standard execution per config, every output encrypted with the lake key."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: EnvironmentConfig,
        storage: LakeStorage,
        assets: AssetPaths,
    ) -> None:
        super().__init__(scope, construct_id)
        removal = RemovalPolicy.RETAIN if config.retain_data else RemovalPolicy.DESTROY

        self.security_configuration = glue.SecurityConfiguration(
            self,
            "SecurityConfiguration",
            s3_encryption=glue.S3Encryption.kms(storage.key),
            cloud_watch_encryption=glue.CloudWatchEncryption.kms(storage.key),
            job_bookmarks_encryption=glue.JobBookmarksEncryption.client_side_kms(storage.key),
            removal_policy=removal,
        )

        self.role = iam.Role(
            self,
            "JobRole",
            assumed_by=iam.ServicePrincipal("glue.amazonaws.com"),
            description=f"spotify-lake {config.name}: curation job (reads raw/, writes curated/ and _runs/)",
        )
        self._grant(storage)

        # The curation package ships as one zip with `curation/` at its root (Glue's --extra-py-files).
        self.curation_package = s3_assets.Asset(
            self,
            "CurationPackage",
            path=str(assets.curation_package.parent),
            exclude=["*", f"!{assets.curation_package.name}", f"!{assets.curation_package.name}/**", "**/__pycache__"],
        )
        self.curation_package.grant_read(self.role)

        job_class = glue.PySparkFlexEtlJob if config.glue_flex else glue.PySparkEtlJob
        self.curate_job = job_class(
            self,
            "CurateJob",
            job_name=f"spotify-lake-{config.name}-curate",
            description="Raw API responses and privacy exports to deduplicated, partitioned Parquet tables",
            glue_version=glue.GlueVersion.V5_0,
            role=self.role,
            script=glue.Code.from_asset(str(assets.glue_jobs / CURATE_SCRIPT)),
            extra_python_files=[
                glue.Code.from_bucket(self.curation_package.bucket, self.curation_package.s3_object_key)
            ],
            worker_configuration=glue.WorkerConfiguration(
                worker_type=_WORKER_TYPES[config.glue_worker_type], number_of_workers=config.glue_workers
            ),
            timeout=Duration.minutes(config.glue_timeout_minutes),
            max_retries=0,  # the state machine retries; a silent Glue retry would double the bill
            security_configuration=self.security_configuration,
            default_arguments=curate_arguments(storage),
            **({} if config.glue_flex else {"max_concurrent_runs": 1}),
        )

    def _grant(self, storage: LakeStorage) -> None:
        role = self.role
        raw, curated = storage.raw_bucket, storage.curated_bucket
        grant_objects(role, raw, RAW_PREFIX, READ)
        grant_list(role, raw, RAW_PREFIX)
        # curated/ holds the tables, the manifest and run staging: partitions are swapped in by move + delete.
        grant_objects(role, curated, CURATED_PREFIX, READ_WRITE_DELETE)
        grant_objects(role, curated, RUNS_PREFIX, READ_WRITE)
        grant_list(role, curated, CURATED_PREFIX, RUNS_PREFIX)
        grant_key(role, storage.key, encrypt=True)
        glue_logs = f"arn:{Aws.PARTITION}:logs:{Aws.REGION}:{Aws.ACCOUNT_ID}:log-group:/aws-glue/*"
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:AssociateKmsKey"],
                resources=[glue_logs],
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["cloudwatch:PutMetricData"],
                resources=["*"],
                conditions={"StringEquals": {"cloudwatch:namespace": "Glue"}},
            )
        )
        acknowledge(
            role,
            "IAM5",
            "The job reads every raw object (raw/*), rewrites table partitions under curated/* and writes run "
            "summaries under _runs/*; Glue creates its encrypted log groups under /aws-glue/ at run time; "
            "cloudwatch:PutMetricData has no resource-level permission and is limited to the Glue namespace; "
            "the script and package are read from the CDK asset bucket.",
            findings=[
                arn_finding(raw, f"/{RAW_PREFIX}*"),
                arn_finding(curated, f"/{CURATED_PREFIX}*"),
                arn_finding(curated, f"/{RUNS_PREFIX}*"),
                "Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:/aws-glue/*",
                ANY_RESOURCE,
                # Code.from_asset grants read on the bootstrap asset bucket's objects (CDK's default synthesizer).
                "Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*",
                "Action::s3:GetObject*",
                "Action::s3:GetBucket*",
                "Action::s3:List*",
            ],
        )


def curate_arguments(storage: LakeStorage) -> dict[str, str]:
    """Job arguments read by ``glue/jobs/curate.py`` (its ``getResolvedOptions`` names); --run_id comes per run."""
    return {
        "--raw_root": f"s3://{storage.raw_bucket.bucket_name}",
        "--curated_root": f"s3://{storage.curated_bucket.bucket_name}",
        "--runs_root": f"s3://{storage.curated_bucket.bucket_name}",
    }
