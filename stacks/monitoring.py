"""Monitoring: one CloudWatch dashboard for the pipeline and alarms that e-mail the alerts topic."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_glue as glue
from constructs import Construct

from stacks.catalog import CatalogAndQuery
from stacks.config import EnvironmentConfig
from stacks.ingestion import Ingestion, metrics_namespace
from stacks.orchestration import Orchestration
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

        alarm_action = actions.SnsAction(orchestration.alerts)
        self.alarms: list[cloudwatch.Alarm] = []

        def alarm(construct_id: str, metric: cloudwatch.IMetric, description: str, *, periods: int = 1) -> None:
            created = metric.create_alarm(
                self,
                construct_id,
                alarm_description=description,
                threshold=1,
                evaluation_periods=periods,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            created.add_alarm_action(alarm_action)
            self.alarms.append(created)

        alarm(
            "ExtractorErrors",
            extractor.metric_errors(period=_HOUR),
            "The extractor Lambda failed in the last hour: read its log group (an expired Spotify authorization "
            "needs `spotify_lake authorize`). Each missed hour risks plays beyond Spotify's last 50.",
        )
        alarm(
            "ExtractorFailedInvocations",
            ingestion.failed_invocations.metric_approximate_number_of_messages_visible(period=_HOUR),
            "A scheduled extraction failed after its retries; the failure record is in the extractor's failure queue.",
        )
        alarm(
            "ExtractionGaps",
            extractor_metric("GapsDetected"),
            "More than 50 plays happened between two extractions: Spotify cannot return the older ones. "
            "Shorten extract_every_minutes or import a privacy export to fill the gap.",
        )
        alarm(
            "PipelineFailed",
            machine.metric_failed(period=_HOUR),
            "The daily pipeline failed; the alert e-mail says at which step and what to do.",
        )
        alarm(
            "PipelineTimedOut",
            machine.metric_timed_out(period=_HOUR),
            "The daily pipeline timed out (a step hung); open the execution in the Step Functions console.",
        )
        alarm(
            "CurationFailed",
            job.metric_failure(period=_HOUR),
            "The Glue curation job failed; open its run in the Glue console for the error.",
        )
