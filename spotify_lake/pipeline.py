"""The local pipeline: the same steps the Step Functions state machine runs in AWS, in-process.

extract (the Lambda handler, local storage) → import exports → curate (the Glue job script, local Spark)
→ report (the Athena views on DuckDB). Each step is the production code; only I/O adapters differ.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TextIO

from lake_contract.settings import ExtractionEvent, ExtractorSettings, SearchSpec
from lake_contract.summaries import CurationSummary, ExtractionSummary
from spotify_lake.adapters.local_glue import job_argv, run_job
from spotify_lake.adapters.local_lambda import invoke_handler

#: What the deployed 30-minute schedule polls (see stacks/ingestion.py): what Spotify forgets, and new artists.
FREQUENT_SOURCES = ("recently_played", "catalogue")

#: Catalogue searches the demo configures: the `genre:` queries older pipelines ran for "hit scores".
DEMO_SEARCHES = ("genre:pop", "genre:hip hop", "genre:rock", "genre:indie pop", "genre:jazz", "genre:shoegaze")


@dataclass(frozen=True)
class ExtractOptions:
    """The extractor's tunables as the local commands expose them (the Lambda reads them from its environment)."""

    mode_hint: str = "auto"
    request_budget: int = 600
    retry_after_cap_seconds: float = 60.0
    time_limit_seconds: float = 900.0
    searches: Sequence[str] = ()
    playlist_ids: Sequence[str] = ()
    run_id: str | None = None
    #: Track lookups of the catalogue backfill in this run and in one UTC day (cdk.json's dev values).
    backfill_requests_per_run: int = 200
    backfill_requests_per_day: int = 400
    #: Narrow this run to these sources (the event's ``sources``); None runs every configured source.
    sources: Sequence[str] | None = None

    def event(self) -> ExtractionEvent:
        """The Lambda event for one run, as the schedule or the state machine would send it."""
        return ExtractionEvent(
            run_id=self.run_id or None, sources=None if self.sources is None else tuple(self.sources)
        )

    def settings(self, lake: Path, secret_file: Path) -> ExtractorSettings:
        """The extractor's settings for a local lake and secret file (the Lambda has buckets and a secret ARN)."""
        return ExtractorSettings(
            lake_dir=str(lake),
            secret_file=str(secret_file),
            mode_hint=self.mode_hint,
            request_budget=self.request_budget,
            retry_after_cap_seconds=self.retry_after_cap_seconds,
            searches=tuple(SearchSpec(q) for q in self.searches),
            playlist_ids=tuple(self.playlist_ids),
            backfill_requests_per_run=self.backfill_requests_per_run,
            backfill_requests_per_day=self.backfill_requests_per_day,
        )


def invoke_extractor(env: dict[str, str], options: ExtractOptions, *, clock=None) -> ExtractionSummary:
    """Run the deployed Lambda handler once, in-process, with ``env`` as its environment; return its summary.

    Raises ``extraction.config.ConfigError`` for a bad environment and the extractor's own errors
    (``AuthorizationExpired`` …) exactly as the Lambda would.
    """
    returned = invoke_handler(
        env, options.event().to_event(), time_limit_seconds=options.time_limit_seconds, clock=clock
    )
    return ExtractionSummary.from_dict(returned)


def extract_from_emulator(emu, lake: Path, options: ExtractOptions = ExtractOptions()) -> ExtractionSummary:
    """Extract every listener of a running emulator into ``lake``; dates follow the emulator's simulated clock."""
    with tempfile.TemporaryDirectory(prefix="spotify-lake-emulator-") as folder:
        secret_file = write_emulator_secret(emu, Path(folder) / "secret.json")
        env = at_emulator(options.settings(lake, secret_file), emu).to_environment()
        return invoke_extractor(env, options, clock=lambda: emu.now)


def write_emulator_secret(emu, path: Path) -> Path:
    """The extractor's secret (app credentials, one refresh token per listener) for a running emulator."""
    listeners = [{"refresh_token": li.refresh_token} for li in emu.listeners]
    body = {"client_id": emu.client_id, "client_secret": emu.client_secret, "listeners": listeners}
    path.write_text(json.dumps(body), encoding="utf-8")
    return path


def at_emulator(settings: ExtractorSettings, emu) -> ExtractorSettings:
    """``settings`` with the extractor's spotipy pointed at the emulator instead of api.spotify.com."""
    return replace(settings, api_prefix=emu.api_prefix, token_url=emu.token_url)


def extract_from_spotify(
    secret_file: Path, lake: Path, options: ExtractOptions = ExtractOptions()
) -> ExtractionSummary:
    """Extract from the real Spotify Web API with the credentials ``authorize --local`` stored."""
    return invoke_extractor(options.settings(lake, secret_file).to_environment(), options)


# -- progress display -------------------------------------------------------------------------------


class Progress:
    """One line per stage: what runs, then how it ended and how long it took."""

    def __init__(self, total: int, stream: TextIO | None = None):
        self.total = total
        self.number = 0
        self.stream = stream or sys.stdout

    @contextmanager
    def stage(self, title: str) -> Iterator[list[str]]:
        """Yields a list; whatever the stage appends is printed as its outcome."""
        self.number += 1
        self.stream.write(f"[{self.number}/{self.total}] {title} … ")
        self.stream.flush()
        outcome: list[str] = []
        started = time.monotonic()
        try:
            yield outcome
        except BaseException:
            self.stream.write(f"failed after {time.monotonic() - started:.1f} s\n")
            raise
        self.stream.write(f"{'; '.join(outcome) or 'done'} ({time.monotonic() - started:.1f} s)\n")
        self.stream.flush()


# -- the stages -------------------------------------------------------------------------------------


def curate(lake: Path, *, full_refresh: bool = False) -> CurationSummary:
    """Run the Glue curation job script on local Spark over ``lake``; returns the run summary."""
    return run_job(job_argv(lake, full_refresh=full_refresh, run_id=None))


def describe_extract(summary: ExtractionSummary) -> str:
    gaps = f", {summary.gaps_detected} gap(s) reported" if summary.gaps_detected else ""
    return f"{summary.items_written} items, {summary.requests_total} API requests, {summary.status}{gaps}"


def describe_curate(summary: CurationSummary) -> str:
    totals = summary.totals()
    return (
        f"{totals.read} records read = {totals.loaded} loaded + {totals.duplicates} duplicates"
        f" + {totals.quarantined_total} quarantined"
    )
