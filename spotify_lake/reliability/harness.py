"""Running the real extractor against the emulator, with faults the emulator alone cannot inject.

Everything here drives production code: the Lambda handler (``extraction.handler``) with a runtime built by
``Runtime.from_environment`` exactly as a cold start builds it. The only substitutions are the ones a Lambda
also gets from outside: the storage adapter (wrapped to fail writes), the clock (the emulator's simulated
time) and the sleeper (virtual, so a ``Retry-After`` of 1 s costs no wall-clock time but is still counted).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from lake_contract.endpoints import EXTRACTOR_SOURCES
from lake_contract.keys import RAW, RunSummaryKey
from lake_contract.settings import ExtractorSettings, SearchSpec
from lake_contract.summaries import ExtractionSummary
from spotify_lake.pipeline import at_emulator

#: What the extractor needs for curated ``plays``; the other sources only add requests and catalogue rows.
PLAYS_ONLY = "recently_played"
#: Every extractor source (configured_playlists extracts nothing here: the harness names no playlist ids).
ALL_SOURCES = ",".join(EXTRACTOR_SOURCES)


def quiet_powertools(level: str = "WARNING") -> None:
    """Powertools reads these when ``extraction.handler`` is first imported: offline, no metrics, quiet."""
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", level)
    os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "SpotifyLake")
    os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "extractor")


def draw(seed: int, salt: str, n: int) -> float:
    """A reproducible number in [0, 1) for event ``n`` of kind ``salt``."""
    digest = hashlib.blake2b(f"{seed}:{salt}:{n}".encode(), digest_size=8).digest()
    return int.from_bytes(digest[:7], "big") / 2**56


class FlakyStorage:
    """A storage adapter that refuses a seeded fraction of writes with ``StorageError``, like S3 answering
    500/503 or a throttled PUT. Reads and listings pass through. Thread-safe; the draw depends only on
    (seed, write number), so a sequential run sees the same failures every time."""

    def __init__(self, inner, *, rate: float, seed: int):
        self.inner = inner
        self.rate = rate
        self.seed = seed
        self.writes = 0
        self.injected: Counter = Counter()  # lake prefix (raw, _state, _runs) -> failures injected
        self._lock = threading.Lock()

    def put(self, key: str, body: bytes, *, if_match: str | None = None, if_none_match: bool = False) -> str:
        from extraction.storage import StorageError

        with self._lock:
            self.writes += 1
            fail = draw(self.seed, "s3-put", self.writes) < self.rate
            if fail:
                self.injected[key.split("/", 1)[0]] += 1
        if fail:
            raise StorageError(f"injected write failure for {key} (SlowDown)")
        return self.inner.put(key, body, if_match=if_match, if_none_match=if_none_match)

    def get(self, key: str):
        return self.inner.get(key)

    def list(self, prefix: str) -> list[str]:
        return self.inner.list(prefix)

    def describe(self) -> str:
        return self.inner.describe()


class HookedStorage:
    """Calls ``hook(key, number)`` after every successful write of a raw object (for mid-run events)."""

    def __init__(self, inner, hook: Callable[[str, int], None]):
        self.inner = inner
        self.hook = hook
        self.raw_writes = 0

    def put(self, key: str, body: bytes, **conditions) -> str:
        version = self.inner.put(key, body, **conditions)
        if key.startswith(f"{RAW}/"):
            self.raw_writes += 1
            self.hook(key, self.raw_writes)
        return version

    def get(self, key: str):
        return self.inner.get(key)

    def list(self, prefix: str) -> list[str]:
        return self.inner.list(prefix)

    def describe(self) -> str:
        return self.inner.describe()


def write_secret(path: Path, emu, refresh_tokens: list[str] | None = None, client_secret: str | None = None) -> Path:
    """The credentials document the extractor reads (docs: extraction.credentials)."""
    tokens = [li.refresh_token for li in emu.listeners] if refresh_tokens is None else refresh_tokens
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(
            {
                "client_id": emu.client_id,
                "client_secret": client_secret or emu.client_secret,
                "listeners": [{"refresh_token": t} for t in tokens],
            }
        ),
        encoding="utf-8",
    )
    return path


def extractor_env(
    emu,
    lake: Path,
    secret_file: Path,
    *,
    sources: str = PLAYS_ONLY,
    environment: Mapping[str, str] | None = None,
    **settings: Any,
) -> dict[str, str]:
    """The extractor's environment for a local lake at the emulator: fast retries, one search; ``settings``
    override fields of :class:`lake_contract.settings.ExtractorSettings`, ``environment`` adds variables of
    the Lambda runtime (Powertools)."""
    base = ExtractorSettings(
        lake_dir=str(lake),
        secret_file=str(secret_file),
        sources=tuple(sources.split(",")),
        backoff_base_seconds=0.01,
        time_safety_margin_seconds=1.0,
        searches=(SearchSpec("genre:pop"),),
    )
    return at_emulator(replace(base, **settings), emu).to_environment() | dict(environment or {})


@dataclass
class ExtractOutcome:
    summary: ExtractionSummary | None  # None when the invocation died before returning one
    error: BaseException | None
    slept: float = 0.0  # virtual seconds the run waited (Retry-After and backoff)

    @property
    def error_type(self) -> str | None:
        return type(self.error).__name__ if self.error is not None else None

    @property
    def status(self) -> str:
        if self.summary is not None and self.error is None:
            return self.summary.status
        return f"error:{self.error_type}"


@dataclass
class Sleeper:
    """A virtual sleeper: records what the extractor would have waited, returns at once."""

    seconds: float = 0.0
    calls: list[float] = field(default_factory=list)

    def __call__(self, seconds: float) -> None:
        self.seconds += seconds
        self.calls.append(seconds)


_HANDLER_LOCK = threading.Lock()


def invoke(
    env: dict[str, str],
    *,
    clock: Callable,
    wrap_storage: Callable | None = None,
    event: dict | None = None,
    time_limit: float = 900.0,
) -> ExtractOutcome:
    """One Lambda invocation of the real handler; errors are returned, not raised (a failed invocation
    is an outcome to check, not a test crash)."""
    quiet_powertools()
    from extraction import handler
    from extraction.run import Runtime
    from spotify_lake.adapters.local_lambda import LocalContext

    sleeper = Sleeper()
    runtime = Runtime.from_environment(env, clock=clock, sleep=sleeper)
    if wrap_storage is not None:
        runtime.storage = wrap_storage(runtime.storage)
        runtime.runs_storage = runtime.storage
    with _HANDLER_LOCK:  # the handler keeps its runtime in a module global: one invocation at a time
        handler.install_runtime(runtime)
        try:
            summary = handler.lambda_handler(event or {}, LocalContext(deadline=time.monotonic() + time_limit))
            return ExtractOutcome(ExtractionSummary.from_dict(summary), None, sleeper.seconds)
        except Exception as exc:  # AuthorizationExpired, StorageError on the summary write, …
            return ExtractOutcome(_summary_on_disk(runtime.config.lake_dir), exc, sleeper.seconds)
        finally:
            handler.install_runtime(None)


def invoke_concurrently(envs: list[dict[str, str]], *, clock: Callable) -> list[ExtractOutcome]:
    """Several invocations started together (a barrier releases them at once), each with its own runtime,
    like overlapping Lambda containers. Runs ``run_extraction`` (what the handler wraps) per thread."""
    quiet_powertools()
    import logging

    from extraction.run import Runtime, run_extraction

    log = logging.getLogger("spotify_lake.reliability.extractor")
    barrier = threading.Barrier(len(envs))
    outcomes: list[ExtractOutcome | None] = [None] * len(envs)
    deadline = time.monotonic() + 900

    def one(i: int, env: dict[str, str]) -> None:
        sleeper = Sleeper()
        runtime = Runtime.from_environment(env, clock=clock, sleep=sleeper)
        barrier.wait()
        try:
            outcome = run_extraction(runtime, {}, remaining_seconds=lambda: deadline - time.monotonic(), log=log)
            outcomes[i] = ExtractOutcome(outcome.summary, outcome.fatal, sleeper.seconds)
        except Exception as exc:
            outcomes[i] = ExtractOutcome(None, exc, sleeper.seconds)

    threads = [threading.Thread(target=one, args=(i, env), name=f"extractor-{i}") for i, env in enumerate(envs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return [o for o in outcomes if o is not None]


def _summary_on_disk(lake: str | None) -> ExtractionSummary | None:
    """The newest run summary in a local lake (the handler writes it before re-raising a fatal error)."""
    if not lake:
        return None
    runs = sorted(Path(lake).glob(RunSummaryKey.glob("extract")), key=lambda p: p.stat().st_mtime)
    return ExtractionSummary.from_json(runs[-1].read_text()) if runs else None


def reauthorize(emu, listener_index: int = 0) -> str:
    """Run the emulator's authorization-code flow in-process (what ``authorize`` does through a browser) and
    return the new refresh token."""
    from urllib.parse import parse_qs, urlsplit

    redirect = "http://127.0.0.1:8765/callback"
    location = emu.app.authorize(
        {
            "client_id": emu.client_id,
            "redirect_uri": redirect,
            "response_type": "code",
            "scope": "user-read-recently-played user-top-read user-library-read playlist-read-private",
            "listener": str(listener_index),
        }
    )
    code = parse_qs(urlsplit(location).query)["code"][0]
    answer = emu.app.token_endpoint(
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect,
            "client_id": emu.client_id,
            "client_secret": emu.client_secret,
        },
        None,
    )
    return answer["refresh_token"]


@contextmanager
def distinctive_client_secret(emu, value: str) -> Iterator[str]:
    """Give the running emulator a client secret that cannot occur by accident in any output (its published
    test secret is the word ``emulator``, which paths and names contain), restoring it afterwards."""
    from spotify_lake.sources.emulator import server

    saved = server.CLIENT_SECRET, emu.client_secret
    server.CLIENT_SECRET = value
    emu.client_secret = value
    try:
        yield value
    finally:
        server.CLIENT_SECRET, emu.client_secret = saved


def fault_counts(emu) -> Counter:
    """Faults the emulator answered with, by kind (its request log counts status 0 for a dropped connection)."""
    out: Counter = Counter()
    for (_, status), n in emu.request_log().items():
        if status == 429:
            out["throttle"] += n
        elif status == 0:
            out["reset"] += n
        elif status >= 500:
            out["error"] += n
    return out
