"""Orchestration: the daily workflow extract → curate → data-quality gate → refresh views, its alerts topic
and schedule.

Every step catches its failure and hands it to a "Describe …" state that writes a plain-language alert
(which step, which run, what to do) for the one "Send failure alert" state to publish.
"""

from __future__ import annotations

from aws_cdk import Aws, Duration, RemovalPolicy, TimeZone
from aws_cdk import aws_iam as iam
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as scheduler_targets
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from lake_contract.settings import (
    CURATE_RUN_ID_PREFIX,
    EXTRACT_RUN_ID_PREFIX,
    CurateArguments,
    ExtractionEvent,
    QualityGateEvent,
    QualityGateSettings,
)
from stacks.access import READ, grant_key, grant_list, grant_objects
from stacks.bundling import python_lambda_code
from stacks.catalog import CatalogAndQuery
from stacks.config import AssetPaths, EnvironmentConfig
from stacks.functions import PythonFunction, encrypted_log_group
from stacks.ingestion import Ingestion
from stacks.nag import ANY_RESOURCE, acknowledge, arn_finding, logical_id
from stacks.processing import Processing
from stacks.storage import RUNS_PREFIX, LakeStorage

#: Error names raised by the extractor (``extraction.errors``): Lambda reports the class name as the error.
AUTHORIZATION_EXPIRED = "AuthorizationExpired"
SECRET_UNAVAILABLE = "SecretUnavailable"  # noqa: S105 - an error class name, not a secret
CREDENTIALS_INVALID = "CredentialsInvalid"

QUALITY_GATE_HANDLER = "quality_gate.handler.lambda_handler"
#: The error of the "Pipeline failed" state, reached only after the described alert was sent.
PIPELINE_FAILED_ERROR = "PipelineFailed"

# Braces are placeholders in States.Format and must be escaped. An escaped quote (\\') is valid ASL but
# interpreters disagree on it (moto's parser truncates the string there), so apostrophes become typographic.
_FORMAT_ESCAPES = str.maketrans({"{": "\\{", "}": "\\}", "'": "\u2019"})


def _literal(text: str) -> str:
    return text.translate(_FORMAT_ESCAPES)


