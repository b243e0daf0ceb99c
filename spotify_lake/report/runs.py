"""The lake's run summaries (``_runs/*.json``) boiled down to the figures the report shows."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lake_contract.keys import RUNS
from lake_contract.summaries import (
    CurationSummary,
    ExtractionSummary,
    ImportSummary,
    RunSummary,
    SummaryError,
    parse_run_summary,
    summary_stage,
)

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
    runs: list[RunSummary] = []
    for path in sorted((lake / RUNS).glob("*.json")):
        data = _load(path)
        if data is None:
            figures.unreadable.append(path.name)
            continue
        stage = summary_stage(data)
        figures.runs_by_stage[stage] = figures.runs_by_stage.get(stage, 0) + 1
        try:
            runs.append(parse_run_summary(data))
        except SummaryError as exc:
            logger.warning("run summary %s unreadable: %s", path.name, exc)
            figures.unreadable.append(path.name)
    runs.sort(key=_started)
    extractions = [run for run in runs if isinstance(run, ExtractionSummary)]
    if extractions:
        figures.mode = extractions[-1].mode
    curations = [run for run in runs if isinstance(run, CurationSummary)]
    refreshes = [i for i, s in enumerate(curations) if s.full_refresh]
    for run in curations[refreshes[-1] if refreshes else 0 :]:
        figures.curation_runs += 1
        totals = run.totals()
        figures.read += totals.read
        figures.loaded += totals.loaded
        figures.duplicates += totals.duplicates
        figures.superseded += totals.superseded  # absent from summaries before issue 13: 0
        figures.quarantined += totals.quarantined_total
        for reason, count in totals.quarantined.items():
            figures.quarantined_by_reason[reason] = figures.quarantined_by_reason.get(reason, 0) + count
    return figures


def _started(run: RunSummary) -> tuple[str, str]:
    """Runs in the order they started (an import records no start: its run id orders it among its peers)."""
    started = "" if isinstance(run, ImportSummary) else run.started_at
    return started, run.run_id
