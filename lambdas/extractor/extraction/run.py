"""One extraction run: every listener's units, then the catalogue units, then the run summary.

Pure orchestration over injected parts (storage, secrets, clock, sleeper), so the Lambda handler and the
local ``extract`` command run exactly this code.
"""

from __future__ import annotations

import random
import time
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any

from extraction import backfill, sources
from extraction.api import Log, SpotifyApi
from extraction.config import SOURCES, ExtractorConfig
from extraction.credentials import FileSecretSource, SecretsManagerSource, SecretSource
from extraction.errors import (
    ApiError,
    AuthorizationExpired,
    CredentialsInvalid,
    ExtractorError,
    MalformedResponse,
)
from extraction.identity import listener_id as derive_listener_id
from extraction.policy import Checkpoint, RequestGovernor
from extraction.raw import iso_millis
from extraction.state import StateConflict, StateStore, catalogue_key, profile_key
from extraction.storage import LocalStorage, RetryingStorage, S3Storage, Storage, StorageError
from extraction.units import RunContext, UnitResult
from lake_contract.backfill import UNIT as BACKFILL_UNIT
from lake_contract.endpoints import EXTRACTOR_SOURCES, endpoints_of_unit
from lake_contract.keys import RunSummaryKey
from lake_contract.settings import EXTRACT_RUN_ID_PREFIX, ExtractionEvent, SettingsError
from lake_contract.summaries import (
    EXTRACTION_CHECKPOINTED,
    EXTRACTION_FAILED,
    EXTRACTION_FINISHED,
    EXTRACTION_NOT_AUTHORIZED,
    ExtractionSummary,
    ListenerGap,
    ListenerOutcome,
    SourceExtraction,
)

RUN_ID_PREFIX = EXTRACT_RUN_ID_PREFIX
#: The sources whose units run once per listener (the rest run once, for the catalogue, after every listener).
LISTENER_SOURCES = tuple(s for s in EXTRACTOR_SOURCES if all(e.per_listener for e in endpoints_of_unit(s)))


@dataclass
class Runtime:
    """Everything a run needs from outside: built once per cold start (or injected by tests/local runs)."""

    config: ExtractorConfig
    storage: Storage
    runs_storage: Storage | None
    secrets: SecretSource
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)

    @classmethod
    def from_environment(cls, env: Mapping[str, str], **overrides) -> Runtime:
        config = ExtractorConfig.from_environment(env)
        # The settings hold exactly one of each pair (validated when they were read).
        storage: Storage
        runs_storage: Storage | None
        if config.lake_dir:
            storage = runs_storage = LocalStorage(config.lake_dir)
        else:
            storage = S3Storage(str(config.raw_bucket))
            runs_storage = S3Storage(config.runs_bucket) if config.runs_bucket else None
        secrets: SecretSource
        if config.secret_id:
            secrets = SecretsManagerSource(config.secret_id)
        else:
            secrets = FileSecretSource(str(config.secret_file))
        return cls(config=config, storage=storage, runs_storage=runs_storage, secrets=secrets, **overrides)


def new_run_id(moment: datetime) -> str:
    return f"{RUN_ID_PREFIX}{moment.astimezone(UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:6]}"


def _event(event: Mapping[str, Any]) -> ExtractionEvent:
    try:
        return ExtractionEvent.from_event(event)
    except SettingsError as exc:
        raise ExtractorError(str(exc)) from None


def _sources(event: ExtractionEvent, configured: tuple[str, ...]) -> set[str]:
    """The sources this run extracts: the event may narrow the configured ones (never widen them).

    The frequent schedule asks only for what Spotify forgets (recently played, plus details of the artists it
    names); the daily pipeline run takes every snapshot source once a day.
    """
    if event.sources is None:
        return set(configured)
    unknown = sorted(set(event.sources) - set(configured))
    if unknown:
        raise ExtractorError(
            f"event sources {', '.join(unknown)} are not configured; configured: {', '.join(configured)}"
        )
    return set(event.sources)


@dataclass
class RunOutcome:
    summary: ExtractionSummary
    fatal: ExtractorError | None  # re-raised by the handler after the summary is written


