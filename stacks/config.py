"""Per-environment deployment settings: read once from ``cdk.json`` context into a typed, validated object.

Stacks receive an :class:`EnvironmentConfig`; nothing else reads the context. A bad value fails synth with a
message naming the environment and the key, before any construct is built.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

#: Context key holding one settings object per environment name.
ENVIRONMENTS_KEY = "spotify-lake:environments"
#: Context key selecting one environment (``cdk synth -c env=prod``); absent = all environments.
SELECT_KEY = "env"
#: Context key pointing asset folders elsewhere (tests); absent = the repository's own folders.
ASSETS_KEY = "spotify-lake:assets"
#: Context key: ``"true"`` bundles the extractor without pip-installing its requirements (fast unit tests).
SKIP_PIP_KEY = "spotify-lake:skip-pip-install"

REPO_ROOT = Path(__file__).resolve().parent.parent

_ENV_NAME = re.compile(r"^[a-z][a-z0-9-]{0,15}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_HH_MM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
#: Worker types a Spark ETL job (``glueetl``) accepts. G.025X exists but is for streaming jobs only.
WORKER_TYPES = ("G.1X", "G.2X", "G.4X", "G.8X")
#: Worker types the Flex execution class accepts.
FLEX_WORKER_TYPES = ("G.1X", "G.2X")
#: The daily state machine's own timeout; the Glue run must fit inside it with room for the other steps.
PIPELINE_TIMEOUT_MINUTES = 8 * 60
#: ``encryption`` values: AWS-managed keys (no key to pay for) or the stack's own customer-managed key.
AWS_MANAGED = "aws-managed"
CUSTOMER_MANAGED = "customer-managed"
ENCRYPTION_MODES = (AWS_MANAGED, CUSTOMER_MANAGED)
_LOG_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
)


class ConfigError(ValueError):
    """A ``cdk.json`` environment setting is missing or invalid."""


@dataclass(frozen=True)
class EnvironmentConfig:
    """Everything that differs between environments. Every field is a ``cdk.json`` context key of the same name."""

    name: str
    #: AWS account and region to deploy to; null keeps the stack environment-agnostic (the CLI's profile decides).
    account: str | None
    region: str | None
    #: Where failure alerts and alarms are e-mailed (SNS subscription, confirmed by a link in the first e-mail).
    alert_email: str
    #: IANA time zone for the daily run and for the views' local-time columns.
    time_zone: str
    #: Minutes between two extractions; Spotify keeps only the last 50 plays, so keep this short.
    extract_every_minutes: int
    #: Local time (HH:MM in ``time_zone``) of the daily extract → curate → check → views run.
    daily_run_at: str
    #: ``development`` (default quota: no batch lookups, fields removed) or ``extended`` (extended quota).
    spotify_app_mode: str
    #: Glue worker type and count of the curation job; Flex runs on spare capacity at a lower price.
    glue_worker_type: str
    glue_workers: int
    glue_flex: bool
    glue_timeout_minutes: int
    extractor_timeout_seconds: int
    extractor_memory_mb: int
    #: Track lookups of the catalogue backfill (exported plays) per extraction run and per UTC day.
    backfill_requests_per_run: int
    backfill_requests_per_day: int
    #: Catalogue searches the extractor snapshots (e.g. ``genre:pop``).
    search_queries: tuple[str, ...]
    #: CloudWatch Logs retention for the Lambda, Glue and state-machine logs.
    log_retention_days: int
    #: Raw objects move to S3 Standard-IA after this many days (they are rarely read after curation).
    raw_infrequent_access_after_days: int
    #: Noncurrent raw versions (overwritten retries) are deleted after this many days.
    raw_noncurrent_versions_expire_days: int
    #: Athena query results are deleted after this many days.
    athena_results_expire_days: int
    #: Athena cancels a query that would scan more than this (cost guard).
    athena_bytes_scanned_cutoff_mb: int
    #: Largest share of a run's raw records that may be quarantined before the quality gate fails the run.
    max_quarantine_ratio: float
    #: Must be false. A crawler would register the partition folders themselves (every run's version under
    #: them) over the run prefixes the curation job registers, and Athena would read old and new rows.
    enable_crawler: bool
    #: ``retain`` keeps buckets, key, secret and logs when the stack is deleted; ``destroy`` removes them (dev only).
    removal_policy: str
    #: ``aws-managed``: SSE-S3 buckets, SSE-SQS, the aws/secretsmanager key, default log encryption and an
    #: unencrypted topic (no monthly key fee); ``customer-managed``: one rotated KMS key of the stack for all.
    encryption: str
    #: Concurrency reserved for the extractor; null (the default) reserves none, because Lambda refuses a
    #: reservation that leaves less than the account's minimum unreserved concurrency (new accounts).
    extractor_reserved_concurrency: int | None = None

    def __post_init__(self) -> None:
        # In this order, so the first problem reported is the same whichever way the checks are grouped.
        self._check_place()
        self._check_schedule()
        self._check_glue()
        self._check_extractor()
        self._check_storage()
        self._check_options()

    def _bad(self, key: str, why: str) -> ConfigError:
        return ConfigError(f"cdk.json environment {self.name!r}: {key} {why}")

    def _check_place(self) -> None:
        """Check where and for whom the stack runs: name, account, region, alert address, time zone."""
        if not _ENV_NAME.match(self.name):
            raise self._bad("name", "must be lower-case letters, digits and '-', at most 16 characters")
        if self.account is not None and not re.fullmatch(r"\d{12}", self.account):
            raise self._bad("account", "must be a 12-digit AWS account id or null")
        if self.region is not None and not re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d", self.region):
            raise self._bad("region", "must be an AWS region such as eu-west-1, or null")
        if not _EMAIL.match(self.alert_email):
            raise self._bad("alert_email", "must be an e-mail address")
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise self._bad("time_zone", f"{self.time_zone!r} is not an IANA time zone") from None

    def _check_schedule(self) -> None:
        """Check the schedules and the Spotify app's mode."""
        if not 5 <= self.extract_every_minutes <= 60:
            raise self._bad("extract_every_minutes", "must be 5..60 (more than 50 plays between runs are lost)")
        if not _HH_MM.match(self.daily_run_at):
            raise self._bad("daily_run_at", "must be HH:MM (24-hour)")
        if self.spotify_app_mode not in ("development", "extended"):
            raise self._bad("spotify_app_mode", "must be 'development' or 'extended'")

    def _check_glue(self) -> None:
        """Check the curation job's workers and timeout."""
        if self.glue_worker_type == "G.025X":
            raise self._bad("glue_worker_type", "G.025X is for Glue streaming jobs only; a glueetl job rejects it")
        if self.glue_worker_type not in WORKER_TYPES:
            raise self._bad("glue_worker_type", f"must be one of {', '.join(WORKER_TYPES)}")
        if self.glue_flex and self.glue_worker_type not in FLEX_WORKER_TYPES:
            raise self._bad("glue_flex", f"Flex runs on {' or '.join(FLEX_WORKER_TYPES)} workers only")
        if not 2 <= self.glue_workers <= 100:
            raise self._bad("glue_workers", "must be 2..100 (Glue needs at least 2 workers)")
        if not 5 <= self.glue_timeout_minutes <= PIPELINE_TIMEOUT_MINUTES - 60:
            raise self._bad(
                "glue_timeout_minutes",
                f"must be 5..{PIPELINE_TIMEOUT_MINUTES - 60} (the daily pipeline stops after "
                f"{PIPELINE_TIMEOUT_MINUTES // 60} hours, extraction and views included)",
            )

    def _check_extractor(self) -> None:
        """Check the extractor Lambda's limits and the log retention."""
        if not 30 <= self.extractor_timeout_seconds <= 900:
            raise self._bad("extractor_timeout_seconds", "must be 30..900 (the Lambda maximum)")
        if not 128 <= self.extractor_memory_mb <= 10240:
            raise self._bad("extractor_memory_mb", "must be 128..10240")
        if not 0 <= self.backfill_requests_per_run <= 10_000:
            raise self._bad("backfill_requests_per_run", "must be 0..10000 (0 turns the backfill off)")
        if not self.backfill_requests_per_run <= self.backfill_requests_per_day <= 100_000:
            raise self._bad("backfill_requests_per_day", "must be at least backfill_requests_per_run, at most 100000")
        if self.log_retention_days not in _LOG_RETENTION_DAYS:
            raise self._bad("log_retention_days", f"must be one of CloudWatch's values {_LOG_RETENTION_DAYS}")

    def _check_storage(self) -> None:
        """Check lifecycle, query limits, the quality gate's threshold and what happens to data on delete."""
        if self.raw_infrequent_access_after_days < 30:
            raise self._bad("raw_infrequent_access_after_days", "must be at least 30 (S3's minimum for Standard-IA)")
        for key in ("raw_noncurrent_versions_expire_days", "athena_results_expire_days"):
            if getattr(self, key) < 1:
                raise self._bad(key, "must be at least 1")
        if not 10 <= self.athena_bytes_scanned_cutoff_mb <= 1_000_000:
            raise self._bad("athena_bytes_scanned_cutoff_mb", "must be 10..1000000 (Athena's minimum is 10 MB)")
        if not 0.0 <= self.max_quarantine_ratio <= 1.0:
            raise self._bad("max_quarantine_ratio", "must be between 0 and 1")
        if self.removal_policy not in ("retain", "destroy"):
            raise self._bad("removal_policy", "must be 'retain' or 'destroy'")

    def _check_options(self) -> None:
        """Check the optional features: crawler (refused), encryption, reserved concurrency."""
        if self.enable_crawler:
            raise self._bad(
                "enable_crawler",
                "must be false: the curation job registers each partition's current run prefix in the Glue "
                "catalog, and a crawler would register the partition folders (every run's version) over it",
            )
        if self.encryption not in ENCRYPTION_MODES:
            raise self._bad("encryption", f"must be {AWS_MANAGED!r} or {CUSTOMER_MANAGED!r}")
        if self.extractor_reserved_concurrency is not None and not 1 <= self.extractor_reserved_concurrency <= 1000:
            raise self._bad(
                "extractor_reserved_concurrency",
                "must be null (no reservation) or 1..1000 (Lambda keeps at least 100 of the account unreserved)",
            )

    @property
    def stack_name(self) -> str:
        return f"SpotifyLake-{self.name}"

    @property
    def retain_data(self) -> bool:
        return self.removal_policy == "retain"

    @property
    def customer_managed_key(self) -> bool:
        return self.encryption == CUSTOMER_MANAGED

    @property
    def daily_run_hour_minute(self) -> tuple[int, int]:
        hour, minute = self.daily_run_at.split(":")
        return int(hour), int(minute)


