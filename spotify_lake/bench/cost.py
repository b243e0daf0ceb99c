"""Modelled monthly AWS cost of running spotify-lake, from the deployed configuration and measured volumes.

Every price is a named constant with its source. Prices are the public on-demand prices of us-east-1
(N. Virginia) as published on the AWS pricing pages named beside each constant; other regions differ by
a few per cent. Free tiers are ignored on purpose: they would hide how the cost grows, and the
always-free Lambda / Step Functions allowances only make the real bill lower than the model.

The model is deliberately small and readable: :func:`monthly_cost` returns one line item per service so
that a reader can check every figure with a calculator. A month is :data:`DAYS_PER_MONTH` days.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

# --- Prices (USD) -------------------------------------------------------------------------------------

# aws.amazon.com/lambda/pricing — Arm (Graviton2) duration price, first 6 billion GB-seconds per month.
LAMBDA_ARM_GB_SECOND_USD = 0.0000133334
# aws.amazon.com/lambda/pricing — x86 duration price, first 6 billion GB-seconds per month.
LAMBDA_X86_GB_SECOND_USD = 0.0000166667
# aws.amazon.com/lambda/pricing — $0.20 per 1M requests.
LAMBDA_REQUEST_USD = 0.20 / 1_000_000
# aws.amazon.com/step-functions/pricing — Standard workflows, $0.025 per 1,000 state transitions.
SFN_STATE_TRANSITION_USD = 0.025 / 1_000
# aws.amazon.com/glue/pricing — Spark ETL jobs, $0.44 per DPU-hour (see also shared AWS_FACTS.md).
GLUE_DPU_HOUR_USD = 0.44
# aws.amazon.com/glue/pricing — Flex execution class, $0.29 per DPU-hour.
GLUE_FLEX_DPU_HOUR_USD = 0.29
# aws.amazon.com/glue/pricing — Glue 2.0 and later bill per second with a 1-minute minimum per job run.
GLUE_MINIMUM_BILLED_SECONDS = 60
# docs.aws.amazon.com/glue (worker types) — G.1X = 1 DPU (4 vCPU, 16 GB); G.2X = 2 DPU.
GLUE_WORKER_DPU = {"G.025X": 0.25, "G.1X": 1.0, "G.2X": 2.0, "G.4X": 4.0, "G.8X": 8.0}
# developer.spotify.com (February 2026 development-mode rules) — at most 5 users per development-mode app.
DEVELOPMENT_MODE_MAX_LISTENERS = 5
# aws.amazon.com/s3/pricing — S3 Standard, first 50 TB, $0.023 per GB-month.
S3_STANDARD_GB_MONTH_USD = 0.023
# aws.amazon.com/s3/pricing — PUT, COPY, POST, LIST requests, $0.005 per 1,000.
S3_PUT_REQUEST_USD = 0.005 / 1_000
# aws.amazon.com/s3/pricing — GET, SELECT and all other requests, $0.0004 per 1,000.
S3_GET_REQUEST_USD = 0.0004 / 1_000
# aws.amazon.com/athena/pricing — SQL queries, $5.00 per TB scanned.
ATHENA_TB_SCANNED_USD = 5.0
# aws.amazon.com/athena/pricing — bytes rounded up to the megabyte, 10 MB minimum per query.
ATHENA_MINIMUM_BYTES_PER_QUERY = 10 * 1024**2
# aws.amazon.com/kms/pricing — $1 per customer managed key per month.
KMS_KEY_MONTH_USD = 1.0
# aws.amazon.com/kms/pricing — $0.03 per 10,000 requests.
KMS_REQUEST_USD = 0.03 / 10_000
# aws.amazon.com/secrets-manager/pricing — $0.40 per secret per month.
SECRETS_MANAGER_SECRET_MONTH_USD = 0.40
# aws.amazon.com/secrets-manager/pricing — $0.05 per 10,000 API calls.
SECRETS_MANAGER_API_CALL_USD = 0.05 / 10_000
# aws.amazon.com/cloudwatch/pricing — Logs, $0.50 per GB ingested (standard class).
CLOUDWATCH_LOGS_INGEST_GB_USD = 0.50
# aws.amazon.com/cloudwatch/pricing — Logs, $0.03 per GB-month archived.
CLOUDWATCH_LOGS_STORAGE_GB_MONTH_USD = 0.03
# aws.amazon.com/cloudwatch/pricing — $0.10 per standard-resolution alarm metric per month.
CLOUDWATCH_ALARM_MONTH_USD = 0.10
# aws.amazon.com/eventbridge/pricing — EventBridge Scheduler, $1.00 per million invocations (after 14M free).
SCHEDULER_INVOCATION_USD = 1.00 / 1_000_000
# aws.amazon.com/eventbridge/pricing — events published by AWS services to the default bus are free, and so is
# delivery to an SNS target: the failure-alert rules (stacks/monitoring.py) cost nothing until they fire.
EVENTBRIDGE_SERVICE_EVENT_USD = 0.0

GB = 1024**3
TB = 1024**4
DAYS_PER_MONTH = 30
#: A heavy personal listener: about 100 plays a day (the figure the issue names).
PERSONAL_PLAYS_PER_DAY = 100
#: Plays per day in the growth table.
GROWTH_PLAYS_PER_DAY = (100, 1_000, 10_000, 100_000, 1_000_000)


@dataclass(frozen=True)
class Deployment:
    """What the deployed stacks configure. Defaults are the values the project ships with when no
    ``cdk.json`` context overrides them; :attr:`source` records where the figures came from."""

    extract_every_minutes: float = 30.0
    extract_lambda_memory_mb: int = 512
    extract_lambda_arm64: bool = True
    curate_runs_per_day: float = 1.0
    glue_workers: int = 2
    glue_worker_type: str = "G.1X"
    glue_flex: bool = True
    extractor_timeout_seconds: int = 900
    #: extract, curate, quality gate, choice, one Athena DDL per view (31 files), succeed.
    state_transitions_per_curate_run: int = 36
    #: stacks/storage.py: one customer-managed key (``encryption: customer-managed``) or none (``aws-managed``:
    #: SSE-S3, SSE-SQS and the AWS-managed keys, no monthly fee and no KMS request for S3).
    kms_keys: int = 0
    #: stacks/ingestion.py: one secret holding the app credentials and refresh tokens.
    secrets: int = 1
    #: stacks/monitoring.py: one alarm (extraction gaps); failures are alerted by free EventBridge rules.
    alarms: int = 1
    athena_queries_per_day: float = 30.0
    source: str = "defaults"

    @property
    def polls_per_day(self) -> float:
        return 24 * 60 / self.extract_every_minutes

    @property
    def glue_dpus(self) -> float:
        return self.glue_workers * GLUE_WORKER_DPU[self.glue_worker_type]

    @property
    def glue_dpu_hour_usd(self) -> float:
        return GLUE_FLEX_DPU_HOUR_USD if self.glue_flex else GLUE_DPU_HOUR_USD

    @property
    def lambda_gb_second_usd(self) -> float:
        return LAMBDA_ARM_GB_SECOND_USD if self.extract_lambda_arm64 else LAMBDA_X86_GB_SECOND_USD


@dataclass(frozen=True)
class Volumes:
    """Measured (or, where named in ``assumptions``, assumed) work per unit, from the benchmark run."""

    #: Billed Lambda seconds for one listener's poll (local handler time + Spotify latency per request).
    extract_seconds_per_listener_poll: float = 2.0
    #: Spotify API requests per listener poll (the API benchmark's figure).
    api_requests_per_listener_poll: float = 1.0
    #: S3 writes and reads per listener poll (raw objects, cursors, run summary).
    s3_puts_per_listener_poll: float = 3.0
    s3_gets_per_listener_poll: float = 3.0
    #: Bytes of raw zone (gzip NDJSON envelopes) and curated Parquet per play.
    raw_bytes_per_play: float = 600.0
    curated_bytes_per_play: float = 60.0
    #: Curation time = fixed + per-million x plays (least-squares fit over the scaling runs).
    curate_fixed_seconds: float = 60.0
    curate_seconds_per_million_plays: float = 120.0
    #: S3 requests per curation run that do not grow with plays (listing, run summary, data quality).
    curate_fixed_s3_requests: float = 100.0
    #: Average Parquet bytes a view query reads, per play stored (from the query benchmark).
    athena_bytes_per_query_per_play: float = 20.0
    #: CloudWatch log bytes per Lambda poll and per Glue run.
    log_bytes_per_listener_poll: float = 2_000.0
    log_bytes_per_curate_run: float = 200_000.0
    #: Plays a listener produces per day (listeners = plays_per_day / this).
    plays_per_listener_day: float = PERSONAL_PLAYS_PER_DAY
    #: Years of history kept in the lake (an imported export plus polling), for storage.
    history_years: float = 5.0
    assumptions: tuple[str, ...] = field(default=())


def glue_billed_seconds(run_seconds: float) -> float:
    """Glue bills per second with a one-minute minimum per run."""
    return max(float(GLUE_MINIMUM_BILLED_SECONDS), math.ceil(run_seconds))


def athena_billed_bytes(scanned: float) -> float:
    """Athena rounds each query up to the next megabyte, with a 10 MB minimum."""
    mb = 1024**2
    return max(float(ATHENA_MINIMUM_BYTES_PER_QUERY), math.ceil(scanned / mb) * mb)


def monthly_cost(deployment: Deployment, volumes: Volumes, plays_per_day: float) -> dict[str, float]:
    """Line items (USD per month) for a lake receiving ``plays_per_day`` plays, plus ``total``."""
    d, v = deployment, volumes
    listeners = max(1, math.ceil(plays_per_day / v.plays_per_listener_day))
    # One scheduled invocation polls every listener in turn (the secret lists them all).
    invocations = d.polls_per_day * DAYS_PER_MONTH
    listener_polls = invocations * listeners
    curate_runs = d.curate_runs_per_day * DAYS_PER_MONTH
    plays_per_run = plays_per_day / d.curate_runs_per_day
    stored_plays = plays_per_day * 365 * v.history_years

    lambda_gb_s = listener_polls * v.extract_seconds_per_listener_poll * d.extract_lambda_memory_mb / 1024
    run_seconds = v.curate_fixed_seconds + v.curate_seconds_per_million_plays * plays_per_run / 1e6
    # Polls write their objects; each curation run reads what the polls wrote, plus its fixed listing,
    # Parquet writes, run summary and data-quality objects (half reads, half writes).
    s3_puts = listener_polls * v.s3_puts_per_listener_poll + curate_runs * v.curate_fixed_s3_requests / 2
    s3_gets = (
        listener_polls * (v.s3_gets_per_listener_poll + v.s3_puts_per_listener_poll)
        + curate_runs * v.curate_fixed_s3_requests / 2
    )
    athena_queries = d.athena_queries_per_day * DAYS_PER_MONTH
    log_gb = (listener_polls * v.log_bytes_per_listener_poll + curate_runs * v.log_bytes_per_curate_run) / GB
    items = {
        "lambda_duration": lambda_gb_s * d.lambda_gb_second_usd,
        "lambda_requests": invocations * LAMBDA_REQUEST_USD,
        "scheduler": (d.polls_per_day + d.curate_runs_per_day) * DAYS_PER_MONTH * SCHEDULER_INVOCATION_USD,
        "step_functions": curate_runs * d.state_transitions_per_curate_run * SFN_STATE_TRANSITION_USD,
        "glue": curate_runs * glue_billed_seconds(run_seconds) / 3600 * d.glue_dpus * d.glue_dpu_hour_usd,
        "s3_storage": stored_plays * (v.raw_bytes_per_play + v.curated_bytes_per_play) / GB * S3_STANDARD_GB_MONTH_USD,
        "s3_requests": s3_puts * S3_PUT_REQUEST_USD + s3_gets * S3_GET_REQUEST_USD,
        "athena": athena_queries
        * athena_billed_bytes(stored_plays * v.athena_bytes_per_query_per_play)
        / TB
        * ATHENA_TB_SCANNED_USD,
        # Upper bound: one KMS request per S3 request under the customer-managed key (S3 Bucket Keys cut this
        # by orders of magnitude); SSE-S3 makes no KMS request at all.
        "kms": d.kms_keys * KMS_KEY_MONTH_USD + (s3_puts + s3_gets) * KMS_REQUEST_USD * min(d.kms_keys, 1),
        # Upper bound: one GetSecretValue per invocation (a warm Lambda may cache it).
        "secrets_manager": d.secrets * SECRETS_MANAGER_SECRET_MONTH_USD + invocations * SECRETS_MANAGER_API_CALL_USD,
        "cloudwatch": log_gb * (CLOUDWATCH_LOGS_INGEST_GB_USD + CLOUDWATCH_LOGS_STORAGE_GB_MONTH_USD)
        + d.alarms * CLOUDWATCH_ALARM_MONTH_USD,
    }
    items["total"] = sum(items.values())
    return items


def per_million_plays_cost(deployment: Deployment, volumes: Volumes) -> float:
    """Marginal cost of curating one million more plays and keeping them for a month.

    Glue time for the plays (the per-million slope of the scaling fit, no fixed part, at the configured
    DPUs and price) plus a month of S3 storage of their raw and curated bytes.
    """
    d, v = deployment, volumes
    glue = v.curate_seconds_per_million_plays / 3600 * d.glue_dpus * d.glue_dpu_hour_usd
    storage = 1e6 * (v.raw_bytes_per_play + v.curated_bytes_per_play) / GB * S3_STANDARD_GB_MONTH_USD
    return glue + storage


def growth_table(deployment: Deployment, volumes: Volumes) -> list[dict[str, float]]:
    rows = []
    for ppd in GROWTH_PLAYS_PER_DAY:
        items = monthly_cost(deployment, volumes, ppd)
        rows.append(
            {
                "plays_per_day": ppd,
                "listeners": max(1, math.ceil(ppd / volumes.plays_per_listener_day)),
                "month_usd": items["total"],
                "glue_usd": items["glue"],
                "lambda_usd": items["lambda_duration"] + items["lambda_requests"],
                "fixed_usd": items["kms"] + items["secrets_manager"] + items["cloudwatch"],
                "note": _growth_note(deployment, volumes, ppd),
            }
        )
    return rows


def _growth_note(deployment: Deployment, volumes: Volumes, plays_per_day: float) -> str:
    """What the modelled deployment could not actually do at this volume."""
    listeners = max(1, math.ceil(plays_per_day / volumes.plays_per_listener_day))
    notes = []
    if listeners > DEVELOPMENT_MODE_MAX_LISTENERS:
        notes.append("needs extended quota (> 5 users)")
    if listeners * volumes.extract_seconds_per_listener_poll > deployment.extractor_timeout_seconds:
        notes.append("one poll of every listener exceeds the Lambda timeout: shard the extractor")
    return "; ".join(notes)


# --- The deployed configuration ----------------------------------------------------------------------

#: cdk.json context key holding one settings object per environment (see stacks/config.py).
CDK_ENVIRONMENTS_KEY = "spotify-lake:environments"
#: Environment the headline ("personal") figures use: ``dev`` is the personal profile of cdk.json (AWS-managed
#: encryption, Flex, no retained data); ``prod`` keeps its customer-managed key and appears beside it.
DEFAULT_ENVIRONMENT = "dev"
#: Deployment field <- cdk.json environment setting of the same meaning.
CDK_SETTINGS: dict[str, str] = {
    "extract_every_minutes": "extract_every_minutes",
    "extract_lambda_memory_mb": "extractor_memory_mb",
    "extractor_timeout_seconds": "extractor_timeout_seconds",
    "glue_workers": "glue_workers",
    "glue_worker_type": "glue_worker_type",
    "glue_flex": "glue_flex",
}


def cdk_environments(path: Path) -> dict[str, dict]:
    """The environments ``cdk.json`` defines (empty when the file or the key is missing)."""
    if not path.is_file():
        return {}
    context = json.loads(path.read_text()).get("context", {})
    envs = context.get(CDK_ENVIRONMENTS_KEY)
    return envs if isinstance(envs, dict) else {}


def deployment_from_cdk_json(path: Path, environment: str = DEFAULT_ENVIRONMENT) -> Deployment:
    """The deployment ``cdk.json`` describes for ``environment``; the defaults, said so, when it has none."""
    envs = cdk_environments(path)
    if environment not in envs:
        reason = f"{path.name} not found" if not path.is_file() else f"{path.name} has no environment {environment!r}"
        return Deployment(
            source=f"defaults ({reason}): a 30-minute poll, 512 MB arm64 Lambda, one daily Flex curation "
            "run on 2 G.1X workers"
        )
    settings = envs[environment]
    found = {attr: _coerce(attr, settings[key]) for attr, key in CDK_SETTINGS.items() if key in settings}
    # The stack schedules one extract -> curate -> check -> views run a day (daily_run_at).
    found["curate_runs_per_day"] = 1.0
    # stacks/storage.py creates the key only for `encryption: customer-managed`.
    found["kms_keys"] = 1 if settings.get("encryption") == "customer-managed" else 0
    return replace(
        Deployment(),
        **found,
        source=f"{path.name} environment {environment!r} ({', '.join(sorted([*CDK_SETTINGS, 'encryption']))})",
    )


def _coerce(attr: str, value: object) -> object:
    default = getattr(Deployment(), attr)
    if isinstance(default, bool):
        return value if isinstance(value, bool) else str(value).lower() in ("1", "true", "yes")
    if isinstance(default, int):
        return int(value)  # type: ignore[arg-type]
    if isinstance(default, float):
        return float(value)  # type: ignore[arg-type]
    return str(value)


def summarise(deployment: Deployment, volumes: Volumes) -> dict[str, object]:
    """The ``cost`` section of results.json."""
    personal = monthly_cost(deployment, volumes, PERSONAL_PLAYS_PER_DAY)
    return {
        "personal_month_usd": round(personal["total"], 4),
        "per_million_plays_usd": round(per_million_plays_cost(deployment, volumes), 4),
        "personal_plays_per_day": PERSONAL_PLAYS_PER_DAY,
        "personal_items_usd": {k: round(x, 4) for k, x in personal.items()},
        "growth": [
            {k: round(x, 4) if isinstance(x, float) else x for k, x in r.items()}
            for r in growth_table(deployment, volumes)
        ],
        "deployment": asdict(deployment),
        "volumes": asdict(volumes),
    }