class Orchestration(Construct):
    """The state machine, the quality-gate Lambda, the alerts topic and the daily schedule."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: EnvironmentConfig,
        storage: LakeStorage,
        ingestion: Ingestion,
        processing: Processing,
        catalog: CatalogAndQuery,
        assets: AssetPaths,
    ) -> None:
        super().__init__(scope, construct_id)
        self._config = config
        removal = RemovalPolicy.RETAIN if config.retain_data else RemovalPolicy.DESTROY

        # With a customer-managed key the topic is encrypted with it; AWS-managed mode leaves the topic
        # unencrypted (TLS-only access; alerts carry step names and error messages, never data): the aws/sns
        # key's policy cannot be changed, so CloudWatch and EventBridge (which publish as service principals)
        # could not use it and every alert would be dropped.
        self.alerts = sns.Topic(
            self,
            "Alerts",
            display_name=f"spotify-lake {config.name} alerts",
            master_key=storage.key,
            enforce_ssl=True,
        )
        self.alerts.add_subscription(subscriptions.EmailSubscription(config.alert_email))
        self._key = storage.key
        self.quality_gate = PythonFunction(
            self,
            "QualityGate",
            # Standard library only (boto3 is in the runtime): nothing to pip-install, the contract copied beside it.
            code=python_lambda_code(
                assets.quality_gate,
                ("quality_gate",),
                skip_pip_install=True,
                shared=(assets.contract_package,),
                needs_requirements=False,
            ),
            handler=QUALITY_GATE_HANDLER,
            description=f"spotify-lake {config.name}: checks a curation run summary before views are refreshed",
            environment=QualityGateSettings(
                storage.curated_bucket.bucket_name, config.max_quarantine_ratio
            ).to_environment(),
            timeout=Duration.seconds(60),
            memory_mb=256,
            key=storage.key,
            log_retention_days=config.log_retention_days,
            removal=removal,
        )
        gate_role = self.quality_gate.role
        grant_objects(gate_role, storage.curated_bucket, f"{RUNS_PREFIX}curate-", READ)
        # Without ListBucket a missing summary reads as AccessDenied instead of "no summary was written".
        grant_list(gate_role, storage.curated_bucket, f"{RUNS_PREFIX}curate-")
        grant_key(gate_role, storage.key, encrypt=False)
        acknowledge(
            gate_role,
            "IAM5",
            "The gate reads the run summary _runs/curate-<execution>.json; the key is per run, so the grant is "
            "on the _runs/curate-* prefix only.",
            findings=[arn_finding(storage.curated_bucket, f"/{RUNS_PREFIX}curate-*")],
        )

        self.state_machine_logs = encrypted_log_group(
            self, "StateMachineLogs", key=storage.key, retention_days=config.log_retention_days, removal=removal
        )
        definition = self._definition(ingestion, processing, catalog)
        self.state_machine = sfn.StateMachine(
            self,
            "Pipeline",
            state_machine_name=f"spotify-lake-{config.name}-pipeline",
            comment="Daily: extract from Spotify, curate with Glue, check data quality, refresh Athena views",
            definition_body=sfn.DefinitionBody.from_chainable(definition),
            timeout=Duration.hours(8),
            tracing_enabled=True,
            logs=sfn.LogOptions(
                destination=self.state_machine_logs, level=sfn.LogLevel.ALL, include_execution_data=True
            ),
        )
        catalog.grant_refresh_views(self.state_machine, storage)
        self.state_machine.add_to_role_policy(
            iam.PolicyStatement(
                actions=["athena:GetDataCatalog"],
                resources=[f"arn:{Aws.PARTITION}:athena:{Aws.REGION}:{Aws.ACCOUNT_ID}:datacatalog/AwsDataCatalog"],
            )
        )
        self.alerts.grant_publish(self.state_machine)
        acknowledge(
            self.state_machine,
            "IAM5",
            "LambdaInvoke grants the functions and their versions (<arn>:*); a view is a Glue table of this "
            "database (table/<db>/*); query results go under results/* of the results bucket; CloudWatch Logs "
            "delivery and X-Ray actions have no resource-level permissions.",
            findings=[
                arn_finding(ingestion.extractor.function, ":*"),
                arn_finding(self.quality_gate.function, ":*"),
                arn_finding(storage.athena_results_bucket, "/results/*"),
                f"Resource::arn:<AWS::Partition>:glue:<AWS::Region>:<AWS::AccountId>:table/"
                f"<{logical_id(catalog.database)}>/*",
                ANY_RESOURCE,
                # SnsPublish to the KMS-encrypted topic: CDK's grant names the lake key only.
                "Action::kms:GenerateDataKey*",
            ],
        )

        hour, minute = config.daily_run_hour_minute
        self.daily_schedule = scheduler.Schedule(
            self,
            "DailyRun",
            description=f"Daily pipeline run at {config.daily_run_at} {config.time_zone}",
            schedule=scheduler.ScheduleExpression.cron(
                minute=str(minute), hour=str(hour), time_zone=TimeZone.of(config.time_zone)
            ),
            target=scheduler_targets.StepFunctionsStartExecution(
                self.state_machine,
                input=scheduler.ScheduleTargetInput.from_object({"trigger": "daily-schedule"}),
                retry_attempts=2,
            ),
        )

    def allow_service_publish(self, sid: str, service: str, source_arns: list[str]) -> None:
        """Let ``service`` (e.g. ``cloudwatch.amazonaws.com``) publish alerts for exactly ``source_arns``.

        The topic policy CDK writes for ``enforce_ssl`` replaces SNS's default policy, so a service principal
        may publish only if an Allow names it. ``aws:SourceArn`` pins it to this stack's alarms or rules (the
        confused-deputy guard); with a customer-managed key the key policy must also let the service encrypt.
        """
        self.alerts.add_to_resource_policy(
            iam.PolicyStatement(
                sid=sid,
                principals=[iam.ServicePrincipal(service)],
                actions=["sns:Publish"],
                resources=[self.alerts.topic_arn],
                conditions={
                    "ArnEquals": {"aws:SourceArn": source_arns},
                    "StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID},
                },
            )
        )
        if self._key is not None:
            self._key.add_to_resource_policy(
                iam.PolicyStatement(
                    sid=f"{sid}ToEncryptedTopic",
                    principals=[iam.ServicePrincipal(service)],
                    actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                    resources=["*"],  # in a key policy "*" means this key
                    conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}},
                )
            )

    # -- the workflow ---------------------------------------------------------------------------------

    def _definition(self, ingestion: Ingestion, processing: Processing, catalog: CatalogAndQuery) -> sfn.IChainable:
        config = self._config
        alert = tasks.SnsPublish(
            self,
            "Send failure alert",
            topic=self.alerts,
            subject=sfn.JsonPath.string_at("$.alert.subject"),
            message=sfn.TaskInput.from_json_path_at("$.alert.message"),
            result_path=sfn.JsonPath.DISCARD,
        )
        alert.add_retry(errors=["States.ALL"], interval=Duration.seconds(5), max_attempts=3, backoff_rate=2)
        alert.next(
            sfn.Fail(self, "Pipeline failed", error=PIPELINE_FAILED_ERROR, cause="See the alert sent to the topic")
        )

        extract = tasks.LambdaInvoke(
            self,
            "Extract from Spotify",
            lambda_function=ingestion.extractor.function,
            payload=sfn.TaskInput.from_object(
                ExtractionEvent(
                    run_id=sfn.JsonPath.format(f"{EXTRACT_RUN_ID_PREFIX}{{}}", sfn.JsonPath.execution_name),
                    trigger="state-machine",
                ).to_event()
            ),
            result_selector={
                "run_id": sfn.JsonPath.string_at("$.Payload.run_id"),
                "status": sfn.JsonPath.string_at("$.Payload.status"),
                "items_written": sfn.JsonPath.number_at("$.Payload.items_written"),
            },
            result_path="$.extract",
            task_timeout=sfn.Timeout.duration(Duration.seconds(config.extractor_timeout_seconds + 60)),
            retry_on_service_exceptions=True,
        )
        # With reserved concurrency configured a scheduled extraction may hold the only slot: wait for it.
        extract.add_retry(
            errors=["Lambda.TooManyRequestsException"], interval=Duration.seconds(60), max_attempts=6, backoff_rate=1.5
        )
        extract.add_catch(
            self._describe(
                "extraction (Spotify authorization expired)",
                "Extract from Spotify",
                "A listener's Spotify refresh token expired (Spotify ends them after six months) or was revoked. "
                "Run `python -m spotify_lake authorize --secret-id SECRET` for that listener (the error names it), "
                "then start the state machine again. Plays older than the last 50 cannot be fetched any more: "
                "request your privacy export from Spotify and import it to fill the gap.",
                alert,
                subject="Spotify authorization expired",
            ),
            errors=[AUTHORIZATION_EXPIRED],
            result_path="$.error",
        )
        extract.add_catch(
            self._describe(
                "extraction (credentials secret)",
                "Extract from Spotify",
                "The extractor could not use its Secrets Manager secret or Spotify rejected the app's client id "
                "and secret. Check the secret's JSON shape (docs/DEPLOY.md) and the app in Spotify's dashboard, "
                "then start the state machine again.",
                alert,
            ),
            errors=[SECRET_UNAVAILABLE, CREDENTIALS_INVALID],
            result_path="$.error",
        )
        extract.add_catch(
            self._describe(
                "extraction",
                "Extract from Spotify",
                "Read the extractor's log group for this run id. Cursors never run ahead of written data, so "
                "starting the state machine again (or waiting for the next scheduled run) is safe.",
                alert,
            ),
            errors=["States.ALL"],
            result_path="$.error",
        )

        curate_run_id = sfn.JsonPath.format(f"{CURATE_RUN_ID_PREFIX}{{}}", sfn.JsonPath.execution_name)
        curate = tasks.GlueStartJobRun(
            self,
            "Curate with Glue",
            glue_job_name=processing.curate_job.job_name,
            integration_pattern=sfn.IntegrationPattern.RUN_JOB,
            arguments=sfn.TaskInput.from_object(CurateArguments(run_id=curate_run_id).to_arguments()),
            # The job run as Glue reports it (id, state, execution time) for the console and the logs.
            result_path="$.curate",
            # Rendered as the job run's own Timeout: Glue stops the run, and .sync reports the failure.
            task_timeout=sfn.Timeout.duration(Duration.minutes(config.glue_timeout_minutes)),
        )
        curate.add_retry(
            errors=["Glue.ConcurrentRunsExceededException", "Glue.ThrottlingException"],
            interval=Duration.minutes(2),
            max_attempts=3,
            backoff_rate=2,
        )
        curate.add_catch(
            self._describe(
                "curation",
                "Curate with Glue",
                "Open the Glue job run (AWS Glue console, job runs) and its error log. A failed blocking "
                "data-quality check names the check; nothing was published to the curated tables, and the next "
                "run retries the same raw objects.",
                alert,
            ),
            errors=["States.ALL"],
            result_path="$.error",
        )

        gate = tasks.LambdaInvoke(
            self,
            "Check data quality",
            lambda_function=self.quality_gate.function,
            payload=sfn.TaskInput.from_object(QualityGateEvent(curate_run_id).to_event()),
            result_selector={
                "passed": sfn.JsonPath.string_at("$.Payload.passed"),
                "problems": sfn.JsonPath.string_at("$.Payload.problems"),
            },
            result_path="$.quality",
            task_timeout=sfn.Timeout.duration(Duration.minutes(2)),
            retry_on_service_exceptions=True,
        )
        gate.add_catch(
            self._describe(
                "data-quality gate",
                "Check data quality",
                "The quality-gate Lambda could not read the curation run summary (_runs/<run id>.json in the "
                "curated bucket). Check that the Glue run wrote it and read the gate's log group.",
                alert,
            ),
            errors=["States.ALL"],
            result_path="$.error",
        )
        rejected = self._describe(
            "data-quality gate (checks failed)",
            "Check data quality",
            "The curation run's summary failed the gate; the problems are listed above. Read them in "
            "_runs/<run id>.json of the curated bucket and the data_quality and quarantine tables; fix the input "
            "or the job, then run the pipeline again. The views were not refreshed.",
            alert,
            error_path="$.quality.problems",
        )

        views = [self._refresh_view(view.name, view.sql, catalog, alert) for view in catalog.views]
        done = sfn.Succeed(self, "Pipeline succeeded")
        chain = sfn.Chain.start(views[0])
        for view in views[1:]:
            chain = chain.next(view)
        chain = chain.next(done)

        verdict = (
            sfn.Choice(self, "Data quality passed?")
            .when(sfn.Condition.boolean_equals("$.quality.passed", True), chain)
            .otherwise(rejected)
        )
        return sfn.Chain.start(extract).next(curate).next(gate).next(verdict)

    def _refresh_view(self, name: str, sql: str, catalog: CatalogAndQuery, alert: sfn.IChainable) -> sfn.CustomState:
        # A CustomState rather than tasks.AthenaStartQueryExecution: that task grants s3:GetObject on every
        # bucket ("*"); here the role gets exactly the workgroup, this database and the results prefix.
        state = sfn.CustomState(
            self,
            f"Refresh view {name}",
            state_json={
                "Type": "Task",
                "Resource": f"arn:{Aws.PARTITION}:states:::athena:startQueryExecution.sync",
                "Parameters": {
                    "QueryString": sql,
                    "WorkGroup": catalog.workgroup.ref,
                    "QueryExecutionContext": {"Database": catalog.database.database_name},
                },
                # A small fixed result: the query execution (with its full SQL) would bloat the state, and
                # CustomState drops a null ResultPath (jsii omits None), so DISCARD cannot be written here.
                "ResultSelector": {"view": name},
                "ResultPath": "$.last_refreshed",
                "TimeoutSeconds": 600,
            },
        )
        state.add_retry(
            errors=["Athena.TooManyRequestsException", "Athena.InternalServerException"],
            interval=Duration.seconds(10),
            max_attempts=3,
            backoff_rate=2,
        )
        state.add_catch(
            self._describe(
                f"view refresh ({name})",
                f"Refresh view {name}",
                f"Athena rejected CREATE OR REPLACE VIEW {name}. Open the query in the Athena console "
                f"(workgroup spotify-lake-{self._config.name}, recent queries) for the error; the curated tables "
                "are up to date, only this view and the ones after it are stale.",
                alert,
            ),
            errors=["States.ALL"],
            result_path="$.error",
        )
        return state

    def _describe(
        self,
        what: str,
        step: str,
        advice: str,
        alert: sfn.IChainable,
        *,
        subject: str | None = None,
        error_path: str | None = None,
    ) -> sfn.Chain:
        """A state turning the caught error at ``$.error`` (or the gate's problems) into ``$.alert``."""
        env = self._config.name
        if error_path is None:
            detail = "Error: {}. Cause: {}"
            detail_args = [sfn.JsonPath.string_at("$.error.Error"), sfn.JsonPath.string_at("$.error.Cause")]
        else:
            detail = "Problems: {}"
            detail_args = [sfn.JsonPath.json_to_string(sfn.JsonPath.object_at(error_path))]
        message = sfn.JsonPath.format(
            _literal(f"spotify-lake ({env}): the pipeline run ")
            + "{}"
            + _literal(f' failed at step "{step}".\n\n')
            + detail
            + _literal(f"\n\nWhat to do: {advice}\n\nExecution: ")
            + f"https://{Aws.REGION}.console.aws.amazon.com/states/home?region={Aws.REGION}#/v2/executions/details/"
            + "{}",
            sfn.JsonPath.execution_name,
            *detail_args,
            sfn.JsonPath.execution_id,
        )
        describe = sfn.Pass(
            self,
            f"Describe failure: {what}",
            parameters={
                "subject": f"spotify-lake {env}: {subject or 'pipeline failed at ' + step}"[:100],
                "message": message,
            },
            result_path="$.alert",
        )
        return describe.next(alert)
