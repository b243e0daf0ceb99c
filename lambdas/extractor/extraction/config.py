"""The extractor's configuration: read once from the environment into a typed, validated model.

A bad value fails the first invocation (cold start) with one clear message instead of a half-run.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from lake_contract.endpoints import EXTRACTOR_SOURCES

#: What SOURCES may name: every extractor source of the endpoint registry, in extraction order.
SOURCES = EXTRACTOR_SOURCES
MODE_HINTS = ("auto", "development", "extended")
SEARCH_TYPES = ("track", "artist", "album")
DEFAULT_API_PREFIX = "https://api.spotify.com/v1/"
DEFAULT_TOKEN_URL = "https://accounts.spotify.com/api/token"  # noqa: S105 - a URL, not a secret


class ConfigError(ValueError):
    """The environment does not describe a runnable extractor."""


@dataclass(frozen=True)
class SearchSpec:
    q: str
    type: str = "track"
    pages: int = 1


@dataclass(frozen=True)
class ExtractorConfig:
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
    searches: tuple[SearchSpec, ...] = ()
    playlist_ids: tuple[str, ...] = ()
    sources: tuple[str, ...] = SOURCES
    api_prefix: str = DEFAULT_API_PREFIX
    token_url: str = DEFAULT_TOKEN_URL

    @classmethod
    def from_environment(cls, env: Mapping[str, str]) -> ExtractorConfig:
        lake_dir = _opt(env, "LAKE_DIR")
        raw_bucket = _opt(env, "RAW_BUCKET")
        if bool(lake_dir) == bool(raw_bucket):
            raise ConfigError("set exactly one of LAKE_DIR (local folder) or RAW_BUCKET (S3)")
        secret_id, secret_file = _opt(env, "SECRET_ID"), _opt(env, "SECRET_FILE")
        if bool(secret_id) == bool(secret_file):
            raise ConfigError("set exactly one of SECRET_ID (Secrets Manager) or SECRET_FILE (local JSON)")
        mode_hint = env.get("SPOTIFY_MODE_HINT", "auto").strip() or "auto"
        if mode_hint not in MODE_HINTS:
            raise ConfigError(f"SPOTIFY_MODE_HINT must be one of {', '.join(MODE_HINTS)}, not {mode_hint!r}")
        sources = tuple(s.strip() for s in env.get("SOURCES", ",".join(SOURCES)).split(",") if s.strip())
        unknown = sorted(set(sources) - set(SOURCES))
        if unknown:
            raise ConfigError(f"SOURCES has unknown source(s) {', '.join(unknown)}; known: {', '.join(SOURCES)}")
        api_prefix = env.get("SPOTIFY_API_PREFIX", DEFAULT_API_PREFIX)
        if not api_prefix.endswith("/"):
            api_prefix += "/"
        return cls(
            lake_dir=lake_dir,
            raw_bucket=raw_bucket,
            runs_bucket=_opt(env, "RUNS_BUCKET"),
            secret_id=secret_id,
            secret_file=secret_file,
            mode_hint=mode_hint,
            request_budget=_number(env, "REQUEST_BUDGET", 600, int, minimum=1),
            retry_after_cap_seconds=_number(env, "RETRY_AFTER_CAP_SECONDS", 60.0, float, minimum=0),
            request_timeout_seconds=_number(env, "REQUEST_TIMEOUT_SECONDS", 10.0, float, minimum=0.1),
            max_attempts=_number(env, "MAX_ATTEMPTS", 6, int, minimum=1),
            backoff_base_seconds=_number(env, "BACKOFF_BASE_SECONDS", 0.5, float, minimum=0),
            backoff_max_seconds=_number(env, "BACKOFF_MAX_SECONDS", 20.0, float, minimum=0),
            time_safety_margin_seconds=_number(env, "TIME_SAFETY_MARGIN_SECONDS", 20.0, float, minimum=0),
            searches=_searches(env.get("SEARCHES", "")),
            playlist_ids=tuple(p.strip() for p in env.get("PLAYLIST_IDS", "").split(",") if p.strip()),
            sources=sources,
            api_prefix=api_prefix,
            token_url=env.get("SPOTIFY_TOKEN_URL", DEFAULT_TOKEN_URL),
        )


def _opt(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    return value or None


def _number(env: Mapping[str, str], name: str, default, kind, minimum):
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a {kind.__name__}, not {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, not {raw}")
    return value


def _searches(raw: str) -> tuple[SearchSpec, ...]:
    """SEARCHES is a JSON list: [{"q": "genre:pop", "type": "track", "pages": 2}, ...] (type and pages optional)."""
    if not raw.strip():
        return ()
    try:
        entries = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"SEARCHES is not valid JSON: {exc.msg}") from None
    if not isinstance(entries, list):
        raise ConfigError("SEARCHES must be a JSON list of objects with a 'q' field")
    specs = []
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("q"), str) or not entry["q"].strip():
            raise ConfigError("every SEARCHES entry needs a non-empty string 'q'")
        kind = entry.get("type", "track")
        if kind not in SEARCH_TYPES:
            raise ConfigError(f"SEARCHES type must be one of {', '.join(SEARCH_TYPES)}, not {kind!r}")
        pages = entry.get("pages", 1)
        if not isinstance(pages, int) or not 1 <= pages <= 100:
            raise ConfigError("SEARCHES pages must be an integer from 1 to 100")
        specs.append(SearchSpec(q=entry["q"], type=kind, pages=pages))
    return tuple(specs)