#: Keys that may be absent (JSON null does not survive the trip through the CDK context).
_OPTIONAL = ("account", "region", "extractor_reserved_concurrency")
_TYPES: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "str | None": (str, type(None)),
    "int": (int,),
    "int | None": (int, type(None)),
    "bool": (bool,),
    "float": (float, int),
    "tuple[str, ...]": (list, tuple),
}


def parse_environment(name: str, raw: Mapping[str, Any]) -> EnvironmentConfig:
    """Build one environment's config from its ``cdk.json`` object; unknown, missing or mistyped keys fail."""
    if not isinstance(raw, Mapping):
        raise ConfigError(f"cdk.json environment {name!r}: must be an object")
    expected = {f.name: f for f in fields(EnvironmentConfig) if f.name != "name"}
    unknown = sorted(set(raw) - set(expected))
    if unknown:
        raise ConfigError(f"cdk.json environment {name!r}: unknown keys {unknown}")
    # JSON null does not survive the trip through the CDK context, so an absent optional key means null.
    missing = sorted(set(expected) - set(raw) - set(_OPTIONAL))
    if missing:
        raise ConfigError(f"cdk.json environment {name!r}: missing keys {missing}")
    values: dict[str, Any] = {}
    for key, field_ in expected.items():
        value = raw.get(key)
        allowed = _TYPES[str(field_.type)]
        # bool is an int in Python; a flag written as 1 or a count written as true is a typo, not a value.
        if not isinstance(value, allowed) or (isinstance(value, bool) and bool not in allowed):
            raise ConfigError(f"cdk.json environment {name!r}: {key} has the wrong type ({type(value).__name__})")
        if isinstance(value, list | tuple):  # "tuple[str, ...]", the one sequence type
            if not all(isinstance(v, str) and v for v in value):
                raise ConfigError(f"cdk.json environment {name!r}: {key} must be a list of non-empty strings")
            value = tuple(value)
        values[key] = value
    return EnvironmentConfig(name=name, **values)


