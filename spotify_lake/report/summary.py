"""What a built report is: its views, the lake's facts and the run figures, as the page renders them.

Apart from :mod:`spotify_lake.report.build` so the page renderer can type against these without importing
the builder that calls it (no import cycle, not even one hidden under ``TYPE_CHECKING``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal

from spotify_lake.report.runs import RunFigures


@dataclass(frozen=True)
class ViewReport:
    view: str
    title: str
    section: str
    caption: str
    status: Literal["chart", "not_available", "failed"]
    rows: int
    csv: Path
    png: Path | None = None
    note: str | None = None
    svg: str | None = None


@dataclass(frozen=True)
class LakeFacts:
    plays: int
    listeners: int
    first_play: datetime | None
    last_play: datetime | None
    plays_by_source: dict[str, int]
    quarantined_rows: int
    table_rows: dict[str, int]
    #: Plays the analyses leave out, by why ("private sessions", "artist: Name", …): the excluded_plays view.
    plays_excluded: dict[str, int] = field(default_factory=dict)
    #: Track plays the analyses count, and how many of them have their album's release year (the catalogue
    #: backfill raises it for exported plays, which name only their track).
    track_plays: int = 0
    release_year_known: int = 0

    @property
    def excluded_total(self) -> int:
        return sum(self.plays_excluded.values())

    @property
    def release_year_share(self) -> float | None:
        """Percent of track plays whose release year is known; None without track plays."""
        return 100.0 * self.release_year_known / self.track_plays if self.track_plays else None


@dataclass(frozen=True)
class ReportSummary:
    """What ``build_report`` wrote and how each view fared."""

    out: Path
    index: Path
    views: tuple[ViewReport, ...]
    facts: LakeFacts
    runs: RunFigures
    time_zone: str
    mode: str | None
    listener: str | None

    @property
    def files(self) -> tuple[Path, ...]:
        written = [self.index]
        for v in self.views:
            written.append(v.csv)
            if v.png:
                written.append(v.png)
        return tuple(written)

    @property
    def charted(self) -> int:
        return sum(v.status == "chart" for v in self.views)

    @property
    def not_available(self) -> int:
        return sum(v.status != "chart" for v in self.views)
