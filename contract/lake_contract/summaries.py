"""The run summaries (``_runs/<run_id>.json``): what an extraction or a curation run did, as typed models.

The extractor and the Glue job write them; the quality gate, the local pipeline, the report, the reliability
harness and the benchmark read them. Each model has its serializer and its inverse side by side: ``to_dict``/
``from_dict`` (the JSON object, also what the extractor Lambda returns) and ``to_json``/``from_json`` (the file's
text, byte for byte what the runs have always written). The curation run's accounting identity,
``read == loaded + duplicates + quarantined`` per source, is :meth:`SourceAccount.imbalance`, used by the job's
blocking check, the gate, the harness and the tests alike.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


class SummaryError(ValueError):
    """A run summary that does not have the shape its model describes (the message says where)."""


def _dumps(obj: Any) -> str:
    return json.dumps(obj, indent=2, sort_keys=True)


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise SummaryError(f"{where}: not a JSON object")
    return value


def _loads(text: str | bytes) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SummaryError(f"not JSON: {exc.msg}") from None
    return _object(data, "summary")


def _get(data: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    """``data[key]`` when it is of ``kind`` (None allowed when ``kind`` includes ``type(None)``)."""
    if key not in data:
        raise SummaryError(f"{where}: {key} missing")
    value = data[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and bool not in _kinds(kind)):
        raise SummaryError(f"{where}: {key} is {type(value).__name__}, not {_names(kind)}")
    return value


def _kinds(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _names(kind: type | tuple[type, ...]) -> str:
    return " or ".join(k.__name__ for k in _kinds(kind))


def _counts(value: Any, where: str) -> dict[str, int]:
    """A JSON object of name -> count."""
    counts = _object(value, where)
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in counts.values()):
        raise SummaryError(f"{where}: counts must be integers")
    return dict(counts)


def _strings(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SummaryError(f"{where}: not a list of strings")
    return list(value)


_NUMBER = (int, float)
_OPT_STR = (str, type(None))


# --- curation ----------------------------------------------------------------------------------------------

#: Curation run statuses. A run that raised keeps ``failed``; the two others leave the tables consistent.
CURATION_SUCCEEDED = "succeeded"
CURATION_NOTHING_TO_DO = "nothing to do"
CURATION_FAILED = "failed"
CURATION_GOOD_STATUSES = (CURATION_SUCCEEDED, CURATION_NOTHING_TO_DO)


@dataclass
class SourceAccount:
    """One source's records in one curation run. ``superseded`` (curated rows of earlier runs that this run
    replaced) is not part of ``read``, so the books balance without it."""

    read: int = 0
    loaded: int = 0
    duplicates: int = 0
    superseded: int = 0
    #: Quarantined records by reason; ``quarantined_total`` is their sum.
    quarantined: dict[str, int] = field(default_factory=dict)
    quarantined_total: int = 0

    def imbalance(self) -> int:
        """``read - (loaded + duplicates + quarantined)``: the accounting identity holds when it is 0."""
        return self.read - (self.loaded + self.duplicates + self.quarantined_total)

    @property
    def balanced(self) -> bool:
        return self.imbalance() == 0

    def quarantine(self, reason: str, count: int) -> None:
        self.quarantined[reason] = self.quarantined.get(reason, 0) + count
        self.quarantined_total += count

    def to_dict(self) -> dict[str, Any]:
        return {
            "read": self.read,
            "loaded": self.loaded,
            "duplicates": self.duplicates,
            "superseded": self.superseded,
            "quarantined": dict(self.quarantined),
            "quarantined_total": self.quarantined_total,
        }

    @classmethod
    def from_dict(cls, data: Any) -> SourceAccount:
        """Parse one source's counts. ``superseded`` may be absent (summaries before it existed), the reasons
        too; the four counts of the identity may not."""
        data = _object(data, "source")
        try:
            read, loaded, duplicates, total = (
                int(data["read"]),
                int(data["loaded"]),
                int(data["duplicates"]),
                int(data["quarantined_total"]),
            )
        except (KeyError, TypeError, ValueError):
            raise SummaryError("counts missing or not numbers") from None
        superseded = data.get("superseded", 0)
        if not isinstance(superseded, int) or isinstance(superseded, bool) or superseded < 0:
            raise SummaryError(f"superseded {superseded!r} is not a count")
        reasons = _counts(data.get("quarantined") or {}, "quarantined")
        return cls(read, loaded, duplicates, superseded, reasons, total)


def unbalanced_sources(sources: dict[str, SourceAccount]) -> dict[str, int]:
    """Sources whose books do not balance, with their imbalance."""
    return {name: account.imbalance() for name, account in sources.items() if not account.balanced}


@dataclass(frozen=True)
class CheckResult:
    """One data-quality check of a curation run (also a row of the ``data_quality`` table)."""

    table_name: str
    check_name: str
    observed: float
    threshold: float
    passed: bool
    blocking: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "table_name": self.table_name,
            "check_name": self.check_name,
            "observed": self.observed,
            "threshold": self.threshold,
            "passed": self.passed,
            "blocking": self.blocking,
        }

    as_dict = to_dict

    @classmethod
    def from_dict(cls, data: Any) -> CheckResult:
        data = _object(data, "data_quality check")
        where = "data_quality check"
        return cls(
            table_name=_get(data, "table_name", str, where),
            check_name=_get(data, "check_name", str, where),
            observed=_get(data, "observed", _NUMBER, where),
            threshold=_get(data, "threshold", _NUMBER, where),
            passed=_get(data, "passed", bool, where),
            blocking=_get(data, "blocking", bool, where),
        )


@dataclass
class CurationSummary:
    """One curation run. ``sources``, ``data_quality`` and ``tables`` are None (and absent from the file) when
    the run failed before it counted, checked or published."""

    run_id: str
    started_at: str
    full_refresh: bool
    #: Raw objects listed, and how many of each kind this run processed (api, export, library, …).
    raw_objects: dict[str, int]
    status: str = CURATION_FAILED
    finished_at: str | None = None
    sources: dict[str, SourceAccount] | None = None
    data_quality: list[CheckResult] | None = None
    #: Per table, the partition values this run published (``["*"]``: the whole table).
    tables: dict[str, list[str]] | None = None
    stage: str = "curate"

    def accounts(self) -> dict[str, SourceAccount]:
        """Per source counts (none when the run failed before it counted)."""
        return self.sources or {}

    def unbalanced_sources(self) -> dict[str, int]:
        return unbalanced_sources(self.accounts())

    def totals(self) -> SourceAccount:
        """The counts summed over the sources."""
        total = SourceAccount()
        for account in self.accounts().values():
            total.read += account.read
            total.loaded += account.loaded
            total.duplicates += account.duplicates
            total.superseded += account.superseded
            for reason, count in account.quarantined.items():
                total.quarantine(reason, count)
        return total

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "run_id": self.run_id,
            "stage": self.stage,
            "started_at": self.started_at,
            "full_refresh": self.full_refresh,
            "raw_objects": dict(self.raw_objects),
            "status": self.status,
        }
        if self.finished_at is not None:
            out["finished_at"] = self.finished_at
        if self.sources is not None:
            out["sources"] = {name: account.to_dict() for name, account in self.sources.items()}
        if self.data_quality is not None:
            out["data_quality"] = [check.to_dict() for check in self.data_quality]
        if self.tables is not None:
            out["tables"] = {name: list(values) for name, values in self.tables.items()}
        return out

    def to_json(self) -> str:
        return _dumps(self.to_dict())

    @classmethod
    def from_dict(cls, data: Any) -> CurationSummary:
        data = _object(data, "curation summary")
        where = "curation summary"
        sources = data.get("sources")
        if sources is not None:
            sources = {}
            for name, counts in _object(data["sources"], "sources").items():
                try:
                    sources[name] = SourceAccount.from_dict(counts)
                except SummaryError as exc:
                    raise SummaryError(f"source {name}: {exc}") from None
        checks = data.get("data_quality")
        tables = data.get("tables")
        return cls(
            run_id=_get(data, "run_id", str, where),
            stage=_get(data, "stage", str, where),
            started_at=_get(data, "started_at", str, where),
            full_refresh=_get(data, "full_refresh", bool, where),
            raw_objects=_counts(_get(data, "raw_objects", dict, where), "raw_objects"),
            status=_get(data, "status", str, where),
            finished_at=_get(data, "finished_at", _OPT_STR, where) if "finished_at" in data else None,
            sources=sources,
            data_quality=None if checks is None else [CheckResult.from_dict(c) for c in _list(checks, "data_quality")],
            tables=None
            if tables is None
            else {name: _strings(values, f"tables.{name}") for name, values in _object(tables, "tables").items()},
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> CurationSummary:
        return cls.from_dict(_loads(text))


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise SummaryError(f"{where}: not a list")
    return value


# --- extraction --------------------------------------------------------------------------------------------

#: Extraction run (and unit) statuses.
EXTRACTION_FINISHED = "finished"
EXTRACTION_CHECKPOINTED = "checkpointed"
EXTRACTION_FAILED = "failed"
EXTRACTION_NOT_AUTHORIZED = "not_authorized"


@dataclass(frozen=True)
class Gap:
    """Recently played: a full page whose oldest play is newer than the cursor; plays in between may be lost."""

    cursor: str
    oldest_returned: str
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return {"cursor": self.cursor, "oldest_returned": self.oldest_returned, "detail": self.detail}

    @classmethod
    def from_dict(cls, data: Any) -> Gap:
        data = _object(data, "gap")
        return cls(
            cursor=_get(data, "cursor", str, "gap"),
            oldest_returned=_get(data, "oldest_returned", str, "gap"),
            detail=_get(data, "detail", str, "gap"),
        )


@dataclass(frozen=True)
class ListenerGap:
    """A gap as a source's totals list it: with the listener it was found for."""

    listener_id: str | None
    gap: Gap

    def to_dict(self) -> dict[str, Any]:
        return {"listener_id": self.listener_id, **self.gap.to_dict()}

    @classmethod
    def from_dict(cls, data: Any) -> ListenerGap:
        data = _object(data, "gap")
        return cls(_get(data, "listener_id", _OPT_STR, "gap"), Gap.from_dict(data))


