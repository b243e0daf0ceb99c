"""What one component hands another to start it: the extractor's environment and event, the quality gate's
environment and event, and the Glue curation job's arguments.

Each is a model with its serializer and its inverse side by side (``to_environment``/``from_environment``,
``to_event``/``from_event``, ``to_arguments``/``from_arguments``), and every variable and argument name is
spelled here only: the stacks, the local runners and the tests build the model and serialize it, the Lambda
handlers and the Glue script parse it. Values stay strings where the stacks pass CDK tokens (bucket names,
ARNs, a Step Functions path), which serialize as they are.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Self, TypeVar

from lake_contract.endpoints import EXTRACTOR_SOURCES


class SettingsError(ValueError):
    """An environment, event or argument list that does not describe a runnable component."""


# --- the extractor's environment ---------------------------------------------------------------------------

LAKE_DIR = "LAKE_DIR"
RAW_BUCKET = "RAW_BUCKET"
RUNS_BUCKET = "RUNS_BUCKET"
SECRET_ID = "SECRET_ID"  # noqa: S105 - a variable name, not a secret
SECRET_FILE = "SECRET_FILE"  # noqa: S105 - a variable name, not a secret
SPOTIFY_MODE_HINT = "SPOTIFY_MODE_HINT"
REQUEST_BUDGET = "REQUEST_BUDGET"
RETRY_AFTER_CAP_SECONDS = "RETRY_AFTER_CAP_SECONDS"
REQUEST_TIMEOUT_SECONDS = "REQUEST_TIMEOUT_SECONDS"
MAX_ATTEMPTS = "MAX_ATTEMPTS"
BACKOFF_BASE_SECONDS = "BACKOFF_BASE_SECONDS"
BACKOFF_MAX_SECONDS = "BACKOFF_MAX_SECONDS"
TIME_SAFETY_MARGIN_SECONDS = "TIME_SAFETY_MARGIN_SECONDS"
SEARCHES = "SEARCHES"
PLAYLIST_IDS = "PLAYLIST_IDS"
SOURCES = "SOURCES"
BACKFILL_REQUESTS_PER_RUN = "BACKFILL_REQUESTS_PER_RUN"
BACKFILL_REQUESTS_PER_DAY = "BACKFILL_REQUESTS_PER_DAY"
SPOTIFY_API_PREFIX = "SPOTIFY_API_PREFIX"
SPOTIFY_TOKEN_URL = "SPOTIFY_TOKEN_URL"  # noqa: S105 - a variable name, not a secret

MODE_HINTS = ("auto", "development", "extended")
SEARCH_TYPES = ("track", "artist", "album")
DEFAULT_API_PREFIX = "https://api.spotify.com/v1/"
DEFAULT_TOKEN_URL = "https://accounts.spotify.com/api/token"  # noqa: S105 - a URL, not a secret

_Number = TypeVar("_Number", int, float)


@dataclass(frozen=True)
class SearchSpec:
    """One catalogue search the extractor runs (an entry of ``SEARCHES``)."""

    q: str
    type: str = "track"
    pages: int = 1

    def to_json(self) -> dict[str, Any]:
        """The entry as ``SEARCHES`` holds it: defaults left out (``{"q": ...}`` is a track search, one page)."""
        entry: dict[str, Any] = {"q": self.q}
        if self.type != "track":
            entry["type"] = self.type
        if self.pages != 1:
            entry["pages"] = self.pages
        return entry


@dataclass(frozen=True)
class ExtractorSettings:
    """The extractor Lambda's environment, read once per cold start (a bad value fails it with one message)."""

    # Where the lake lives: a local folder (LAKE_DIR) or buckets (RAW_BUCKET for raw/ and _state/,
    # RUNS_BUCKET, the curated bucket, for _runs/).
    lake_dir: str | None = None
    raw_bucket: str | None = None
    runs_bucket: str | None = None
    # Where the credentials live: Secrets Manager (SECRET_ID) or a local JSON file (SECRET_FILE).
    secret_id: str | None = None
    secret_file: str | None = None
    mode_hint: str = "auto"
    request_budget: int = 600
    retry_after_cap_seconds: float = 60.0
    request_timeout_seconds: float = 10.0
    max_attempts: int = 6
    backoff_base_seconds: float = 0.5
    backoff_max_seconds: float = 20.0
    time_safety_margin_seconds: float = 20.0
    #: Track lookups the ``backfill`` source may make in one run and in one UTC day (cdk.json
    #: ``backfill_requests_per_run``/``_per_day``); the albums and artists they name count in ``request_budget``.
    backfill_requests_per_run: int = 200
    backfill_requests_per_day: int = 400
    searches: tuple[SearchSpec, ...] = ()
    playlist_ids: tuple[str, ...] = ()
    #: The sources the extractor may run (an event can narrow them). None: not set, every source of the
    #: endpoint registry; :meth:`from_environment` resolves it.
    sources: tuple[str, ...] | None = None
    api_prefix: str = DEFAULT_API_PREFIX
    token_url: str = DEFAULT_TOKEN_URL

    def to_environment(self) -> dict[str, str]:
        """The variables for this configuration: locations when set, the mode and searches always (the stack
        has always set them), every other value only where it differs from its default."""
        env: dict[str, str] = {}
        for name, value in (
            (LAKE_DIR, self.lake_dir),
            (RAW_BUCKET, self.raw_bucket),
            (RUNS_BUCKET, self.runs_bucket),
            (SECRET_ID, self.secret_id),
            (SECRET_FILE, self.secret_file),
        ):
            if value is not None:
                env[name] = value
        env[SPOTIFY_MODE_HINT] = self.mode_hint
        env[SEARCHES] = json.dumps([s.to_json() for s in self.searches])
        default = ExtractorSettings()
        for name, field_value, default_value in (
            (REQUEST_BUDGET, self.request_budget, default.request_budget),
            (RETRY_AFTER_CAP_SECONDS, self.retry_after_cap_seconds, default.retry_after_cap_seconds),
            (REQUEST_TIMEOUT_SECONDS, self.request_timeout_seconds, default.request_timeout_seconds),
            (MAX_ATTEMPTS, self.max_attempts, default.max_attempts),
            (BACKOFF_BASE_SECONDS, self.backoff_base_seconds, default.backoff_base_seconds),
            (BACKOFF_MAX_SECONDS, self.backoff_max_seconds, default.backoff_max_seconds),
            (TIME_SAFETY_MARGIN_SECONDS, self.time_safety_margin_seconds, default.time_safety_margin_seconds),
            (BACKFILL_REQUESTS_PER_RUN, self.backfill_requests_per_run, default.backfill_requests_per_run),
            (BACKFILL_REQUESTS_PER_DAY, self.backfill_requests_per_day, default.backfill_requests_per_day),
        ):
            if field_value != default_value:
                env[name] = str(field_value)
        if self.playlist_ids:
            env[PLAYLIST_IDS] = ",".join(self.playlist_ids)
        if self.sources is not None:
            env[SOURCES] = ",".join(self.sources)
        if self.api_prefix != DEFAULT_API_PREFIX:
            env[SPOTIFY_API_PREFIX] = self.api_prefix
        if self.token_url != DEFAULT_TOKEN_URL:
            env[SPOTIFY_TOKEN_URL] = self.token_url
        return env

    @classmethod
    def from_environment(cls, env: Mapping[str, str], *, known_sources: Sequence[str] = EXTRACTOR_SOURCES) -> Self:
        """Parse and validate ``env``; ``known_sources`` are the source names the extractor can run (the
        endpoint registry's)."""
        lake_dir = _opt(env, LAKE_DIR)
        raw_bucket = _opt(env, RAW_BUCKET)
        if bool(lake_dir) == bool(raw_bucket):
            raise SettingsError(f"set exactly one of {LAKE_DIR} (local folder) or {RAW_BUCKET} (S3)")
        secret_id, secret_file = _opt(env, SECRET_ID), _opt(env, SECRET_FILE)
        if bool(secret_id) == bool(secret_file):
            raise SettingsError(f"set exactly one of {SECRET_ID} (Secrets Manager) or {SECRET_FILE} (local JSON)")
        mode_hint = env.get(SPOTIFY_MODE_HINT, "auto").strip() or "auto"
        if mode_hint not in MODE_HINTS:
            raise SettingsError(f"{SPOTIFY_MODE_HINT} must be one of {', '.join(MODE_HINTS)}, not {mode_hint!r}")
        known = tuple(known_sources)
        sources = tuple(s.strip() for s in env.get(SOURCES, ",".join(known)).split(",") if s.strip())
        unknown = sorted(set(sources) - set(known))
        if unknown:
            raise SettingsError(f"{SOURCES} has unknown source(s) {', '.join(unknown)}; known: {', '.join(known)}")
        api_prefix = env.get(SPOTIFY_API_PREFIX, DEFAULT_API_PREFIX)
        if not api_prefix.endswith("/"):
            api_prefix += "/"
        return cls(
            lake_dir=lake_dir,
            raw_bucket=raw_bucket,
            runs_bucket=_opt(env, RUNS_BUCKET),
            secret_id=secret_id,
            secret_file=secret_file,
            mode_hint=mode_hint,
            request_budget=_number(env, REQUEST_BUDGET, 600, int, minimum=1),
            retry_after_cap_seconds=_number(env, RETRY_AFTER_CAP_SECONDS, 60.0, float, minimum=0),
            request_timeout_seconds=_number(env, REQUEST_TIMEOUT_SECONDS, 10.0, float, minimum=0.1),
            max_attempts=_number(env, MAX_ATTEMPTS, 6, int, minimum=1),
            backoff_base_seconds=_number(env, BACKOFF_BASE_SECONDS, 0.5, float, minimum=0),
            backoff_max_seconds=_number(env, BACKOFF_MAX_SECONDS, 20.0, float, minimum=0),
            time_safety_margin_seconds=_number(env, TIME_SAFETY_MARGIN_SECONDS, 20.0, float, minimum=0),
            backfill_requests_per_run=_number(env, BACKFILL_REQUESTS_PER_RUN, 200, int, minimum=0),
            backfill_requests_per_day=_number(env, BACKFILL_REQUESTS_PER_DAY, 400, int, minimum=0),
            searches=_searches(env.get(SEARCHES, "")),
            playlist_ids=tuple(p.strip() for p in env.get(PLAYLIST_IDS, "").split(",") if p.strip()),
            sources=sources,
            api_prefix=api_prefix,
            token_url=env.get(SPOTIFY_TOKEN_URL, DEFAULT_TOKEN_URL),
        )


