"""Monitoring: one CloudWatch dashboard, and the alerts no step can send itself: one alarm (extraction gaps)
and EventBridge rules (pipeline stopped or failed without its own alert, scheduled extraction failed)."""

from __future__ import annotations

import jsii
from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_events as events
from aws_cdk import aws_glue as glue
from aws_cdk import aws_sns as sns
from aws_cdk.interfaces.aws_events import IRuleRef
from constructs import Construct

from stacks.catalog import CatalogAndQuery
from stacks.config import EnvironmentConfig
from stacks.ingestion import Ingestion, metrics_namespace
from stacks.orchestration import PIPELINE_FAILED_ERROR, Orchestration
from stacks.processing import Processing

_HOUR = Duration.hours(1)
_DAY = Duration.days(1)


class Monitoring(Construct):
    """Dashboard (extraction, Lambda, Glue, workflow, Athena) and alarms on what needs a human."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: EnvironmentConfig,
        ingestion: Ingestion,
        processing: Processing,
        catalog: CatalogAndQuery,
        orchestration: Orchestration,
    ) -> None:
        super().__init__(scope, construct_id)
        extractor = ingestion.extractor.function
        job = processing.curate_job
        machine = orchestration.state_machine
        namespace = metrics_namespace(config)

        def extractor_metric(name: str, statistic: str = "Sum") -> cloudwatch.Metric:
            return cloudwatch.Metric(
                namespace=namespace,
                metric_name=name,
                dimensions_map={"service": "extractor"},
                statistic=statistic,
                period=_HOUR,
            )

        items_by_source = cloudwatch.MathExpression(
            # Powertools emits one metric per source (ItemsExtracted.<source>); SEARCH finds them all.
            expression=f"SEARCH('{{{namespace},service}} service=\"extractor\" ItemsExtracted', 'Sum', 3600)",
            label="",
            period=_HOUR,
            using_metrics={},
        )
        glue_elapsed = job.metric(
            "glue.driver.aggregate.elapsedTime", glue.MetricType.COUNT, statistic="Maximum", period=_DAY
        )

        self.dashboard = cloudwatch.Dashboard(
            self, "Dashboard", dashboard_name=f"spotify-lake-{config.name}", default_interval=Duration.days(7)
        )
        self.dashboard.add_widgets(
            cloudwatch.TextWidget(
                markdown=f"# spotify-lake {config.name}\nExtraction every {config.extract_every_minutes} min; "
                f"daily pipeline at {config.daily_run_at} {config.time_zone}. "
                "Failures are e-mailed to the alerts topic.",
                width=24,
                height=2,
            )
        )
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(title="Items extracted per source (hourly)", left=[items_by_source], width=12),
            cloudwatch.GraphWidget(
                title="Spotify throttling",
                left=[extractor_metric("Throttled429"), extractor_metric("CheckpointedRuns")],
                right=[extractor_metric("ThrottledSeconds")],
                width=12,
            ),
        )
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Extractor Lambda: invocations, errors, throttles",
                left=[
                    extractor.metric_invocations(period=_HOUR),
                    extractor.metric_errors(period=_HOUR),
                    extractor.metric_throttles(period=_HOUR),
                ],
                width=8,
            ),
            cloudwatch.GraphWidget(
                title="Extractor Lambda: duration",
                left=[
                    extractor.metric_duration(statistic="Average", period=_HOUR),
                    extractor.metric_duration(statistic="Maximum", period=_HOUR),
                ],
                width=8,
            ),
            cloudwatch.GraphWidget(
                title="Failed scheduled extractions (queue)",
                left=[ingestion.failed_invocations.metric_approximate_number_of_messages_visible(period=_HOUR)],
                width=8,
            ),
        )
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Glue curation: runs",
                left=[
                    job.metric_success(period=_DAY, label="succeeded"),
                    job.metric_failure(period=_DAY, label="failed"),
                    job.metric_timeout(period=_DAY, label="timed out"),
                ],
                width=8,
            ),
            cloudwatch.GraphWidget(title="Glue curation: duration (ms)", left=[glue_elapsed], width=8),
            cloudwatch.GraphWidget(
                title="Pipeline executions",
                left=[
                    machine.metric_started(period=_DAY),
                    machine.metric_succeeded(period=_DAY),
                    machine.metric_failed(period=_DAY),
                    machine.metric_timed_out(period=_DAY),
                ],
                right=[machine.metric_time(statistic="Maximum", period=_DAY)],
                width=8,
            ),
        )
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Athena: bytes scanned by the workgroup",
                left=[
                    cloudwatch.Metric(
                        namespace="AWS/Athena",
                        metric_name="ProcessedBytes",
                        dimensions_map={"WorkGroup": catalog.workgroup.ref},
                        statistic="Sum",
                        period=_DAY,
                    )
                ],
                width=12,
            ),
        )

        # One failure, one alert. The state machine e-mails a described alert for every failed step, so no
        # alarm watches ExecutionsFailed, the Glue job or the extractor's Errors (each would repeat it). What
        # the state machine cannot report (a timeout, an abort, a failure of the alert itself) and failed
        # scheduled extractions come from EventBridge rules: AWS service events are free, alarms are not.
        # The one alarm left is the extractor's own gap metric. A schedule that cannot invoke the extractor
        # at all (its dead-letter queue, on the dashboard) shows up there too: the daily pipeline's
        # extraction then finds more than 50 plays since the last cursor.
        self.alarms: list[cloudwatch.Alarm] = []
        self.rules: list[events.Rule] = []
        alerts = orchestration.alerts

        def alarm(construct_id: str, metric: cloudwatch.Metric, description: str) -> None:
            created = metric.create_alarm(
                self,
                construct_id,
                alarm_description=description,
                threshold=1,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            created.add_alarm_action(actions.SnsAction(alerts))
            self.alarms.append(created)

        def rule(construct_id: str, description: str, pattern: events.EventPattern, message: str) -> None:
            created = events.Rule(self, construct_id, description=description, event_pattern=pattern)
            created.add_target(_AlertTarget(alerts, events.RuleTargetInput.from_text(message)))
            self.rules.append(created)

        alarm(
            "ExtractionGaps",
            extractor_metric("GapsDetected"),
            "More than 50 plays happened between two extractions: Spotify cannot return the older ones. "
            "Shorten extract_every_minutes or import a privacy export to fill the gap.",
        )
        env = config.name
        execution = events.EventField.from_path("$.detail.name")
        rule(
            "PipelineStopped",
            "The daily pipeline timed out or was aborted (the state machine cannot alert for these itself)",
            events.EventPattern(
                source=["aws.states"],
                detail_type=["Step Functions Execution Status Change"],
                detail={"stateMachineArn": [machine.state_machine_arn], "status": ["TIMED_OUT", "ABORTED"]},
            ),
            f"spotify-lake ({env}): the pipeline run {execution} ended "
            f"{events.EventField.from_path('$.detail.status')} before it finished. A timed-out run had a step "
            "that hung: open the execution in the Step Functions console to see which.",
        )
        rule(
            "PipelineFailedWithoutAlert",
            "The daily pipeline failed without reaching its own described alert (e.g. the alert could not be sent)",
            events.EventPattern(
                source=["aws.states"],
                detail_type=["Step Functions Execution Status Change"],
                detail={
                    "stateMachineArn": [machine.state_machine_arn],
                    "status": ["FAILED"],
                    # The Fail state after a described alert raises PipelineFailed: that one was already sent.
                    "error": [{"anything-but": PIPELINE_FAILED_ERROR}],
                },
            ),
            f"spotify-lake ({env}): the pipeline run {execution} failed with "
            f"{events.EventField.from_path('$.detail.error')} and could not send its own alert. Open the "
            "execution in the Step Functions console.",
        )
        rule(
            "ScheduledExtractionFailed",
            "A scheduled extraction failed (the extractor's asynchronous on-failure destination)",
            events.EventPattern(
                source=["lambda"],
                detail_type=["Lambda Function Invocation Result - Failure"],
                detail={"requestContext": {"functionArn": [{"prefix": f"{extractor.function_arn}:"}]}},
            ),
            f"spotify-lake ({env}): a scheduled extraction failed with "
            f"{events.EventField.from_path('$.detail.responsePayload.errorType')}: "
            f"{events.EventField.from_path('$.detail.responsePayload.errorMessage')}. An expired Spotify "
            "authorization needs `spotify_lake authorize`; otherwise read the extractor's log group. Cursors "
            "never run ahead of written data: the next scheduled run resumes. Each missed hour risks plays "
            "beyond Spotify's last 50.",
        )

        orchestration.allow_service_publish(
            "CloudWatchAlarmsPublish", "cloudwatch.amazonaws.com", [a.alarm_arn for a in self.alarms]
        )
        orchestration.allow_service_publish(
            "EventBridgeRulesPublish", "events.amazonaws.com", [r.rule_arn for r in self.rules]
        )


@jsii.implements(events.IRuleTarget)
class _AlertTarget:
    """The alerts topic as a rule target, without CDK's grant (an unconditioned Allow for every rule of the
    account): ``Orchestration.allow_service_publish`` allows exactly this stack's rules."""

    def __init__(self, topic: sns.ITopic, message: events.RuleTargetInput) -> None:
        self._topic = topic
        self._message = message

    def bind(self, rule: IRuleRef, id: str | None = None) -> events.RuleTargetConfig:
        return events.RuleTargetConfig(arn=self._topic.topic_arn, input=self._message)