@dataclass
class UnitSummary:
    """One unit of work of an extraction run (one endpoint call sequence for one listener or the catalogue)."""

    source: str
    unit: str
    listener_id: str | None
    status: str
    items_written: int = 0
    raw_keys: list[str] = field(default_factory=list)
    requests: dict[str, int] = field(default_factory=dict)
    throttled_seconds: float = 0.0
    quarantined: list[str] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)
    gap: Gap | None = None
    error: str | None = None
    error_type: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "unit": self.unit,
            "listener_id": self.listener_id,
            "status": self.status,
            "items_written": self.items_written,
            "raw_keys": list(self.raw_keys),
            "requests": dict(sorted(self.requests.items())),
            "throttled_seconds": self.throttled_seconds,
            "quarantined": list(self.quarantined),
            "skipped": dict(sorted(self.skipped.items())),
            "gap_detected": self.gap is not None,
            "gap": None if self.gap is None else self.gap.to_dict(),
            "error": self.error,
            "error_type": self.error_type,
        }

    @classmethod
    def from_dict(cls, data: Any) -> UnitSummary:
        data = _object(data, "unit")
        w = "unit"
        gap = data.get("gap")
        return cls(
            source=_get(data, "source", str, w),
            unit=_get(data, "unit", str, w),
            listener_id=_get(data, "listener_id", _OPT_STR, w),
            status=_get(data, "status", str, w),
            items_written=_get(data, "items_written", int, w),
            raw_keys=_strings(_get(data, "raw_keys", list, w), "unit raw_keys"),
            requests=_counts(_get(data, "requests", dict, w), "unit requests"),
            throttled_seconds=_get(data, "throttled_seconds", _NUMBER, w),
            quarantined=_strings(_get(data, "quarantined", list, w), "unit quarantined"),
            skipped=_counts(_get(data, "skipped", dict, w), "unit skipped"),
            gap=None if gap is None else Gap.from_dict(gap),
            error=_get(data, "error", _OPT_STR, w),
            error_type=_get(data, "error_type", _OPT_STR, w),
        )


