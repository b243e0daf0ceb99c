"""The ``backfill`` source: catalogue details of the tracks in imported exports, most-played first.

An export names a track only by URI, so the catalogue source (which follows ids met in API answers) never looks
up most of a listener's history. ``spotify_lake import`` queues the exported track ids with their play counts
(``lake_contract.backfill``); this unit looks them up within a budget: one ``GET /v1/tracks/{id}`` per id in
development mode, ``GET /v1/tracks?ids=`` batches of 50 where the app may (a 403 falls back to one by one, as
the catalogue source does). The answers are written as the catalogue source writes tracks (endpoint
``tracks``), so curation takes them unchanged; the albums and artists they name go through the catalogue
source's lookups in the same run (``extraction.run``).

No id is requested twice: a fetched id joins the catalogue's ``known_tracks``, an id Spotify answers 404 (400)
or null for is remembered as gone with its reason, and both are committed only after the objects are written.
The budget (per run and per UTC day) counts the track lookups; a run that stops at it, or at a checkpoint,
leaves the rest for the next run, which starts again from the most-played id still unknown.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from extraction.api import CallStats, SpotifyApi
from extraction.errors import ApiError, ExtractorError, MalformedResponse
from extraction.policy import Checkpoint
from extraction.sources import fetch_batch, fetch_one
from extraction.state import KnownIds, StateDocument
from extraction.units import RunContext, UnitResult, UnitWriter
from lake_contract.backfill import (
    BATCH,
    CANDIDATES_KEY,
    STATE_KEY,
    BackfillCandidates,
    BackfillDocError,
    BackfillState,
    GoneTrack,
    by_value,
)

KIND = "tracks"  # the endpoint the answers are written under, as the catalogue source's tracks


@dataclass(frozen=True)
class Budget:
    """Track lookups allowed: per run, and per UTC day across runs."""

    per_run: int
    per_day: int


def _api_requests(stats: CallStats) -> int:
    """Requests to the Web API so far (token refreshes are the run budget's concern, not the backfill's)."""
    return sum(n for status, n in stats.requests.items() if not str(status).startswith("token:"))


class _Skip:
    """The ids not to look up: known to the catalogue, or remembered as gone."""

    def __init__(self, known: KnownIds, state: BackfillState):
        self.known, self.gone = known, state.gone

    def __contains__(self, item_id: object) -> bool:
        return isinstance(item_id, str) and (item_id in self.gone or self.known.is_known(item_id))


@dataclass
class _Progress:
    """Answers not yet committed, and the commit: objects first, then the ids as known, then the state."""

    ctx: RunContext
    writer: UnitWriter
    known: KnownIds
    doc: StateDocument
    state: BackfillState
    spent_before: int  # lookups made earlier today (the state document's count)
    records: list = field(default_factory=list)
    fetched: list[str] = field(default_factory=list)
    gone: dict[str, GoneTrack] = field(default_factory=dict)
    objects: list = field(default_factory=list)  # every track fetched this run, flushed or not
    requests: int = 0  # lookups this run
    committed_requests: int = 0

    @property
    def settled(self) -> int:
        return len(self.fetched) + len(self.gone)

    def flush(self) -> None:
        if not self.settled and self.requests == self.committed_requests:
            return
        self.writer.write_records(KIND, list(self.records))
        if self.settled:
            self.known.add([*self.fetched, *self.gone], run_id=self.ctx.run_id, next_seq=None)
        state = self.state
        state.gone.update(self.gone)
        state.day = self.ctx.extract_date
        state.requests_today = self.spent_before + self.requests
        state.looked_up += self.settled
        state.requests += self.requests - self.committed_requests
        state.run_id, state.next_seq, state.updated_at = self.ctx.run_id, self.writer.seq, self.ctx.now_iso()
        self.doc = self.ctx.state.commit(self.doc, state.to_dict())
        self.committed_requests = self.requests
        self.records.clear()
        self.fetched.clear()
        self.gone.clear()


def _candidates(ctx: RunContext) -> BackfillCandidates | None:
    stored = ctx.storage.get(CANDIDATES_KEY.format())
    if stored is None:
        return None
    try:
        return BackfillCandidates.from_json(stored.body)
    except BackfillDocError as exc:
        raise ExtractorError(f"{CANDIDATES_KEY.format()}: {exc}") from None


def _single(api: SpotifyApi, progress: _Progress, result: UnitResult, item_id: str) -> None:
    """``GET /v1/tracks/{id}``: the object, or the id remembered as gone on a 404 (400: not a valid id)."""
    try:
        obj = fetch_one(api, progress.writer, result, KIND, item_id)
    except ApiError as exc:
        if exc.status not in (404, 400):
            raise
        progress.gone[item_id] = GoneTrack(f"HTTP {exc.status} for /v1/{KIND}/{item_id}", progress.ctx.run_id)
        result.skipped[f"gone ({exc.status})"] += 1
        return
    progress.records.append((progress.writer.provenance(KIND, f"/v1/{KIND}/{item_id}", {}), obj, 0))
    progress.fetched.append(item_id)
    progress.objects.append(obj)


def _batch(api: SpotifyApi, progress: _Progress, result: UnitResult, chunk: list[str]) -> None:
    """``GET /v1/tracks?ids=``: every id of the chunk is settled, a null answer remembered as gone."""
    objects = fetch_batch(api, progress.writer, result, KIND, chunk)
    prov = progress.writer.provenance(KIND, f"/v1/{KIND}", {"ids": ",".join(chunk)})
    for position, item_id in enumerate(chunk):
        obj = objects[position] if position < len(objects) else None
        if isinstance(obj, dict):
            progress.records.append((prov, obj, position))
            progress.fetched.append(item_id)
            progress.objects.append(obj)
        else:
            progress.gone[item_id] = GoneTrack("null in the batch answer of /v1/tracks?ids=", progress.ctx.run_id)
            result.skipped["gone (null)"] += 1


def _stop_reason(progress: _Progress, budget: Budget) -> str | None:
    if progress.requests >= budget.per_run:
        return "budget per run"
    if progress.spent_before + progress.requests >= budget.per_day:
        return "budget per day"
    return None


def backfill(
    ctx: RunContext,
    api: SpotifyApi,
    result: UnitResult,
    *,
    budget: Budget,
    batch_allowed: bool,
    on_batch_forbidden: Callable[[], None],
    flush_every: int = BATCH,
) -> list:
    """Look up the queued tracks the catalogue does not know, most plays first, within ``budget``; returns
    the track objects fetched (their albums and artists are the catalogue lookups' next candidates)."""
    candidates = _candidates(ctx)
    if candidates is None:
        result.skipped["no export imported yet"] += 1
        return []
    doc = ctx.state.load(STATE_KEY.format())
    try:
        state = BackfillState.from_dict(doc.value)
    except BackfillDocError as exc:
        raise ExtractorError(f"{STATE_KEY.format()}: {exc}") from None
    known = KnownIds(ctx.state, KIND)
    todo = by_value(candidates.plays, _Skip(known, state))
    writer = UnitWriter(ctx, result, start_seq=state.next_seq if state.run_id == ctx.run_id else 0)
    progress = _Progress(ctx, writer, known, doc, state, spent_before=state.spent_on(ctx.extract_date))
    index = 0
    try:
        while index < len(todo):
            stop = _stop_reason(progress, budget)
            if stop is not None:
                result.skipped[f"left for later ({stop})"] += len(todo) - index
                break
            before = _api_requests(result.stats)
            try:
                if batch_allowed:
                    chunk = todo[index : index + BATCH]
                    _batch(api, progress, result, chunk)
                    index += len(chunk)
                else:
                    _single(api, progress, result, todo[index])
                    index += 1
            except ApiError as exc:
                if not (batch_allowed and exc.status == 403):
                    raise
                batch_allowed = False  # this app may not batch: one by one from here on
                on_batch_forbidden()
            finally:
                progress.requests += _api_requests(result.stats) - before
            if progress.settled >= flush_every:
                progress.flush()
    except (Checkpoint, ApiError, MalformedResponse):
        progress.flush()  # what was fetched before the stop is kept; the next run continues after it
        raise
    progress.flush()
    return progress.objects
