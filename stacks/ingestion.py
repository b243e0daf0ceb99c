"""Ingestion: the Spotify credentials secret, the extractor Lambda and its frequent schedule."""

from __future__ import annotations

import json

from aws_cdk import Aws, Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as targets
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from stacks.access import READ_WRITE, WRITE, grant_key, grant_list, grant_objects
from stacks.bundling import python_lambda_code
from stacks.config import AssetPaths, EnvironmentConfig
from stacks.functions import PythonFunction
from stacks.nag import acknowledge, arn_finding
from stacks.storage import RAW_PREFIX, RUNS_PREFIX, STATE_PREFIX, LakeStorage

EXTRACTOR_HANDLER = "extraction.handler.lambda_handler"
#: Metric namespace of the extractor's Powertools metrics (one per environment, so dev never pollutes prod).
METRICS_NAMESPACE_PREFIX = "SpotifyLake"


def metrics_namespace(config: EnvironmentConfig) -> str:
    return f"{METRICS_NAMESPACE_PREFIX}/{config.name}"


#: Extractor sources polled by the frequent schedule (names from extraction.config.SOURCES).
FREQUENT_SOURCES = ("recently_played", "catalogue")


class Ingestion(Construct):
    """Extractor Lambda (one run at a time) invoked every few minutes by EventBridge Scheduler."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: EnvironmentConfig,
        storage: LakeStorage,
        assets: AssetPaths,
        skip_pip_install: bool,
    ) -> None:
        super().__init__(scope, construct_id)
        removal = RemovalPolicy.RETAIN if config.retain_data else RemovalPolicy.DESTROY

        self.secret = secretsmanager.Secret(
            self,
            "SpotifySecret",
            description=(
                "Spotify app credentials and listeners' refresh tokens: "
                '{"client_id", "client_secret", "listeners": [{"refresh_token", "listener_id"}]}; '
                "written by `python -m spotify_lake authorize --secret-id …`"
            ),
            encryption_key=storage.key,
            removal_policy=removal,
        )
        acknowledge(
            self.secret,
            "SMG4",
            "Spotify issues refresh tokens only through the user's consent flow; `spotify_lake authorize` "
            "replaces them and no rotation Lambda can. The client secret is rotated in Spotify's dashboard.",
        )

        # Failed asynchronous invocations (scheduled runs) are kept here for inspection and alarmed on.
        self.failed_invocations = sqs.Queue(
            self,
            "ExtractorFailures",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=storage.key,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        acknowledge(
            self.failed_invocations,
            "SQS3",
            "This queue is itself the extractor's on-failure destination (the dead-letter store).",
        )

        self.extractor = PythonFunction(
            self,
            "Extractor",
            code=python_lambda_code(assets.extractor, ("extraction",), skip_pip_install=skip_pip_install),
            handler=EXTRACTOR_HANDLER,
            description=f"spotify-lake {config.name}: Spotify Web API to the raw zone",
            environment=extractor_environment(config, storage, self.secret),
            timeout=Duration.seconds(config.extractor_timeout_seconds),
            memory_mb=config.extractor_memory_mb,
            key=storage.key,
            log_retention_days=config.log_retention_days,
            removal=removal,
            # Cursors advance with conditional writes anyway; one run at a time also keeps the API budget whole.
            reserved_concurrency=1,
        )
        function = self.extractor.function
        function.configure_async_invoke(
            on_failure=destinations.SqsDestination(self.failed_invocations),
            # The next scheduled run resumes from the cursors; replaying a stale event adds nothing.
            retry_attempts=0,
            max_event_age=Duration.minutes(config.extract_every_minutes),
        )
        self._grant(storage)

        self.schedule = scheduler.Schedule(
            self,
            "FrequentExtraction",
            description=f"Extract every {config.extract_every_minutes} min: Spotify keeps only the last 50 plays",
            schedule=scheduler.ScheduleExpression.rate(Duration.minutes(config.extract_every_minutes)),
            target=targets.LambdaInvoke(
                function,
                role=self._scheduler_role(function),
                # Only what Spotify forgets (its last 50 plays) and the artists they name; the daily
                # pipeline run takes the snapshot sources once a day.
                input=scheduler.ScheduleTargetInput.from_object(
                    {"trigger": "schedule", "sources": list(FREQUENT_SOURCES)}
                ),
                retry_attempts=0,
                dead_letter_queue=self.failed_invocations,
            ),
        )

    def _scheduler_role(self, function: lambda_.IFunction) -> iam.Role:
        # Scheduler assumes the role only for schedules of this account (confused-deputy guard).
        role = iam.Role(
            self,
            "SchedulerRole",
            assumed_by=iam.ServicePrincipal(
                "scheduler.amazonaws.com", conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}}
            ),
        )
        acknowledge(
            role,
            "IAM5",
            "The Scheduler target adds lambda:InvokeFunction on the extractor's versions (<arn>:*) to its role; "
            "the schedule invokes the one extractor function and nothing else.",
            findings=[arn_finding(function, ":*")],
        )
        return role

    def _grant(self, storage: LakeStorage) -> None:
        role = self.extractor.role
        self.secret.grant_read(role)
        raw = storage.raw_bucket
        # Raw objects are immutable, but keys are deterministic per run, so a retried run overwrites: Put only.
        grant_objects(role, raw, RAW_PREFIX, WRITE)
        # Cursors and known ids: read and conditional write. ListBucket makes a missing cursor a 404, not a 403.
        grant_objects(role, raw, STATE_PREFIX, READ_WRITE)
        grant_list(role, raw, STATE_PREFIX)
        grant_objects(role, storage.curated_bucket, f"{RUNS_PREFIX}extract-", WRITE)
        grant_key(role, storage.key, encrypt=True)
        acknowledge(
            role,
            "IAM5",
            "Object keys under raw/ and _state/ are named per listener, endpoint, date and run, and run summaries "
            "per run id, so the extractor's S3 actions are granted on exactly these prefixes and no wider.",
            findings=[
                arn_finding(raw, f"/{RAW_PREFIX}*"),
                arn_finding(raw, f"/{STATE_PREFIX}*"),
                arn_finding(storage.curated_bucket, f"/{RUNS_PREFIX}extract-*"),
            ],
        )
        acknowledge(
            role,
            "IAM5",
            "Sending failure records to the KMS-encrypted on-failure queue needs kms:GenerateDataKey*/ReEncrypt* "
            "(CDK's queue grant) on the lake key, which is the only key named in the statement.",
            findings=["Action::kms:GenerateDataKey*", "Action::kms:ReEncrypt*"],
        )


def extractor_environment(
    config: EnvironmentConfig, storage: LakeStorage, secret: secretsmanager.ISecret
) -> dict[str, str]:
    """The variables ``extraction.config.ExtractorConfig.from_environment`` reads (names are its interface)."""
    return {
        "RAW_BUCKET": storage.raw_bucket.bucket_name,
        "RUNS_BUCKET": storage.curated_bucket.bucket_name,
        "SECRET_ID": secret.secret_arn,
        "SPOTIFY_MODE_HINT": config.spotify_app_mode,
        "SEARCHES": json.dumps([{"q": q} for q in config.search_queries]),
        "POWERTOOLS_SERVICE_NAME": "extractor",
        "POWERTOOLS_METRICS_NAMESPACE": metrics_namespace(config),
        "LOG_LEVEL": "INFO",
    }