@dataclass
class SourceExtraction:
    """One source's units of an extraction run, summed (``status``: the worst unit's)."""

    items_written: int = 0
    raw_keys: list[str] = field(default_factory=list)
    requests: dict[str, int] = field(default_factory=dict)
    throttled_seconds: float = 0.0
    status: str = EXTRACTION_FINISHED
    units: int = 0
    quarantined: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    gaps_detected: int = 0
    gaps: list[ListenerGap] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "items_written": self.items_written,
            "raw_keys": list(self.raw_keys),
            "requests": dict(sorted(self.requests.items())),
            "throttled_seconds": self.throttled_seconds,
            "status": self.status,
            "units": self.units,
            "quarantined": self.quarantined,
            "skipped": dict(sorted(self.skipped.items())),
            "gaps_detected": self.gaps_detected,
            "gaps": [g.to_dict() for g in self.gaps],
        }

    @classmethod
    def from_dict(cls, data: Any) -> SourceExtraction:
        data = _object(data, "source")
        w = "source"
        return cls(
            items_written=_get(data, "items_written", int, w),
            raw_keys=_strings(_get(data, "raw_keys", list, w), "source raw_keys"),
            requests=_counts(_get(data, "requests", dict, w), "source requests"),
            throttled_seconds=_get(data, "throttled_seconds", _NUMBER, w),
            status=_get(data, "status", str, w),
            units=_get(data, "units", int, w),
            quarantined=_get(data, "quarantined", int, w),
            skipped=_counts(_get(data, "skipped", dict, w), "source skipped"),
            gaps_detected=_get(data, "gaps_detected", int, w),
            gaps=[ListenerGap.from_dict(g) for g in _list(_get(data, "gaps", list, w), "source gaps")],
        )


