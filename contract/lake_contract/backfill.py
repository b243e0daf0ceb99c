"""The catalogue backfill's two state documents: what the import queues and what the extractor remembers.

Exported plays carry only a track URI and names, so the catalogue never hears of most of a listener's history.
``spotify_lake import`` counts the plays of every track id in the extended-history files it stages and merges
them into :data:`CANDIDATES_KEY` (:class:`BackfillCandidates`); the extractor's ``backfill`` source looks the
tracks up most-played first and keeps :data:`STATE_KEY` (:class:`BackfillState`): the ids Spotify answered
404 or null for, with the reason, so no id is asked twice, and the requests spent today against the daily cap.
The ids it did fetch join the catalogue's ``known_tracks`` (``extraction.state.KnownIds``).

Both are JSON objects with their serializer and parser side by side, as every fact crossing a component
boundary (docs/RAW_ZONE.md, "State"). Standard library only: it ships with the extractor Lambda.
"""

from __future__ import annotations

import json
from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from lake_contract.identity import TRACK_URI_PREFIX
from lake_contract.keys import HISTORY_PREFIX, StateKey

#: ``_state/catalogue/backfill_candidates.json``: track id -> plays, written by the import.
CANDIDATES_KEY: Final = StateKey.catalogue("backfill_candidates")
#: ``_state/catalogue/backfill.json``: ids gone, the day's request count, the unit's numbering.
STATE_KEY: Final = StateKey.catalogue("backfill")
#: The unit (raw key stem) the backfill writes its track objects under, beside the catalogue's ``tracks``.
UNIT: Final = "backfill"
#: Export endpoints whose rows carry ``spotify_track_uri`` (account data has names only).
URI_ENDPOINTS: Final = (f"{HISTORY_PREFIX}extended", f"{HISTORY_PREFIX}legacy")
#: Track ids per batch lookup (``GET /v1/tracks?ids=``, extended quota only).
BATCH: Final = 50


class BackfillDocError(ValueError):
    """A backfill state document that is not what this module writes."""


def track_id(uri: object) -> str | None:
    """The id of a ``spotify:track:<id>`` URI; None for episodes, local files, nulls and anything else."""
    if not isinstance(uri, str) or not uri.startswith(TRACK_URI_PREFIX):
        return None
    found = uri.removeprefix(TRACK_URI_PREFIX)
    return found if found.isalnum() else None


def count_track_plays(rows: Iterable[object]) -> dict[str, int]:
    """Track id -> rows naming it, over the rows of one streaming-history file (non-objects are skipped)."""
    counts: dict[str, int] = {}
    for row in rows:
        found = track_id(row.get("spotify_track_uri")) if isinstance(row, dict) else None
        if found is not None:
            counts[found] = counts.get(found, 0) + 1
    return counts


def _object(text: str | bytes, what: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BackfillDocError(f"{what} is not JSON: {exc.msg}") from None
    if not isinstance(data, dict):
        raise BackfillDocError(f"{what} is not a JSON object")
    return data


def _counts(value: object, what: str) -> dict[str, int]:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) for k, v in value.items()
    ):
        raise BackfillDocError(f"{what} must map ids to integers")
    return dict(value)


@dataclass
class BackfillCandidates:
    """Track id -> plays in the imported exports, and the export keys already counted.

    An export key carries the file's SHA-256 (``ExportKey``), so re-importing a file (or the same file under a
    second import) is recognised by its key and counted once.
    """

    plays: dict[str, int] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    updated_at: str | None = None

    def add_file(self, key: str, counts: Mapping[str, int]) -> bool:
        """Merge one file's counts; False (and nothing changes) when ``key`` was counted before."""
        if key in self.files:
            return False
        self.files.append(key)
        for item_id, plays in counts.items():
            self.plays[item_id] = self.plays.get(item_id, 0) + plays
        return True

    def to_json(self) -> str:
        body = {"files": sorted(self.files), "plays": dict(sorted(self.plays.items())), "updated_at": self.updated_at}
        return json.dumps(body, separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_json(cls, text: str | bytes) -> BackfillCandidates:
        data = _object(text, "backfill candidates")
        files = data.get("files", [])
        if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
            raise BackfillDocError("backfill candidates: files must be a list of export keys")
        updated = data.get("updated_at")
        return cls(
            plays=_counts(data.get("plays", {}), "backfill candidates: plays"),
            files=list(files),
            updated_at=updated if isinstance(updated, str) else None,
        )


def by_value(plays: Mapping[str, int], skip: Container[str]) -> list[str]:
    """The ids of ``plays`` not in ``skip``, most plays first (ties by id, so every run agrees on the order)."""
    return [i for i, _ in sorted(plays.items(), key=lambda kv: (-kv[1], kv[0])) if i not in skip]


@dataclass(frozen=True)
class GoneTrack:
    """A track id Spotify does not know (any more): why, and which run found out."""

    reason: str
    run_id: str

    def to_dict(self) -> dict[str, str]:
        return {"reason": self.reason, "run_id": self.run_id}


@dataclass
class BackfillState:
    """What the ``backfill`` source remembers between runs.

    ``day``/``requests_today``: the UTC day of the last run and the track lookups it and earlier runs that
    day made (the daily cap); ``looked_up``/``requests``: running totals of distinct track ids settled
    (fetched or gone) and the requests spent on them; ``run_id``/``next_seq``: the unit's raw-object
    numbering, which a retried invocation of the same run continues (``extraction.state``).
    """

    gone: dict[str, GoneTrack] = field(default_factory=dict)
    day: str | None = None
    requests_today: int = 0
    looked_up: int = 0
    requests: int = 0
    run_id: str | None = None
    next_seq: int = 0
    updated_at: str | None = None

    def spent_on(self, day: str) -> int:
        """Requests already made on ``day`` (0 when the document is from an earlier day)."""
        return self.requests_today if self.day == day else 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "day": self.day,
            "gone": {k: v.to_dict() for k, v in sorted(self.gone.items())},
            "looked_up": self.looked_up,
            "next_seq": self.next_seq,
            "requests": self.requests,
            "requests_today": self.requests_today,
            "run_id": self.run_id,
            "updated_at": self.updated_at,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BackfillState:
        gone_raw = data.get("gone", {})
        if not isinstance(gone_raw, dict):
            raise BackfillDocError("backfill state: gone must be an object")
        gone = {}
        for item_id, entry in gone_raw.items():
            if not isinstance(entry, dict) or not isinstance(entry.get("reason"), str):
                raise BackfillDocError(f"backfill state: gone {item_id!r} needs a reason")
            gone[item_id] = GoneTrack(entry["reason"], str(entry.get("run_id", "")))
        numbers = _counts(
            {k: data.get(k, 0) for k in ("requests_today", "looked_up", "requests", "next_seq")}, "backfill state"
        )
        day, run_id, updated = data.get("day"), data.get("run_id"), data.get("updated_at")
        return cls(
            gone=gone,
            day=day if isinstance(day, str) else None,
            requests_today=numbers["requests_today"],
            looked_up=numbers["looked_up"],
            requests=numbers["requests"],
            run_id=run_id if isinstance(run_id, str) else None,
            next_seq=numbers["next_seq"],
            updated_at=updated if isinstance(updated, str) else None,
        )