def load_environments(context: Mapping[str, Any]) -> list[EnvironmentConfig]:
    """The environments to synthesize: the one named by ``-c env=NAME``, else all of them."""
    environments = context.get(ENVIRONMENTS_KEY)
    if not isinstance(environments, Mapping) or not environments:
        raise ConfigError(f"cdk.json context has no {ENVIRONMENTS_KEY!r} object")
    selected = context.get(SELECT_KEY)
    if selected is not None:
        if selected not in environments:
            raise ConfigError(f"unknown environment {selected!r}; cdk.json defines {', '.join(environments)}")
        return [parse_environment(selected, environments[selected])]
    return [parse_environment(name, raw) for name, raw in environments.items()]


@dataclass(frozen=True)
class AssetPaths:
    """Folders the stacks package as assets. Tests may point them at temporary folders via context."""

    extractor: Path = REPO_ROOT / "lambdas" / "extractor"
    quality_gate: Path = REPO_ROOT / "lambdas" / "quality_gate"
    glue_jobs: Path = REPO_ROOT / "glue" / "jobs"
    curation_package: Path = REPO_ROOT / "glue" / "curation"
    # Shipped with every runtime: both Lambdas' assets and the Glue job's --extra-py-files.
    contract_package: Path = REPO_ROOT / "contract" / "lake_contract"
    views: Path = REPO_ROOT / "sql" / "views"
    queries: Path = REPO_ROOT / "sql" / "queries"

    @classmethod
    def from_context(cls, context: Mapping[str, Any]) -> AssetPaths:
        overrides = context.get(ASSETS_KEY) or {}
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise ConfigError(f"{ASSETS_KEY}: unknown asset folders {unknown}")
        return cls(**{k: Path(v) for k, v in overrides.items()})