@dataclass
class ListenerOutcome:
    """How one listener of the secret fared (``listener``: a label, never the refresh token)."""

    listener: str
    listener_id: str | None = None
    status: str = "running"
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"listener": self.listener, "listener_id": self.listener_id, "status": self.status, "error": self.error}

    @classmethod
    def from_dict(cls, data: Any) -> ListenerOutcome:
        data = _object(data, "listener")
        w = "listener"
        return cls(
            listener=_get(data, "listener", str, w),
            listener_id=_get(data, "listener_id", _OPT_STR, w),
            status=_get(data, "status", str, w),
            error=_get(data, "error", _OPT_STR, w),
        )


@dataclass
class ExtractionSummary:
    """One extraction run: what the extractor Lambda writes to ``_runs/`` and returns."""

    run_id: str
    started_at: str
    finished_at: str
    status: str
    checkpoint_reason: str | None
    #: The quota the app is believed to have: "development" or "extended".
    mode: str
    batch_lookups: bool
    #: Where the lake is (bucket or folder; no credentials).
    lake: str
    requests_total: int
    requests_by_status: dict[str, int]
    throttled_seconds: float
    items_written: int
    gaps_detected: int
    quarantined: int
    error: str | None
    error_type: str | None
    listeners: list[ListenerOutcome]
    sources: dict[str, SourceExtraction]
    units: list[UnitSummary]
    stage: str = "extract"

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "stage": self.stage,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "status": self.status,
            "checkpoint_reason": self.checkpoint_reason,
            "mode": self.mode,
            "batch_lookups": self.batch_lookups,
            "lake": self.lake,
            "requests_total": self.requests_total,
            "requests_by_status": dict(sorted(self.requests_by_status.items())),
            "throttled_seconds": self.throttled_seconds,
            "items_written": self.items_written,
            "gaps_detected": self.gaps_detected,
            "quarantined": self.quarantined,
            "error": self.error,
            "error_type": self.error_type,
            "listeners": [li.to_dict() for li in self.listeners],
            "sources": {name: source.to_dict() for name, source in self.sources.items()},
            "units": [u.to_dict() for u in self.units],
        }

    def to_json(self) -> str:
        return _dumps(self.to_dict())

    @classmethod
    def from_dict(cls, data: Any) -> ExtractionSummary:
        data = _object(data, "extraction summary")
        w = "extraction summary"
        return cls(
            run_id=_get(data, "run_id", str, w),
            stage=_get(data, "stage", str, w),
            started_at=_get(data, "started_at", str, w),
            finished_at=_get(data, "finished_at", str, w),
            status=_get(data, "status", str, w),
            checkpoint_reason=_get(data, "checkpoint_reason", _OPT_STR, w),
            mode=_get(data, "mode", str, w),
            batch_lookups=_get(data, "batch_lookups", bool, w),
            lake=_get(data, "lake", str, w),
            requests_total=_get(data, "requests_total", int, w),
            requests_by_status=_counts(_get(data, "requests_by_status", dict, w), "requests_by_status"),
            throttled_seconds=_get(data, "throttled_seconds", _NUMBER, w),
            items_written=_get(data, "items_written", int, w),
            gaps_detected=_get(data, "gaps_detected", int, w),
            quarantined=_get(data, "quarantined", int, w),
            error=_get(data, "error", _OPT_STR, w),
            error_type=_get(data, "error_type", _OPT_STR, w),
            listeners=[ListenerOutcome.from_dict(li) for li in _list(_get(data, "listeners", list, w), "listeners")],
            sources={
                name: SourceExtraction.from_dict(s)
                for name, s in _object(_get(data, "sources", dict, w), "sources").items()
            },
            units=[UnitSummary.from_dict(u) for u in _list(_get(data, "units", list, w), "units")],
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> ExtractionSummary:
        return cls.from_dict(_loads(text))


# --- import ------------------------------------------------------------------------------------------------


@dataclass
class ImportSummary:
    """One ``spotify-lake import`` of a privacy export: which files it staged into the raw zone."""

    run_id: str
    source: str
    listener_id: str = ""
    #: How the listener was found: named by the export, given, or the lake's only listener.
    listener_how: str = ""
    staged: list[str] = field(default_factory=list)
    already_present: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    stage: str = "import"

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "stage": self.stage,
            "source": self.source,
            "listener_id": self.listener_id,
            "listener_how": self.listener_how,
            "staged": list(self.staged),
            "already_present": list(self.already_present),
            "ignored": list(self.ignored),
        }

    def to_json(self) -> str:
        # The import has always written its fields in this order, not sorted.
        return json.dumps(self.to_dict(), indent=2) + "\n"

    @classmethod
    def from_dict(cls, data: Any) -> ImportSummary:
        w = "import summary"
        data = _object(data, w)
        return cls(
            run_id=_get(data, "run_id", str, w),
            stage=_get(data, "stage", str, w),
            source=_get(data, "source", str, w),
            listener_id=_get(data, "listener_id", str, w),
            listener_how=_get(data, "listener_how", str, w),
            staged=_strings(_get(data, "staged", list, w), "staged"),
            already_present=_strings(_get(data, "already_present", list, w), "already_present"),
            ignored=_strings(_get(data, "ignored", list, w), "ignored"),
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> ImportSummary:
        return cls.from_dict(_loads(text))


RunSummary = ExtractionSummary | CurationSummary | ImportSummary


def parse_run_summary(data: Any) -> RunSummary:
    """Any ``_runs/`` summary, by its stage; :class:`SummaryError` for an unknown stage or a wrong shape."""
    data = _object(data, "summary")
    stage = summary_stage(data)
    if stage == "extract":
        return ExtractionSummary.from_dict(data)
    if stage == "curate":
        return CurationSummary.from_dict(data)
    if stage == "import":
        return ImportSummary.from_dict(data)
    raise SummaryError(f"summary: unknown stage {stage!r}")


def summary_stage(data: dict[str, Any]) -> str:
    """The stage a summary object belongs to (``extract``, ``curate``, ``import``): its ``stage`` field, or
    its run id's prefix for files written before the field existed."""
    return str(data.get("stage") or str(data.get("run_id", "unknown")).split("-", 1)[0])