class _Run:
    def __init__(self, rt: Runtime, event: Mapping, remaining_seconds: Callable[[], float], log: Log):
        self.rt = rt
        self.cfg = rt.config
        self.log = log
        started = rt.clock()
        self.storage = RetryingStorage(rt.storage, sleep=rt.sleep)
        self.state = StateStore(self.storage)
        self.mode_doc = self.state.load(catalogue_key("api_mode"))
        remembered = self.mode_doc.value.get("batch_lookups")
        if self.cfg.mode_hint == "development":
            self.batch_allowed = False
        elif self.cfg.mode_hint == "extended":
            self.batch_allowed = True
        else:
            self.batch_allowed = remembered is not False  # try batch until Spotify says 403 once
        mode = "extended" if self.cfg.mode_hint == "extended" or remembered is True else "development"
        parsed = _event(event)
        self.enabled_sources = _sources(parsed, self.cfg.sources if self.cfg.sources is not None else SOURCES)
        self.ctx = RunContext(
            run_id=parsed.run_id or new_run_id(started),
            started_at=started,
            mode=mode,
            storage=self.storage,
            state=self.state,
            clock=rt.clock,
        )
        self.governor = RequestGovernor(
            budget=self.cfg.request_budget,
            retry_after_cap=self.cfg.retry_after_cap_seconds,
            max_attempts=self.cfg.max_attempts,
            backoff_base=self.cfg.backoff_base_seconds,
            backoff_max=self.cfg.backoff_max_seconds,
            safety_margin=self.cfg.time_safety_margin_seconds,
            remaining_seconds=remaining_seconds,
            sleep=rt.sleep,
            rng=rt.rng,
        )
        self.units: list[UnitResult] = []
        self.listeners: list[ListenerOutcome] = []
        self.fatal: ExtractorError | None = None
        #: The secret names no listener yet (before the first `authorize`): the run ends at once, cleanly.
        self.not_authorized = False
        self.referenced: dict[str, dict[str, bool]] = {"artists": {}, "albums": {}, "tracks": {}}
        self.captured_playlists: set[str] = set()

    # -- one unit ---------------------------------------------------------------------------------------
    def unit(self, result: UnitResult, work: Callable[[], object]):
        """Run one unit so that it fails alone; auth failures propagate to the listener loop."""
        self.units.append(result)
        if self.governor.checkpoint_reason:
            result.status = "not_started"
            result.error = f"run checkpointed before this unit: {self.governor.checkpoint_reason}"
            return None
        try:
            out = work()
        except Checkpoint as exc:
            result.status, result.error = "checkpointed", exc.reason
        except (AuthorizationExpired, CredentialsInvalid) as exc:
            result.status, result.error, result.error_type = "failed", str(exc), type(exc).__name__
            raise
        except MalformedResponse as exc:
            result.status, result.error, result.error_type = "failed", f"quarantined: {exc.reason}", "MalformedResponse"
        except StateConflict as exc:
            result.status, result.error, result.error_type = "conflict", str(exc), "StateConflict"
        except (ApiError, StorageError, ExtractorError) as exc:
            result.status, result.error, result.error_type = "failed", str(exc), type(exc).__name__
        except Exception as exc:  # a bug in one unit must not cost the other units their data
            self.log.exception("unit crashed", extra={"source": result.source, "unit": result.unit})
            result.status, result.error, result.error_type = (
                "failed",
                f"unexpected {type(exc).__name__}",
                type(exc).__name__,
            )
        else:
            result.status = "finished"
            return out
        self.log.warning(
            "unit did not finish",
            extra={"source": result.source, "unit": result.unit, "status": result.status, "error": result.error},
        )
        return None

    def note_refs(self, items) -> None:
        if not items:
            return
        for kind, ids in sources.referenced_ids(items).items():
            for item_id, needs in ids.items():
                self.referenced[kind][item_id] = self.referenced[kind].get(item_id, False) or needs

    def api_for(self, creds, refresh_token: str, label: str) -> SpotifyApi:
        return SpotifyApi(
            client_id=creds.client_id,
            client_secret=creds.client_secret,
            refresh_token=refresh_token,
            api_prefix=self.cfg.api_prefix,
            token_url=self.cfg.token_url,
            timeout=self.cfg.request_timeout_seconds,
            governor=self.governor,
            label=label,
            logger=self.log,
        )

    # -- the run ------------------------------------------------------------------------------------------
    def execute(self) -> RunOutcome:
        creds = self.rt.secrets.load()
        if not creds.listeners:
            # Deployed but not yet authorized: nothing to extract and nothing wrong. One line, no error, so a
            # scheduled run before the first `authorize` raises no alert.
            self.log.warning(
                "no listener is authorized yet: run `python -m spotify_lake authorize --secret-id <SecretArn>`"
            )
            self.not_authorized = True
            return RunOutcome(self.summary(), None)
        enabled = self.enabled_sources
        catalogue_api = None
        for index, listener in enumerate(creds.listeners):
            label = f"listener #{index + 1}" + (f" ({listener.listener_id})" if listener.listener_id else "")
            api = self.api_for(creds, listener.refresh_token, label)
            entry = ListenerOutcome(label)
            self.listeners.append(entry)
            try:
                user_id = self.user_id(api, listener.refresh_token, entry)
                if user_id is None:
                    continue
                lid = derive_listener_id(user_id)
                entry.listener_id = lid
                self.listener_units(api, lid, user_id, enabled)
                entry.status = "done"
                catalogue_api = catalogue_api or api
            except (AuthorizationExpired, CredentialsInvalid) as exc:
                entry.status, entry.error = "failed", str(exc)
                self.fatal = self.fatal or exc
                if isinstance(exc, CredentialsInvalid):
                    break  # the app's own credentials: every listener would fail the same way
        if catalogue_api is not None:
            try:
                self.catalogue_units(catalogue_api, enabled)
            except (AuthorizationExpired, CredentialsInvalid) as exc:
                self.fatal = self.fatal or exc
        return RunOutcome(self.summary(), self.fatal)

    def user_id(self, api: SpotifyApi, refresh_token: str, entry: ListenerOutcome) -> str | None:
        """The Spotify user id behind a refresh token: asked of ``/v1/me`` once, then remembered in the lake,
        so a poll costs no request beyond the data it fetches."""
        doc = self.state.load(profile_key(refresh_token))
        if doc.value.get("user_id"):
            return doc.value["user_id"]
        profile = UnitResult("profile", "me", None)
        me = self.unit(profile, partial(api.call, "GET /v1/me", lambda sp: sp.me(), profile.stats))
        if not me or not me.get("id"):
            entry.status, entry.error = "failed", profile.error or "profile without a user id"
            return None
        profile.listener_id = derive_listener_id(me["id"])
        # Only a saving: if an overlapping run remembered it first (the same id) or the write fails, the
        # next run asks /v1/me once more; the extraction itself must not fail for it.
        try:
            self.state.commit(doc, {"user_id": me["id"]})
        except (StateConflict, StorageError) as exc:
            self.log.warning("user id not remembered", extra={"reason": type(exc).__name__})
        return me["id"]

    def listener_units(self, api: SpotifyApi, lid: str, user_id: str, enabled: set[str]) -> None:
        """The listener's units, source by source in the registry's order (lake_contract.endpoints).

        A source of one endpoint and one unit per listener runs its ``sources.LISTENER_UNITS`` function; the
        sources that fan out (top items per range, playlists to their items) have a method here."""
        fan_out: dict[str, Callable[[SpotifyApi, str, str], None]] = {
            "top_items": self.top_items_units,
            "playlists": self.playlists_units,
            "configured_playlists": self.configured_playlists_units,
        }
        try:
            for source in LISTENER_SOURCES:
                if source not in enabled:
                    continue
                if source in fan_out:
                    fan_out[source](api, lid, user_id)
                    continue
                for endpoint in endpoints_of_unit(source):
                    r = UnitResult(endpoint.name, endpoint.name, lid)
                    work = sources.LISTENER_UNITS[endpoint.name]
                    self.note_refs(self.unit(r, partial(work, self.ctx, api, r)))
        finally:
            self.remember_pending()

    def top_items_units(self, api: SpotifyApi, lid: str, _user_id: str) -> None:
        for kind in ("artists", "tracks"):
            for time_range in sources.TIME_RANGES:
                r = UnitResult(f"top_{kind}", time_range, lid)
                items = self.unit(r, partial(sources.top_items, self.ctx, api, r, kind=kind, time_range=time_range))
                self.note_refs(items)

    def playlists_units(self, api: SpotifyApi, lid: str, user_id: str) -> None:
        r = UnitResult("playlists", "me", lid)
        for playlist in self.unit(r, lambda: sources.playlists(self.ctx, api, r)) or []:
            self.playlist_items_unit(api, lid, user_id, playlist, r)

    def configured_playlists_units(self, api: SpotifyApi, lid: str, user_id: str) -> None:
        for playlist_id in self.cfg.playlist_ids:
            if playlist_id in self.captured_playlists:
                continue
            r = UnitResult("playlists", f"configured-{playlist_id}", lid)
            playlist = self.unit(r, partial(sources.configured_playlist, self.ctx, api, r, playlist_id=playlist_id))
            if playlist is None and r.error and "HTTP 403" in r.error:
                r.status, r.error = "finished", None
                r.skipped["forbidden (403): not owned or collaborative"] += 1
            elif playlist is not None:
                self.playlist_items_unit(api, lid, user_id, playlist, r, force=True)

    def playlist_items_unit(self, api, lid, user_id, playlist, parent_result, force: bool = False) -> None:
        if not isinstance(playlist, dict) or not playlist.get("id"):
            parent_result.skipped["playlist without an id"] += 1
            return
        owner = (playlist.get("owner") or {}).get("id")
        if not force and owner != user_id and not playlist.get("collaborative"):
            # Since 2026 Spotify serves items only of playlists the user owns or collaborates on.
            parent_result.skipped["not owned or collaborative"] += 1
            return
        r = UnitResult("playlist_items", playlist["id"], lid)
        items = self.unit(r, lambda: sources.playlist_items(self.ctx, api, r, playlist=playlist))
        if items is None and r.error and "HTTP 403" in r.error:
            r.status, r.error, r.error_type = "finished", None, None
            r.skipped["forbidden (403)"] += 1
            return
        if items is not None:
            self.captured_playlists.add(playlist["id"])
        self.note_refs(items)

    def remember_pending(self) -> None:
        """Park referenced catalogue ids in the lake so a checkpoint before the catalogue unit loses none."""
        for kind in ("artists", "albums", "tracks"):
            wanted = sorted(i for i, needs in self.referenced[kind].items() if needs)
            if not wanted:
                continue
            for _ in range(5):
                doc = self.state.load(catalogue_key(f"pending_{kind}"))
                merged = sorted(set(doc.value.get("ids", [])) | set(wanted))
                if merged == doc.value.get("ids"):
                    break
                try:
                    self.state.commit(doc, {"ids": merged, "updated_at": self.ctx.now_iso()})
                    break
                except StateConflict:
                    continue
            else:
                self.log.warning("could not park pending catalogue ids", extra={"kind": kind})

    def catalogue_units(self, api: SpotifyApi, enabled: set[str]) -> None:
        ctx = self.ctx
        if "searches" in enabled:
            for spec in self.cfg.searches:
                r = UnitResult("search", sources.search_unit_name(spec.q, spec.type), None)
                items = self.unit(r, partial(sources.search, ctx, api, r, q=spec.q, kind=spec.type, pages=spec.pages))
                self.note_refs(items)
            self.remember_pending()
        if "backfill" in enabled:
            self.backfill_unit(api)
        if "catalogue" not in enabled and "backfill" not in enabled:
            return
        # The backfill alone looks up the albums and artists its tracks name; pending tracks are the catalogue's.
        kinds = ("artists", "albums", "tracks") if "catalogue" in enabled else ("artists", "albums")
        for kind in kinds:
            pending_doc = self.state.load(catalogue_key(f"pending_{kind}"))
            candidates = pending_doc.value.get("ids", [])
            if not candidates:
                continue
            r = UnitResult(kind, kind, None)
            allowed = self.unit(
                r,
                partial(
                    sources.catalogue_details,
                    ctx,
                    api,
                    r,
                    kind=kind,
                    candidate_ids=candidates,
                    batch_allowed=self.batch_allowed,
                    on_batch_forbidden=self._forbid_batch,
                ),
            )
            if (
                allowed
                and self.cfg.mode_hint != "development"
                and any(s == "200" for s in r.stats.requests)
                and (self.mode_doc.value.get("batch_lookups") is not True)
            ):
                self._remember_mode(batch=True)
            if r.status == "finished":
                self._drop_known_from_pending(kind)

    def backfill_unit(self, api: SpotifyApi) -> None:
        """The exported tracks the catalogue does not know, within the backfill budget; the albums and artists
        their answers name are parked as pending, for the catalogue lookups that follow in this run."""
        r = UnitResult("backfill", BACKFILL_UNIT, None)
        budget = backfill.Budget(self.cfg.backfill_requests_per_run, self.cfg.backfill_requests_per_day)
        work = partial(
            backfill.backfill,
            self.ctx,
            api,
            r,
            budget=budget,
            batch_allowed=self.batch_allowed,
            on_batch_forbidden=self._forbid_batch,
        )
        self.note_refs(self.unit(r, work))
        self.remember_pending()

    def _forbid_batch(self) -> None:
        self.batch_allowed = False
        self._remember_mode(batch=False)

    def _remember_mode(self, *, batch: bool) -> None:
        try:
            self.mode_doc = self.state.commit(
                self.mode_doc, {"batch_lookups": batch, "decided_at": self.ctx.now_iso(), "run_id": self.ctx.run_id}
            )
        except StateConflict:
            self.mode_doc = self.state.load(catalogue_key("api_mode"))

    def _drop_known_from_pending(self, kind: str) -> None:
        known = self.state.load(catalogue_key(f"known_{kind}")).value.get("ids", {})
        for _ in range(5):
            doc = self.state.load(catalogue_key(f"pending_{kind}"))
            left = [i for i in doc.value.get("ids", []) if i not in known]
            try:
                self.state.commit(doc, {"ids": left, "updated_at": self.ctx.now_iso()})
                return
            except StateConflict:
                continue

    # -- summary ------------------------------------------------------------------------------------------
    def summary(self) -> ExtractionSummary:
        per_source: dict[str, SourceExtraction] = {}
        requests: dict[str, Counter[str]] = {}
        skipped: dict[str, Counter[str]] = {}
        for u in self.units:
            agg = per_source.setdefault(u.source, SourceExtraction())
            agg.units += 1
            agg.items_written += u.items_written
            agg.raw_keys.extend(u.raw_keys)
            requests.setdefault(u.source, Counter()).update(u.stats.requests)
            agg.throttled_seconds += u.stats.throttled_seconds
            agg.quarantined += len(u.quarantined)
            skipped.setdefault(u.source, Counter()).update(u.skipped)
            if u.gap:
                agg.gaps_detected += 1
                agg.gaps.append(ListenerGap(u.listener_id, u.gap))
            agg.status = _worse(agg.status, u.status)
        for name, agg in per_source.items():
            agg.requests = dict(sorted(requests[name].items()))
            agg.skipped = dict(sorted(skipped[name].items()))
            agg.throttled_seconds = round(agg.throttled_seconds, 3)
        statuses = {u.status for u in self.units} | {"failed" for li in self.listeners if li.status == "failed"}
        if self.not_authorized:
            status = EXTRACTION_NOT_AUTHORIZED
        elif self.governor.checkpoint_reason:
            status = EXTRACTION_CHECKPOINTED
        elif statuses & {"failed", "conflict"}:
            status = EXTRACTION_FAILED
        else:
            status = EXTRACTION_FINISHED
        requests_total: Counter[str] = Counter()
        for u in self.units:
            requests_total.update(u.stats.requests)
        return ExtractionSummary(
            run_id=self.ctx.run_id,
            started_at=iso_millis(self.ctx.started_at),
            finished_at=iso_millis(self.rt.clock()),
            status=status,
            checkpoint_reason=self.governor.checkpoint_reason,
            mode=self.ctx.mode,
            batch_lookups=self.batch_allowed,
            lake=self.rt.storage.describe(),
            requests_total=self.governor.requests_made,
            requests_by_status=dict(sorted(requests_total.items())),
            throttled_seconds=round(sum(u.stats.throttled_seconds for u in self.units), 3),
            items_written=sum(u.items_written for u in self.units),
            gaps_detected=sum(1 for u in self.units if u.gap),
            quarantined=sum(len(u.quarantined) for u in self.units),
            error=str(self.fatal) if self.fatal else None,
            error_type=type(self.fatal).__name__ if self.fatal else None,
            listeners=list(self.listeners),
            sources=per_source,
            units=[u.summary() for u in self.units],
        )


_SEVERITY = {"finished": 0, "conflict": 1, "not_started": 2, "checkpointed": 3, "failed": 4}


def _worse(a: str, b: str) -> str:
    return a if _SEVERITY.get(a, 4) >= _SEVERITY.get(b, 4) else b


def run_extraction(rt: Runtime, event: Mapping, *, remaining_seconds: Callable[[], float], log: Log) -> RunOutcome:
    """Run once and write ``_runs/<run_id>.json`` (where a runs store is configured)."""
    outcome = _Run(rt, event, remaining_seconds, log).execute()
    if rt.runs_storage is not None:
        key = RunSummaryKey(outcome.summary.run_id).format()
        rt.runs_storage.put(key, outcome.summary.to_json().encode())
    return outcome
