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

from lake_contract.settings import ExtractionEvent, ExtractorSettings, SearchSpec
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


#: The secret's value until `spotify_lake authorize` writes the first listener (plus a random "placeholder"
#: field): ``extraction.credentials`` reads a document without listeners as "not authorized yet".
PLACEHOLDER_SECRET = {"client_id": "", "client_secret": "", "listeners": []}

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
        self._key = storage.key

        self.secret = secretsmanager.Secret(
            self,
            "SpotifySecret",
            description=(
                "Spotify app credentials and listeners' refresh tokens: "
                '{"client_id", "client_secret", "listeners": [{"refresh_token", "listener_id"}]}; '
                "written by `python -m spotify_lake authorize --secret-id …`"
            ),
            # None: Secrets Manager's AWS-managed key (aws/secretsmanager).
            encryption_key=storage.key,
            # Until `authorize` runs, the secret holds a document with no listener: the extractor ends cleanly
            # ("no listener authorized yet") instead of failing on a random string every few minutes.
            generate_secret_string=secretsmanager.SecretStringGenerator(
                secret_string_template=json.dumps(PLACEHOLDER_SECRET),
                generate_string_key="placeholder",
                exclude_punctuation=True,
            ),
            removal_policy=removal,
        )
        acknowledge(
            self.secret,
            "SMG4",
            "Spotify issues refresh tokens only through the user's consent flow; `spotify_lake authorize` "
            "replaces them and no rotation Lambda can. The client secret is rotated in Spotify's dashboard.",
        )

        # Scheduled invocations the Scheduler could not deliver to Lambda at all (its dead-letter queue); a
        # run that Lambda accepted and that failed goes to EventBridge instead (on-failure destination).
        self.failed_invocations = sqs.Queue(
            self,
            "ExtractorFailures",
            **(
                {"encryption": sqs.QueueEncryption.KMS, "encryption_master_key": storage.key}
                if storage.key is not None
                else {"encryption": sqs.QueueEncryption.SQS_MANAGED}
            ),
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        acknowledge(
            self.failed_invocations,
            "SQS3",
            "This queue is itself the dead-letter store of the extraction schedule (undeliverable invocations).",
        )

        self.extractor = PythonFunction(
            self,
            "Extractor",
            code=python_lambda_code(
                assets.extractor,
                ("extraction",),
                skip_pip_install=skip_pip_install,
                shared=(assets.contract_package,),
            ),
            handler=EXTRACTOR_HANDLER,
            description=f"spotify-lake {config.name}: Spotify Web API to the raw zone",
            environment=extractor_environment(config, storage, self.secret),
            timeout=Duration.seconds(config.extractor_timeout_seconds),
            memory_mb=config.extractor_memory_mb,
            key=storage.key,
            log_retention_days=config.log_retention_days,
            removal=removal,
            # Off by default: a reservation fails `cdk deploy` on accounts with a small concurrency limit, and
            # cursors advance with conditional writes, so overlapping runs stay correct without it.
            reserved_concurrency=config.extractor_reserved_concurrency,
        )
        function = self.extractor.function
        function.configure_async_invoke(
            # A failed scheduled run becomes one event on the default bus; Monitoring turns it into one alert.
            on_failure=destinations.EventBridgeDestination(),
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
                    ExtractionEvent(sources=FREQUENT_SOURCES, trigger="schedule").to_event()
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
        # Writing the SSE-KMS dead-letter queue encrypts with the key under the Scheduler's role: SendMessage
        # alone is refused (KMS.AccessDeniedException) without GenerateDataKey and Decrypt on the key.
        key = self._key
        if key is not None:
            role.add_to_principal_policy(
                iam.PolicyStatement(actions=["kms:GenerateDataKey", "kms:Decrypt"], resources=[key.key_arn])
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


def extractor_environment(
    config: EnvironmentConfig, storage: LakeStorage, secret: secretsmanager.ISecret
) -> dict[str, str]:
    """The extractor's settings (the contract's model, which ``extraction.config`` parses) and Powertools'."""
    settings = ExtractorSettings(
        raw_bucket=storage.raw_bucket.bucket_name,
        runs_bucket=storage.curated_bucket.bucket_name,
        secret_id=secret.secret_arn,
        mode_hint=config.spotify_app_mode,
        searches=tuple(SearchSpec(q) for q in config.search_queries),
        backfill_requests_per_run=config.backfill_requests_per_run,
        backfill_requests_per_day=config.backfill_requests_per_day,
    )
    return {
        **settings.to_environment(),
        "POWERTOOLS_SERVICE_NAME": "extractor",
        "POWERTOOLS_METRICS_NAMESPACE": metrics_namespace(config),
        "LOG_LEVEL": "INFO",
    }
