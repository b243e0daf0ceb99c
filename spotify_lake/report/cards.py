"""The shareable year-in-review card: one PNG per year (and per listener when the lake has several), drawn with
matplotlib from the same SQL figures the page shows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt

from spotify_lake.report.charts import FONT, GREEN

INK = "#121212"
SOFT = "#B3B3B3"


def card_name(year: int, scope: str) -> str:
    """Path of a card relative to the report folder: ``years/year-2025.png`` or ``years/year-2025-<listener>.png``."""
    return f"years/year-{year}.png" if scope == "*" else f"years/year-{year}-{scope}.png"


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "–"


def draw_card(review: dict[str, Any], path: Path, subtitle: str) -> None:
    """A 1080 × 1350 px portrait card (the 4:5 shape social feeds show whole)."""
    top = review["top"]
    with plt.rc_context({"font.family": "sans-serif", "font.sans-serif": FONT, "svg.hashsalt": "year-card"}):
        fig = plt.figure(figsize=(7.2, 9.0), dpi=150, facecolor=INK)
        try:
            t = fig.text
            t(0.07, 0.93, f"{review['year']}", color=GREEN, fontsize=44, weight="bold", va="top")
            t(0.07, 0.845, "in review · " + subtitle, color=SOFT, fontsize=12, va="top")
            t(0.07, 0.79, f"{review['minutes']:,}", color="white", fontsize=34, weight="bold", va="top")
            t(
                0.07,
                0.725,
                f"minutes · {review['plays']:,} plays · {review['artists']:,} artists",
                color=SOFT,
                fontsize=11,
            )
            columns = [("Top artists", "artist", 0.07, 0.66), ("Top tracks", "track", 0.52, 0.66)]
            columns += [("Top albums", "album", 0.07, 0.43), ("Top genres" if top.get("genre") else "Top shows",
                         "genre" if top.get("genre") else "show", 0.52, 0.43)]  # fmt: skip
            for title, kind, x, y in columns:
                t(x, y, title.upper(), color=GREEN, fontsize=10, weight="bold")
                for rank, (name, _minutes, _plays) in enumerate(top.get(kind, [])[:5], start=1):
                    label = name if len(name) <= 30 else name[:29] + "…"
                    t(x, y - 0.038 * rank, f"{rank}  {label}", color="white", fontsize=10.5)
            facts = [
                ("biggest day", f"{review['biggest_day']} · {review['biggest_day_minutes']:,} min"),
                ("longest streak", f"{review['streak_days']} days"),
                ("artists discovered", f"{review['artists_discovered']:,}"),
            ]
            if review.get("median_release_year"):
                facts.append(("listening age", f"median release year {review['median_release_year']}"))
            facts.append(
                ("chosen · shuffled · skipped · offline",
                 " · ".join(_pct(review[a], review[b]) for a, b in (("chosen", "reason_known"),
                            ("shuffled", "shuffle_known"), ("skipped", "skip_known"), ("offline", "offline_known"))))
            )  # fmt: skip
            for i, (label, value) in enumerate(facts):
                y = 0.19 - 0.034 * i
                t(0.07, y, label, color=SOFT, fontsize=10)
                t(0.52, y, value, color="white", fontsize=10)
            t(0.07, 0.02, "spotify-lake", color=GREEN, fontsize=9, weight="bold")
            path.parent.mkdir(parents=True, exist_ok=True)
            fig.savefig(path, format="png", facecolor=INK, metadata={"Software": None})
        finally:
            plt.close(fig)
