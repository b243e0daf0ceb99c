"""Lambda entry point: ``extraction.handler.lambda_handler``. Thin: config, one run, metrics, summary.

Configuration comes from the environment (see ``extraction.config``) and is validated on the first
invocation of a container (cold start). ``install_runtime`` lets the local ``extract`` command and tests
run this same handler against a local folder, a local secret file or the emulator.
"""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

from extraction.run import Runtime, run_extraction
from lake_contract.summaries import EXTRACTION_CHECKPOINTED, EXTRACTION_NOT_AUTHORIZED, ExtractionSummary

logger = Logger(service="extractor")
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "SpotifyLake"), service="extractor")
tracer = Tracer(service="extractor")

_runtime: Runtime | None = None
# Powertools emits the cold-start metric even when metrics are disabled; local runs disable both.
_COLD_START_METRIC = os.environ.get("POWERTOOLS_METRICS_DISABLED", "false").lower() != "true"


def install_runtime(runtime: Runtime | None) -> None:
    """Use ``runtime`` for the following invocations (None: rebuild from the environment next time)."""
    global _runtime
    _runtime = runtime


def current_runtime() -> Runtime:
    global _runtime
    if _runtime is None:
        _runtime = Runtime.from_environment(os.environ)
    return _runtime


@logger.inject_lambda_context(log_event=False, clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=_COLD_START_METRIC)
def lambda_handler(event, context):
    """Run one extraction and return its summary; re-raise AuthorizationExpired / CredentialsInvalid /
    SecretUnavailable (by those class names) after the summary is written."""
    runtime = current_runtime()
    outcome = run_extraction(
        runtime,
        event if isinstance(event, dict) else {},
        remaining_seconds=lambda: context.get_remaining_time_in_millis() / 1000.0,
        log=logger,
    )
    summary = outcome.summary
    emit_metrics(summary)
    if summary.status != EXTRACTION_NOT_AUTHORIZED:  # that run already said so in its one line
        logger.info(
            "extraction run ended",
            extra={
                "run_id": summary.run_id,
                "status": summary.status,
                "items_written": summary.items_written,
                "requests": summary.requests_total,
                "gaps_detected": summary.gaps_detected,
            },
        )
    if outcome.fatal is not None:
        raise outcome.fatal
    return summary.to_dict()


def emit_metrics(summary: ExtractionSummary) -> None:
    for source, agg in summary.sources.items():
        metrics.add_metric(name=f"ItemsExtracted.{source}", unit=MetricUnit.Count, value=agg.items_written)
    by_status = summary.requests_by_status
    metrics.add_metric(name="ApiRequests", unit=MetricUnit.Count, value=summary.requests_total)
    metrics.add_metric(name="Throttled429", unit=MetricUnit.Count, value=by_status.get("429", 0))
    metrics.add_metric(name="ThrottledSeconds", unit=MetricUnit.Seconds, value=summary.throttled_seconds)
    checkpointed = int(summary.status == EXTRACTION_CHECKPOINTED)
    metrics.add_metric(name="CheckpointedRuns", unit=MetricUnit.Count, value=checkpointed)
    metrics.add_metric(name="GapsDetected", unit=MetricUnit.Count, value=summary.gaps_detected)
    metrics.add_metric(name="Quarantined", unit=MetricUnit.Count, value=summary.quarantined)
