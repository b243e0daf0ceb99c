"""The lake's run summaries (``_runs/*.json``) boiled down to the figures the report shows."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lake_contract.keys import RUNS

logger = logging.getLogger(__name__)


@dataclass
class RunFigures:
    """Totals over the curation runs since the latest full refresh: ``loaded - superseded`` = curated plays
    (plus the other tables' loaded rows), in whatever order the exports were imported."""

    runs_by_stage: dict[str, int] = field(default_factory=dict)
    #: Summed over the curation runs since the latest full refresh: together they built the curated tables.
    curation_runs: int = 0
    read: int = 0
    loaded: int = 0
    duplicates: int = 0
    #: Curated plays an import replaced with a better row of the same listen (account data absorbed by the
    #: extended export imported later): ``loaded - superseded`` is the number of plays in the table.
    superseded: int = 0
    quarantined: int = 0
    quarantined_by_reason: dict[str, int] = field(default_factory=dict)
    #: Quota mode of the latest extraction ("development" or "extended"), when an extraction ran.
    mode: str | None = None
    unreadable: list[str] = field(default_factory=list)


def _load(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        logger.warning("run summary %s unreadable: %s", path.name, exc)
        return None
    return data if isinstance(data, dict) else None


def read_runs(lake: Path) -> RunFigures:
    figures = RunFigures()
    summaries = []
    for path in sorted((lake / RUNS).glob("*.json")):
        data = _load(path)
        if data is None:
            figures.unreadable.append(path.name)
            continue
        summaries.append(data)
    summaries.sort(key=lambda s: (str(s.get("started_at", "")), str(s.get("run_id", ""))))
    for s in summaries:
        stage = str(s.get("stage") or str(s.get("run_id", "unknown")).split("-", 1)[0])
        figures.runs_by_stage[stage] = figures.runs_by_stage.get(stage, 0) + 1
        if stage == "extract" and isinstance(s.get("mode"), str):
            figures.mode = s["mode"]
    curations = [s for s in summaries if s.get("stage") == "curate"]
    refreshes = [i for i, s in enumerate(curations) if s.get("full_refresh")]
    for s in curations[refreshes[-1] if refreshes else 0 :]:
        figures.curation_runs += 1
        for source in (s.get("sources") or {}).values():
            figures.read += int(source.get("read", 0))
            figures.loaded += int(source.get("loaded", 0))
            figures.duplicates += int(source.get("duplicates", 0))
            figures.superseded += int(source.get("superseded", 0))  # absent from summaries before issue 13
            figures.quarantined += int(source.get("quarantined_total", 0))
            for reason, count in (source.get("quarantined") or {}).items():
                figures.quarantined_by_reason[reason] = figures.quarantined_by_reason.get(reason, 0) + int(count)
    return figures
