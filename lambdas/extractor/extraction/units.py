"""Shared machinery for units of work: the run context, per-unit results and the raw writer."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from extraction.api import CallStats
from extraction.errors import MalformedResponse
from extraction.raw import Provenance, encode_ndjson_gz, envelope, iso_millis, quarantine_body, quarantine_key, raw_key
from extraction.state import StateStore
from extraction.storage import Storage
from lake_contract.endpoints import CATALOGUE_ENDPOINTS
from lake_contract.summaries import Gap, UnitSummary


@dataclass
class RunContext:
    run_id: str
    started_at: datetime
    mode: str  # "development" or "extended": the quota the app is believed to have
    storage: Storage
    state: StateStore
    clock: Callable[[], datetime]

    @property
    def extract_date(self) -> str:
        return self.started_at.astimezone(UTC).strftime("%Y-%m-%d")

    def now_iso(self) -> str:
        return iso_millis(self.clock())


@dataclass
class UnitResult:
    source: str
    unit: str
    listener_id: str | None
    status: str = "running"  # finished | checkpointed | failed | conflict | not_started
    items_written: int = 0
    raw_keys: list[str] = field(default_factory=list)
    stats: CallStats = field(default_factory=CallStats)
    quarantined: list[str] = field(default_factory=list)
    skipped: Counter = field(default_factory=Counter)  # reason -> count
    gap: Gap | None = None
    error: str | None = None
    error_type: str | None = None

    def summary(self) -> UnitSummary:
        """This unit as the run summary lists it."""
        return UnitSummary(
            source=self.source,
            unit=self.unit,
            listener_id=self.listener_id,
            status=self.status,
            items_written=self.items_written,
            raw_keys=list(self.raw_keys),
            requests=dict(sorted(self.stats.requests.items())),
            throttled_seconds=round(self.stats.throttled_seconds, 3),
            quarantined=list(self.quarantined),
            skipped=dict(sorted(self.skipped.items())),
            gap=self.gap,
            error=self.error,
            error_type=self.error_type,
        )


class UnitWriter:
    """Writes one unit's raw objects under deterministic keys ``<unit>-<seq>``."""

    def __init__(self, ctx: RunContext, result: UnitResult, *, start_seq: int = 0):
        self.ctx = ctx
        self.result = result
        self.seq = start_seq
        self._quarantine_seq = 0

    def provenance(self, endpoint: str, path: str, params: dict, parent: dict | None = None) -> Provenance:
        return Provenance(
            listener_id=self.result.listener_id if endpoint not in CATALOGUE_ENDPOINTS else None,
            endpoint=endpoint,
            path=path,
            params=params,
            extracted_at=self.ctx.now_iso(),
            run_id=self.ctx.run_id,
            mode=self.ctx.mode,
            parent=parent,
        )

    def write(self, prov: Provenance, items: list, positions: list[int], *, unit: str | None = None) -> str | None:
        """One raw object for ``items`` (nothing when empty); returns its key once durably written."""
        if not items:
            return None
        records = [envelope(prov, item, pos) for item, pos in zip(items, positions, strict=True)]
        key = raw_key(
            prov.endpoint,
            listener_id=prov.listener_id,
            extract_date=self.ctx.extract_date,
            run_id=self.ctx.run_id,
            unit=unit or self.result.unit,
            seq=self.seq,
        )
        self.ctx.storage.put(key, encode_ndjson_gz(records))
        self.seq += 1
        self.result.items_written += len(records)
        self.result.raw_keys.append(key)
        return key

    def write_records(self, endpoint: str, triples: list) -> str | None:
        """One raw object whose lines carry their own provenance: ``[(Provenance, item, position), ...]``."""
        if not triples:
            return None
        records = [envelope(prov, item, pos) for prov, item, pos in triples]
        key = raw_key(
            endpoint,
            listener_id=triples[0][0].listener_id,
            extract_date=self.ctx.extract_date,
            run_id=self.ctx.run_id,
            unit=self.result.unit,
            seq=self.seq,
        )
        self.ctx.storage.put(key, encode_ndjson_gz(records))
        self.seq += 1
        self.result.items_written += len(records)
        self.result.raw_keys.append(key)
        return key

    def quarantine(self, endpoint: str, path: str, params: dict, exc: MalformedResponse) -> str:
        key = quarantine_key(
            endpoint,
            extract_date=self.ctx.extract_date,
            run_id=self.ctx.run_id,
            unit=(self.result.listener_id or "catalogue") + "-" + self.result.unit,
            seq=self._quarantine_seq,
        )
        body = quarantine_body(
            reason=exc.reason, endpoint=endpoint, path=path, params=params, status=exc.status, body=exc.body
        )
        self.ctx.storage.put(key, body)
        self._quarantine_seq += 1
        self.result.quarantined.append(key)
        return key


def require_items(page, what: str, body_text: Callable[[], str], status: int = 200) -> list:
    """The ``items`` list of a paging object, or MalformedResponse naming what is wrong."""
    if not isinstance(page, dict) or not isinstance(page.get("items"), list):
        raise MalformedResponse(
            f"{what}: expected a paging object with an 'items' list", status=status, body=body_text()
        )
    return page["items"]