def _opt(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    return value or None


def _number(
    env: Mapping[str, str], name: str, default: _Number, kind: Callable[[str], _Number], minimum: float
) -> _Number:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a {getattr(kind, '__name__', kind)}, not {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, not {raw}")
    return value


def _searches(raw: str) -> tuple[SearchSpec, ...]:
    """SEARCHES is a JSON list: [{"q": "genre:pop", "type": "track", "pages": 2}, ...] (type and pages optional)."""
    if not raw.strip():
        return ()
    try:
        entries = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise SettingsError(f"{SEARCHES} is not valid JSON: {exc.msg}") from None
    if not isinstance(entries, list):
        raise SettingsError(f"{SEARCHES} must be a JSON list of objects with a 'q' field")
    specs = []
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("q"), str) or not entry["q"].strip():
            raise SettingsError(f"every {SEARCHES} entry needs a non-empty string 'q'")
        kind = entry.get("type", "track")
        if kind not in SEARCH_TYPES:
            raise SettingsError(f"{SEARCHES} type must be one of {', '.join(SEARCH_TYPES)}, not {kind!r}")
        pages = entry.get("pages", 1)
        if not isinstance(pages, int) or not 1 <= pages <= 100:
            raise SettingsError(f"{SEARCHES} pages must be an integer from 1 to 100")
        specs.append(SearchSpec(q=entry["q"], type=kind, pages=pages))
    return tuple(specs)


# --- the extraction event ----------------------------------------------------------------------------------

EXTRACT_RUN_ID_PREFIX = "extract-"


@dataclass(frozen=True)
class ExtractionEvent:
    """What the schedule or the state machine sends the extractor: an optional run id (a retry reuses its
    own), optional sources that narrow the configured ones for this run (never widen them), and what
    triggered it (for the logs only)."""

    run_id: str | None = None
    sources: tuple[str, ...] | None = None
    trigger: str | None = None

    def to_event(self) -> dict[str, Any]:
        event: dict[str, Any] = {}
        if self.trigger is not None:
            event["trigger"] = self.trigger
        if self.run_id is not None:
            event["run_id"] = self.run_id
        if self.sources is not None:
            event["sources"] = list(self.sources)
        return event

    @classmethod
    def from_event(cls, event: Mapping[str, Any]) -> ExtractionEvent:
        run_id = event.get("run_id")
        if run_id is not None and not _is_run_id(run_id, EXTRACT_RUN_ID_PREFIX):
            raise SettingsError(f"event run_id must look like {EXTRACT_RUN_ID_PREFIX}<letters, digits, - or _>")
        sources = event.get("sources")
        if sources is not None and (not isinstance(sources, list) or not all(isinstance(s, str) for s in sources)):
            raise SettingsError("event sources must be a list of source names")
        trigger = event.get("trigger")
        return cls(
            run_id=run_id,
            sources=None if sources is None else tuple(sources),
            trigger=trigger if isinstance(trigger, str) else None,
        )


def _is_run_id(value: object, prefix: str) -> bool:
    return isinstance(value, str) and value.startswith(prefix) and all(ch.isalnum() or ch in "-_" for ch in value)


# --- the quality gate ----------------------------------------------------------------------------------------

CURATED_BUCKET = "CURATED_BUCKET"
MAX_QUARANTINE_RATIO = "MAX_QUARANTINE_RATIO"
CURATE_RUN_ID_PREFIX = "curate-"


@dataclass(frozen=True)
class QualityGateSettings:
    """The quality-gate Lambda's environment: the bucket holding ``_runs/`` and the quarantine share allowed."""

    curated_bucket: str
    max_quarantine_ratio: float = 0.05

    def to_environment(self) -> dict[str, str]:
        return {CURATED_BUCKET: self.curated_bucket, MAX_QUARANTINE_RATIO: str(self.max_quarantine_ratio)}

    @classmethod
    def from_environment(cls, env: Mapping[str, str]) -> QualityGateSettings:
        return cls(env[CURATED_BUCKET], float(env.get(MAX_QUARANTINE_RATIO, "0.05")))


_CURATE_RUN_ID = re.compile(rf"^{CURATE_RUN_ID_PREFIX}[A-Za-z0-9_-]+$")


@dataclass(frozen=True)
class QualityGateEvent:
    """What the state machine sends the gate: the curation run whose summary it judges."""

    run_id: str

    def to_event(self) -> dict[str, Any]:
        return {"run_id": self.run_id}

    @classmethod
    def from_event(cls, event: object) -> QualityGateEvent:
        run_id = event.get("run_id") if isinstance(event, dict) else None
        if not isinstance(run_id, str) or not _CURATE_RUN_ID.match(run_id):
            raise SettingsError(
                f"event run_id must look like {CURATE_RUN_ID_PREFIX}<letters, digits, - or _>, got {run_id!r}"
            )
        return cls(run_id)


# --- the Glue curation job's arguments ----------------------------------------------------------------------

LAKE_ROOT = "lake_root"
RAW_ROOT = "raw_root"
CURATED_ROOT = "curated_root"
RUNS_ROOT = "runs_root"
RUN_ID = "run_id"
FULL_REFRESH = "full_refresh"
GLUE_DATABASE = "glue_database"
#: Every argument the job reads, all optional (Glue passes ``--name value`` pairs).
ARGUMENT_NAMES = (LAKE_ROOT, RAW_ROOT, CURATED_ROOT, RUNS_ROOT, RUN_ID, FULL_REFRESH, GLUE_DATABASE)


def argument(name: str) -> str:
    """The name as Glue and the state machine spell it: ``--name``."""
    return f"--{name}"


@dataclass(frozen=True)
class CurateArguments:
    """The Glue curation job's arguments.

    ``lake_root`` is one root holding raw/, _state/, curated/ and _runs/ (local runs); ``raw_root`` (the raw
    bucket) and ``curated_root`` (the curated bucket) default to it, ``runs_root`` to ``curated_root``.
    ``glue_database`` makes the job publish through that Glue database (AWS); without it the lake's own table
    documents under curated/_catalog/ are the catalog (local runs).
    """

    lake_root: str | None = None
    raw_root: str | None = None
    curated_root: str | None = None
    runs_root: str | None = None
    run_id: str | None = None
    full_refresh: bool = False
    glue_database: str | None = None

    def to_arguments(self) -> dict[str, str]:
        """``{"--name": value}`` for every argument set (a full refresh as ``"true"``)."""
        values: dict[str, str | None] = {
            LAKE_ROOT: self.lake_root,
            RAW_ROOT: self.raw_root,
            CURATED_ROOT: self.curated_root,
            RUNS_ROOT: self.runs_root,
            RUN_ID: self.run_id,
            FULL_REFRESH: "true" if self.full_refresh else None,
            GLUE_DATABASE: self.glue_database,
        }
        return {argument(name): value for name, value in values.items() if value is not None}

    def to_argv(self) -> list[str]:
        """The arguments as a command line after the script (``--name value`` pairs)."""
        return [part for pair in self.to_arguments().items() for part in pair]

    @classmethod
    def from_arguments(cls, arguments: Mapping[str, str]) -> CurateArguments:
        """The inverse of :meth:`to_arguments`; also accepts names without ``--`` (``getResolvedOptions``)."""
        values = {name.removeprefix("--"): value for name, value in arguments.items()}
        return cls(
            lake_root=values.get(LAKE_ROOT) or None,
            raw_root=values.get(RAW_ROOT) or None,
            curated_root=values.get(CURATED_ROOT) or None,
            runs_root=values.get(RUNS_ROOT) or None,
            run_id=values.get(RUN_ID) or None,
            full_refresh=str(values.get(FULL_REFRESH, "false")).lower() == "true",
            glue_database=values.get(GLUE_DATABASE) or None,
        )

    @staticmethod
    def given(argv: Sequence[str]) -> list[str]:
        """The argument names present in ``argv`` (``getResolvedOptions`` needs them named)."""
        return [name for name in ARGUMENT_NAMES if argument(name) in argv]

    def roots(self) -> tuple[str, str, str]:
        """(raw root, curated root, runs root), defaults applied; SettingsError when a root is missing."""
        raw = self.raw_root or self.lake_root
        curated = self.curated_root or self.lake_root
        runs = self.runs_root or curated
        if not (raw and curated and runs):
            raise SettingsError(
                f"curate: give {argument(LAKE_ROOT)}, or {argument(RAW_ROOT)} and {argument(CURATED_ROOT)}"
            )
        return raw, curated, runs
