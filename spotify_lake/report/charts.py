"""One chart per view: what it shows, how to read it, when it cannot be drawn, and how to draw it (matplotlib)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import matplotlib

matplotlib.use("Agg")  # headless: no display needed, same output everywhere

import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter

Row = dict[str, Any]

GREEN = "#1DB954"
INK = "#191414"
MUTED = "#6B7280"
GRID = "#E5E7EB"
#: Categorical palette (first colour = the brand green), readable on white and distinct for colour-blind readers.
PALETTE = ("#1DB954", "#3B82F6", "#F59E0B", "#8B5CF6", "#EF4444", "#14B8A6", "#EC4899", "#84CC16", "#64748B")
FONT = ["DejaVu Sans", "Helvetica", "Arial", "sans-serif"]

STYLE = {
    "font.family": "sans-serif",
    "font.sans-serif": FONT,
    "font.size": 10,
    "axes.edgecolor": GRID,
    "axes.labelcolor": INK,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.titlecolor": INK,
    "axes.titlelocation": "left",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.axisbelow": True,
    "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
    "grid.color": GRID,
    "grid.linewidth": 0.8,
    "xtick.color": MUTED,
    "ytick.color": MUTED,
    "xtick.major.size": 0,
    "ytick.major.size": 0,
    "legend.frameon": False,
    "legend.fontsize": 9,
    "figure.facecolor": "white",
    "svg.fonttype": "none",  # text stays text: smaller, selectable, crisp
}


@dataclass(frozen=True)
class Chart:
    """How the report shows one view."""

    view: str
    section: str
    title: str
    caption: str
    draw: Callable[[list[Row]], Figure]
    #: Curated tables that must hold rows for the view to mean anything.
    tables: tuple[str, ...] = ("plays",)
    #: (table, column, what Spotify calls it) fields only extended-quota apps get, that the chart depends on.
    fields: tuple[tuple[str, str, str], ...] = ()
    #: Why the view can be empty although its tables are not.
    empty_reason: str = "the lake holds no rows this analysis can use"
    #: Charts that compare listeners; with a listener filter they still show every listener.
    cross_listener: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------- helpers


def _figure(width: float = 8.0, height: float = 3.6, ncols: int = 1):
    fig, axes = plt.subplots(1, ncols, figsize=(width, height), layout="constrained")
    return fig, axes


def _sum_by(rows: Iterable[Row], key: Callable[[Row], Any], value: str) -> dict[Any, float]:
    totals: dict[Any, float] = defaultdict(float)
    for row in rows:
        if row[value] is not None:
            totals[key(row)] += row[value]
    return dict(totals)


def _top(totals: dict[Any, float], n: int) -> list[tuple[Any, float]]:
    return sorted(totals.items(), key=lambda kv: (-kv[1], str(kv[0])))[:n]


def _short(text: Any, width: int = 34) -> str:
    text = "—" if text is None else str(text)
    return text if len(text) <= width else text[: width - 1] + "…"


def _barh(ax, items: list[tuple[Any, float]], color: str = GREEN, fmt: str = "{:,.0f}") -> None:
    labels = [_short(k) for k, _ in items][::-1]
    values = [v for _, v in items][::-1]
    bars = ax.barh(labels, values, color=color, height=0.7)
    ax.grid(axis="y", visible=False)
    ax.bar_label(bars, labels=[fmt.format(v) for v in values], padding=3, fontsize=8, color=MUTED)
    ax.margins(x=0.12)
    ax.xaxis.set_major_locator(MaxNLocator(5, integer=True))


def _months(rows: list[Row], key: str = "month") -> list[date]:
    return sorted({r[key] for r in rows if r[key] is not None})


def _month_axis(ax, months: list[date]) -> None:
    step = max(1, -(-len(months) // 8))  # at most 8 labels
    ax.set_xticks(range(0, len(months), step))
    ax.set_xticklabels([m.strftime("%b %y") for m in months[::step]], rotation=0)


def _thousands(ax, axis: str = "y") -> None:
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))


# ---------------------------------------------------------------------------------------------- drawings


def plays_by_source(rows: list[Row]) -> Figure:
    months = _months(rows, "local_month")
    sources = sorted({r["source"] for r in rows})
    fig, ax = _figure()
    bottom = [0.0] * len(months)
    index = {m: i for i, m in enumerate(months)}
    for colour, source in zip(PALETTE, sources, strict=False):
        counts = [0.0] * len(months)
        for r in rows:
            if r["source"] == source and r["local_month"] is not None:
                counts[index[r["local_month"]]] += 1
        ax.bar(range(len(months)), counts, bottom=bottom, label=source, color=colour, width=0.8)
        bottom = [b + c for b, c in zip(bottom, counts, strict=True)]
    _month_axis(ax, months)
    ax.set_ylabel("plays")
    _thousands(ax)
    ax.legend(loc="upper left", ncols=min(4, len(sources)))
    return fig


def albums_on_repeat(rows: list[Row]) -> Figure:
    label = lambda r: f"{r['album_name']} · {r['artist_name']}"  # noqa: E731
    fig, ax = _figure(height=4.2)
    _barh(ax, _top(_sum_by(rows, label, "plays"), 12))
    ax.set_xlabel("plays")
    return fig


def plays_by_release_year(rows: list[Row]) -> Figure:
    totals = _sum_by(rows, lambda r: r["release_year"], "plays")
    fig, ax = _figure()
    years = sorted(totals)
    ax.bar(years, [totals[y] for y in years], color=GREEN, width=0.85)
    ax.set_xlabel("release year")
    ax.set_ylabel("plays")
    ax.xaxis.set_major_locator(MaxNLocator(10, integer=True))
    return fig


def track_duration_popularity(rows: list[Row]) -> Figure:
    points = [r for r in rows if r["popularity"] is not None and r["duration_ms"] is not None]
    fig, ax = _figure()
    ax.scatter(
        [r["duration_ms"] / 60000 for r in points],
        [r["popularity"] for r in points],
        s=[12 + 6 * min(r["plays"], 40) for r in points],
        color=GREEN,
        alpha=0.45,
        edgecolors="white",
        linewidths=0.5,
    )
    ax.set_xlabel("track length (minutes)")
    ax.set_ylabel("popularity (0–100)")
    ax.set_ylim(0, 100)
    return fig


def _ranked_panels(rows: list[Row], label: Callable[[Row], str], value: str) -> Figure:
    periods = [("last_4_weeks", "Last 4 weeks"), ("last_6_months", "Last 6 months"), ("all_time", "All time")]
    fig, axes = _figure(width=11, height=4.0, ncols=3)
    for ax, (period, title), colour in zip(axes, periods, PALETTE, strict=False):
        items = _top(_sum_by([r for r in rows if r["period"] == period], label, value), 10)
        _barh(ax, [(_short(k, 24), v) for k, v in items], color=colour)
        ax.set_title(title)
        ax.set_xlabel(value)
    return fig


def top_artists(rows: list[Row]) -> Figure:
    return _ranked_panels(rows, lambda r: r["artist_name"], "plays")


def top_tracks(rows: list[Row]) -> Figure:
    return _ranked_panels(rows, lambda r: r["track_name"], "plays")


def genre_composition(rows: list[Row]) -> Figure:
    totals = _sum_by(rows, lambda r: r["genre"], "plays")
    whole = sum(totals.values()) or 1
    fig, ax = _figure(height=4.2)
    _barh(ax, [(g, v / whole * 100) for g, v in _top(totals, 12)], fmt="{:.0f}%")
    ax.set_xlabel("share of genre-tagged plays (%)")
    return fig


def artist_popularity_followers(rows: list[Row]) -> Figure:
    by_artist: dict[str, Row] = {}
    for r in rows:
        if r["popularity"] is not None and r["followers"]:
            seen = by_artist.setdefault(r["artist_id"], {**r, "plays": 0})
            seen["plays"] += r["plays"]
    points = list(by_artist.values())
    fig, ax = _figure()
    ax.scatter(
        [p["followers"] for p in points],
        [p["popularity"] for p in points],
        s=[14 + 4 * min(p["plays"], 60) for p in points],
        color=PALETTE[1],
        alpha=0.5,
        edgecolors="white",
        linewidths=0.5,
    )
    for p in sorted(points, key=lambda p: -p["plays"])[:6]:
        ax.annotate(
            _short(p["artist_name"], 20),
            (p["followers"], p["popularity"]),
            fontsize=8,
            color=INK,
            xytext=(4, 4),
            textcoords="offset points",
        )
    ax.set_xscale("log")
    ax.set_xlabel("followers (log scale)")
    ax.set_ylabel("popularity (0–100)")
    return fig


def mainstream_share_by_month(rows: list[Row]) -> Figure:
    months = _months(rows)
    mainstream = _sum_by(rows, lambda r: r["month"], "mainstream_plays")
    niche = _sum_by(rows, lambda r: r["month"], "niche_plays")
    rated = _sum_by(rows, lambda r: r["month"], "plays_with_popularity")
    fig, ax = _figure()
    x = range(len(months))
    ax.plot(
        x,
        [mainstream.get(m, 0) / rated[m] if rated.get(m) else None for m in months],
        label="mainstream (≥ 70)",
        color=GREEN,
        linewidth=2.2,
        marker="o",
        markersize=3,
    )
    ax.plot(
        x,
        [niche.get(m, 0) / rated[m] if rated.get(m) else None for m in months],
        label="niche (≤ 30)",
        color=PALETTE[3],
        linewidth=2.2,
        marker="o",
        markersize=3,
    )
    _month_axis(ax, months)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_ylim(0, 1)
    ax.legend(loc="upper left", ncols=2)
    return fig


def popularity_by_month(rows: list[Row]) -> Figure:
    months = _months(rows)
    bands = sorted({(r["band_start"], r["popularity_band"]) for r in rows})
    fig, ax = _figure()
    index = {m: i for i, m in enumerate(months)}
    totals = _sum_by(rows, lambda r: r["month"], "plays")
    bottom = [0.0] * len(months)
    greens = ("#D1FAE5", "#86EFAC", "#4ADE80", "#1DB954", "#15803D")
    for colour, (start, band) in zip(greens, bands, strict=False):
        share = [0.0] * len(months)
        for r in rows:
            if r["band_start"] == start:
                share[index[r["month"]]] += r["plays"] / totals[r["month"]]
        ax.bar(range(len(months)), share, bottom=bottom, label=band, color=colour, width=0.85)
        bottom = [b + s for b, s in zip(bottom, share, strict=True)]
    _month_axis(ax, months)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.legend(title="popularity", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return fig


def new_artists_by_month(rows: list[Row]) -> Figure:
    months = _months(rows)
    new = _sum_by(rows, lambda r: r["month"], "new_artists")
    played = _sum_by(rows, lambda r: r["month"], "artists_played")
    fig, ax = _figure()
    x = range(len(months))
    ax.bar(x, [played[m] for m in months], color=GRID, label="artists played", width=0.8)
    ax.bar(x, [new.get(m, 0) for m in months], color=GREEN, label="of them new", width=0.8)
    _month_axis(ax, months)
    ax.set_ylabel("artists")
    ax.legend(loc="upper right", ncols=2)
    return fig


def release_year_by_month(rows: list[Row]) -> Figure:
    months = _months(rows)
    weighted = _sum_by(
        [{**r, "weighted": r["avg_release_year"] * r["plays_with_release_year"]} for r in rows],
        lambda r: r["month"],
        "weighted",
    )
    counts = _sum_by(rows, lambda r: r["month"], "plays_with_release_year")
    fig, ax = _figure()
    ax.plot(
        range(len(months)),
        [weighted[m] / counts[m] for m in months],
        color=GREEN,
        linewidth=2.2,
        marker="o",
        markersize=3,
    )
    _month_axis(ax, months)
    ax.set_ylabel("average release year")
    ax.yaxis.set_major_locator(MaxNLocator(6, integer=True))
    return fig


def genre_share_by_month(rows: list[Row]) -> Figure:
    months = _months(rows)
    leaders = [g for g, _ in _top(_sum_by(rows, lambda r: r["genre"], "plays"), 7)]
    totals = _sum_by(rows, lambda r: r["month"], "plays")
    fig, ax = _figure()
    series = []
    for genre in [*leaders, "other"]:
        per_month = _sum_by(
            [
                r
                for r in rows
                if (r["genre"] in leaders) == (genre != "other") and (genre == "other" or r["genre"] == genre)
            ],
            lambda r: r["month"],
            "plays",
        )
        series.append([per_month.get(m, 0) / totals[m] for m in months])
    ax.stackplot(range(len(months)), series, labels=[*leaders, "other"], colors=PALETTE, alpha=0.9)
    _month_axis(ax, months)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_ylim(0, 1)
    ax.set_xlim(0, max(len(months) - 1, 1))
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return fig


def daily_minutes(rows: list[Row]) -> Figure:
    minutes = _sum_by(rows, lambda r: r["local_date"], "minutes")
    days = sorted(minutes)
    if len({r["listener_id"] for r in rows}) == 1:
        rolling = {r["local_date"]: r["minutes_7d_avg"] for r in rows}
    else:
        # The view's average is per listener and has rows only for days that listener played: summing those
        # would dip on every day someone paused, so average the all-listener totals over calendar days instead.
        rolling = {d: sum(minutes.get(d - timedelta(days=k), 0.0) for k in range(7)) / 7 for d in days}
    fig, ax = _figure()
    ax.bar(days, [minutes[d] for d in days], color="#BBF7D0", width=1.0, label="minutes that day")
    ax.plot(days, [rolling[d] for d in days], color="#15803D", linewidth=2, label="7-day average")
    ax.set_ylabel("minutes")
    ax.legend(loc="upper left", ncols=2)
    fig.autofmt_xdate()
    return fig


def listening_heatmap(rows: list[Row]) -> Figure:
    grid = [[0.0] * 24 for _ in range(7)]
    for r in rows:
        grid[r["weekday"] - 1][r["hour"]] += r["minutes"] or 0
    fig, ax = _figure(height=3.2)
    image = ax.imshow(grid, aspect="auto", cmap="Greens", interpolation="nearest")
    ax.set_yticks(range(7), ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"])
    ax.set_xticks(range(0, 24, 2), [f"{h:02d}" for h in range(0, 24, 2)])
    ax.set_xlabel("hour of day")
    ax.grid(visible=False)
    fig.colorbar(image, ax=ax, label="minutes", shrink=0.85)
    return fig


def listening_sessions(rows: list[Row]) -> Figure:
    edges = [0, 5, 15, 30, 60, 120, 240, float("inf")]
    labels = ["< 5", "5–15", "15–30", "30–60", "1–2 h", "2–4 h", "> 4 h"]
    counts = [0] * len(labels)
    for r in rows:
        for i in range(len(labels)):
            if edges[i] <= (r["session_minutes"] or 0) < edges[i + 1]:
                counts[i] += 1
                break
    fig, ax = _figure()
    bars = ax.bar(labels, counts, color=GREEN, width=0.75)
    ax.bar_label(bars, fmt="{:,.0f}", padding=2, fontsize=8, color=MUTED)
    ax.set_xlabel("session length (minutes)")
    ax.set_ylabel("sessions")
    ax.grid(axis="x", visible=False)
    return fig


def listening_streaks(rows: list[Row]) -> Figure:
    best = sorted(rows, key=lambda r: (-r["days"], str(r["streak_start"])))[:10]
    items = [(f"{r['streak_start']:%d %b %Y} – {r['streak_end']:%d %b}", r["days"]) for r in best]
    fig, ax = _figure(height=3.8)
    _barh(ax, items)
    ax.set_xlabel("consecutive days with music")
    return fig


def skip_stats_by_month(rows: list[Row]) -> Figure:
    months = _months(rows)
    known = _sum_by(rows, lambda r: r["month"], "plays_with_skip_info")
    skips = _sum_by(rows, lambda r: r["month"], "skips")
    seconds = _sum_by(
        [{**r, "seconds": (r["avg_seconds_before_skip"] or 0) * r["skips"]} for r in rows],
        lambda r: r["month"],
        "seconds",
    )
    fig, ax = _figure()
    x = range(len(months))
    ax.bar(x, [skips.get(m, 0) / known[m] for m in months], color=PALETTE[4], alpha=0.8, width=0.8, label="skip rate")
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_ylabel("skip rate")
    _line_on_right_axis(
        ax, x, [seconds[m] / skips[m] if skips.get(m) else None for m in months], "seconds before a skip", months
    )
    return fig


def _line_on_right_axis(ax, x, values: list, label: str, months: list[date]) -> None:
    """A line on a second y-axis at the right, month labels below, one legend for both axes."""
    right = ax.twinx()
    right.plot(x, values, color=INK, linewidth=2, marker="o", markersize=3, label=label)
    right.set_ylabel(label)
    right.set_ylim(bottom=0)
    right.grid(visible=False)
    right.spines["right"].set_visible(True)
    _month_axis(ax, months)
    handles = ax.get_legend_handles_labels()[0] + right.get_legend_handles_labels()[0]
    ax.legend(handles=handles, loc="upper left", ncols=2)


def plays_by_country_platform(rows: list[Row]) -> Figure:
    countries = [c for c, _ in _top(_sum_by(rows, lambda r: r["country"], "plays"), 10)][::-1]
    platforms = [p for p, _ in _top(_sum_by(rows, lambda r: r["platform_family"], "plays"), 9)]
    fig, ax = _figure(height=3.8)
    left = [0.0] * len(countries)
    for colour, platform in zip(PALETTE, platforms, strict=False):
        values = [
            sum(r["plays"] for r in rows if r["country"] == c and r["platform_family"] == platform) for c in countries
        ]
        ax.barh(countries, values, left=left, color=colour, label=platform, height=0.7)
        left = [a + b for a, b in zip(left, values, strict=True)]
    ax.set_xlabel("plays")
    _thousands(ax, "x")
    ax.grid(axis="y", visible=False)
    ax.legend(loc="lower right")
    return fig


def monthly_active_listeners(rows: list[Row]) -> Figure:
    rows = sorted(rows, key=lambda r: r["month"])
    months = [r["month"] for r in rows]
    fig, ax = _figure()
    x = range(len(months))
    ax.bar(x, [r["active_listeners"] for r in rows], color=GREEN, width=0.8, label="active listeners")
    ax.set_ylabel("active listeners")
    ax.yaxis.set_major_locator(MaxNLocator(5, integer=True))
    _line_on_right_axis(ax, x, [r["streams_per_listener"] for r in rows], "streams per listener", months)
    return fig


def streams_per_listener(rows: list[Row]) -> Figure:
    months = _months(rows)
    leaders = [ln for ln, _ in _top(_sum_by(rows, lambda r: r["listener_id"], "streams"), 8)]
    fig, ax = _figure()
    for colour, listener in zip(PALETTE, leaders, strict=False):
        per_month = {r["month"]: r["streams"] for r in rows if r["listener_id"] == listener}
        ax.plot(
            range(len(months)),
            [per_month.get(m, 0) for m in months],
            color=colour,
            linewidth=2,
            label=f"listener {listener[:6]}…",
        )
    _month_axis(ax, months)
    ax.set_ylabel("streams (≥ 30 s)")
    ax.legend(loc="upper left", ncols=2)
    return fig


def engagement_by_country_hour(rows: list[Row]) -> Figure:
    countries = [c for c, _ in _top(_sum_by(rows, lambda r: r["country"], "plays"), 8)]
    grid = [[0.0] * 24 for _ in countries]
    for r in rows:
        if r["country"] in countries:
            grid[countries.index(r["country"])][r["hour"]] = r["plays_per_listener"]
    fig, ax = _figure(height=max(2.4, 0.45 * len(countries) + 1.2))
    image = ax.imshow(grid, aspect="auto", cmap="Blues", interpolation="nearest")
    ax.set_yticks(range(len(countries)), countries)
    ax.set_xticks(range(0, 24, 2), [f"{h:02d}" for h in range(0, 24, 2)])
    ax.set_xlabel("hour of day")
    ax.grid(visible=False)
    fig.colorbar(image, ax=ax, label="plays per listener", shrink=0.85)
    return fig


def listener_churn(rows: list[Row]) -> Figure:
    rows = sorted(rows, key=lambda r: r["month"])
    months = [r["month"] for r in rows]
    fig, ax = _figure()
    x = list(range(len(months)))
    width = 0.27
    for offset, (column, label, colour) in zip(
        (-width, 0, width),
        [
            ("new_listeners", "new", GREEN),
            ("returning_listeners", "returning", PALETTE[1]),
            ("churned_listeners", "churned", PALETTE[4]),
        ],
        strict=True,
    ):
        ax.bar([i + offset for i in x], [r[column] for r in rows], width=width, color=colour, label=label)
    ax.plot(
        x, [r["active_listeners"] for r in rows], color=INK, linewidth=1.8, marker="o", markersize=3, label="active"
    )
    _month_axis(ax, months)
    ax.set_ylabel("listeners")
    ax.yaxis.set_major_locator(MaxNLocator(5, integer=True))
    ax.legend(loc="upper left", ncols=4)
    return fig


def shared_favourites(rows: list[Row]) -> Figure:
    pairs: dict[str, float] = defaultdict(float)
    for r in rows:
        if r["listener_id"] < r["other_listener_id"]:
            pairs[f"{r['listener_id'][:6]}… & {r['other_listener_id'][:6]}…"] += 1
    fig, ax = _figure(height=3.4)
    _barh(ax, _top(pairs, 10), color=PALETTE[3])
    ax.set_xlabel("artists both have in their top 20")
    return fig


def table_record_counts(rows: list[Row]) -> Figure:
    fig, ax = _figure(height=3.8)
    _barh(ax, sorted(((r["table_name"], r["records"]) for r in rows), key=lambda kv: -kv[1]), color=PALETTE[8])
    ax.set_xscale("symlog")
    ax.set_xlabel("records (log scale)")
    return fig


def genre_hit_scores(rows: list[Row]) -> Figure:
    fig, ax = _figure(height=3.6)
    items = [(r["genre"], r["hit_score"]) for r in rows if r["hit_score"] is not None]
    _barh(ax, sorted(items, key=lambda kv: -kv[1])[:15], color=PALETTE[2], fmt="{:.0f}")
    ax.set_xlim(0, 100)
    ax.set_xlabel("hit score: average popularity of the genre's top search results")
    return fig


def playlist_top_artists(rows: list[Row]) -> Figure:
    fig, ax = _figure(height=3.0)
    _barh(ax, _top(_sum_by(rows, lambda r: r["artist_name"], "songs"), 5), color=PALETTE[1])
    ax.set_xlabel("songs in your playlists")
    return fig


def artist_metrics(rows: list[Row]) -> Figure:
    points = [r for r in rows if r["avg_track_popularity"] is not None]
    fig, ax = _figure()
    ax.scatter(
        [r["track_appearances"] for r in points],
        [r["avg_track_popularity"] for r in points],
        s=[14 + min(r["album_total_tracks"] or 0, 60) * 2 for r in points],
        color=PALETTE[2],
        alpha=0.5,
        edgecolors="white",
        linewidths=0.5,
    )
    for r in sorted(points, key=lambda r: -r["track_appearances"])[:6]:
        ax.annotate(
            _short(r["artist_name"], 20),
            (r["track_appearances"], r["avg_track_popularity"]),
            fontsize=8,
            xytext=(4, 4),
            textcoords="offset points",
            color=INK,
        )
    ax.set_xlabel("tracks crediting the artist in the catalogue")
    ax.set_ylabel("average track popularity")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    return fig


def release_recency_popularity(rows: list[Row]) -> Figure:
    order = {"last quarter": 0, "older": 1}
    rows = sorted(rows, key=lambda r: order.get(r["release_period"], 2))
    fig, ax = _figure(width=6, height=3.0)
    labels = [f"{r['release_period']}\n({r['albums']:,} albums, {r['tracks']:,} tracks)" for r in rows]
    values = [r["avg_track_popularity"] or 0 for r in rows]
    bars = ax.bar(labels, values, color=[GREEN, PALETTE[8]][: len(rows)], width=0.55)
    ax.bar_label(bars, fmt="{:.0f}", padding=2, fontsize=9, color=INK)
    ax.set_ylim(0, 100)
    ax.set_ylabel("average track popularity")
    ax.grid(axis="x", visible=False)
    return fig


def current_top_tracks(rows: list[Row]) -> Figure:
    ranges = [("short_term", "Last ~4 weeks"), ("medium_term", "Last ~6 months"), ("long_term", "Several years")]
    fig, axes = _figure(width=11, height=3.6, ncols=3)
    for ax, (key, title) in zip(axes, ranges, strict=True):
        ax.axis("off")
        ax.set_title(title)
        listed = sorted((r for r in rows if r["time_range"] == key), key=lambda r: (r["rank"], r["listener_id"]))[:10]
        for i, r in enumerate(listed):
            y = 0.95 - i * 0.095
            ax.text(0.0, y, f"{r['rank']:>2}", fontsize=9, color=GREEN, fontweight="bold", transform=ax.transAxes)
            ax.text(0.08, y, _short(r["track_name"], 30), fontsize=9, color=INK, transform=ax.transAxes)
            ax.text(0.08, y - 0.04, _short(r["artist_name"], 36), fontsize=7.5, color=MUTED, transform=ax.transAxes)
        if not listed:
            ax.text(0.0, 0.9, "no snapshot for this range", fontsize=9, color=MUTED, transform=ax.transAxes)
    return fig


def hit_score_distribution(rows: list[Row]) -> Figure:
    totals = _sum_by(rows, lambda r: (r["band_start"], r["popularity_band"]), "tracks")
    keys = sorted(totals)
    fig, ax = _figure()
    bars = ax.bar([k[1] for k in keys], [totals[k] for k in keys], color=PALETTE[2], width=0.8)
    ax.bar_label(bars, fmt="{:,.0f}", padding=2, fontsize=8, color=MUTED)
    ax.set_xlabel("popularity band")
    ax.set_ylabel("catalogue tracks")
    ax.grid(axis="x", visible=False)
    return fig


def exclusion_label(excluded_by: str, value: str | None) -> str:
    """How the report names one reason a play was left out: "private sessions" or "artist: Name"."""
    if excluded_by == "private_session":
        return "private sessions"
    return f"{excluded_by.replace('_', ' ')}: {value}"


def excluded_plays(rows: list[Row]) -> Figure:
    def why(r: Row) -> str:
        return exclusion_label(r["excluded_by"], r["excluded_value"])

    fig, ax = _figure(height=3.2)
    _barh(ax, _top(_sum_by([{**r, "one": 1} for r in rows], why, "one"), 10), color=PALETTE[8])
    ax.set_xlabel("plays left out of the analyses")
    return fig


CONTENT_COLOURS = {"music": GREEN, "podcast": PALETTE[1], "audiobook": PALETTE[3], "other": PALETTE[8]}


def minutes_by_content_type(rows: list[Row]) -> Figure:
    months = _months(rows)
    index = {m: i for i, m in enumerate(months)}
    fig, ax = _figure()
    bottom = [0.0] * len(months)
    for content, colour in CONTENT_COLOURS.items():
        hours = [0.0] * len(months)
        for r in rows:
            if r["content"] == content and r["minutes"] is not None:
                hours[index[r["month"]]] += r["minutes"] / 60
        if any(hours):
            ax.bar(range(len(months)), hours, bottom=bottom, label=content, color=colour, width=0.8)
            bottom = [b + h for b, h in zip(bottom, hours, strict=True)]
    _month_axis(ax, months)
    ax.set_ylabel("hours")
    _thousands(ax)
    ax.set_ylim(0, max(bottom, default=0) * 1.2 or 1)  # room for the legend above the tallest bar
    ax.legend(loc="upper left", ncols=4)
    return fig


def top_shows(rows: list[Row]) -> Figure:
    one_listener = len({r["listener_id"] for r in rows}) == 1

    def label(r: Row) -> str:
        return f"{r['show_name']} ({r['episodes']} ep.)" if one_listener else r["show_name"]

    fig, ax = _figure(height=3.8)
    _barh(ax, [(k, v / 60) for k, v in _top(_sum_by(rows, label, "minutes"), 10)], color=PALETTE[1], fmt="{:,.1f}")
    ax.set_xlabel("hours listened")
    return fig


def top_episodes(rows: list[Row]) -> Figure:
    label = lambda r: f"{_short(r['episode_name'], 30)} · {_short(r['show_name'], 20)}"  # noqa: E731
    fig, ax = _figure(height=4.2)
    _barh(ax, _top(_sum_by(rows, label, "minutes"), 12), color=PALETTE[1], fmt="{:,.0f}")
    ax.set_xlabel("minutes listened")
    return fig


def episode_completion(rows: list[Row]) -> Figure:
    shows = [s for s, _ in _top(_sum_by([{**r, "one": 1} for r in rows], lambda r: r["show_name"], "one"), 8)][::-1]
    outcomes = (
        (True, "finished", GREEN),
        (False, "not finished", PALETTE[2]),
        (None, "unknown (account data)", GRID),
    )
    fig, ax = _figure(height=3.8)
    left = [0.0] * len(shows)
    labels = [_short(s, 30) for s in shows]
    for value, label, colour in outcomes:
        counts = [sum(1 for r in rows if r["show_name"] == s and r["finished"] is value) for s in shows]
        if any(counts):
            ax.barh(labels, counts, left=left, color=colour, label=label, height=0.7)
            left = [a + b for a, b in zip(left, counts, strict=True)]
    ax.set_xlabel("episodes started")
    ax.xaxis.set_major_locator(MaxNLocator(6, integer=True))
    ax.grid(axis="y", visible=False)
    ax.legend(loc="lower right")
    return fig


def _chapters(r: Row) -> str:
    finished = r["chapters_finished"]
    return f"{r['chapters_heard']} ch. heard" + (f", {finished} finished" if finished is not None else "")


def audiobook_progress(rows: list[Row]) -> Figure:
    books = sorted(rows, key=lambda r: (-(r["minutes"] or 0), str(r["audiobook_title"])))[:10][::-1]
    fig, ax = _figure(height=3.4)
    labels = [_short(r["audiobook_title"], 30) for r in books]
    bars = ax.barh(labels, [(r["minutes"] or 0) / 60 for r in books], color=PALETTE[3], height=0.7)
    ax.bar_label(bars, labels=[_chapters(r) for r in books], padding=3, fontsize=8, color=MUTED)
    ax.margins(x=0.35)
    ax.grid(axis="y", visible=False)
    ax.set_xlabel("hours listened")
    return fig


# ---------------------------------------------------------------------------------------------- the catalogue

POPULARITY = ("tracks", "popularity", "track popularity")
ARTIST_POPULARITY = ("artists", "popularity", "artist popularity")
FOLLOWERS = ("artists", "followers", "artist followers")
GENRES = ("artists", "genres", "artist genres")
EXPORT_ONLY = (
    "no play in the lake records skips: only the extended streaming history (and the older endsong files) "
    "does; account data and the API do not (request the extended history at spotify.com/account/privacy "
    "and `import` it)"
)

SPOKEN_WORD = (
    "the lake holds no podcast plays: Spotify's recently-played list has none, only privacy exports record them "
    "(request yours at spotify.com/account/privacy and `import` it)"
)

CHARTS: tuple[Chart, ...] = (
    Chart(
        "play_events",
        "The lake",
        "Plays per month, by source",
        "Every curated play, stacked by where it came from: API polling and the privacy-export kinds. "
        "Months are in the report's time zone.",
        plays_by_source,
    ),
    Chart(
        "excluded_plays",
        "The lake",
        "Plays left out of the analyses",
        "Plays no chart counts, by why: private sessions (left out by default, as Wrapped does) and the rows of "
        "your exclusions file (`spotify-lake exclude`). The plays table keeps them; the CSV lists each play.",
        excluded_plays,
        empty_reason="no play is left out: no private-session plays, and no exclusion matches a play",
    ),
    Chart(
        "table_record_counts",
        "The lake",
        "Records per table",
        "How many rows each curated table holds (log scale). Empty tables explain the notes further down.",
        table_record_counts,
        tables=(),
    ),
    Chart(
        "albums_on_repeat",
        "Track preferences",
        "Albums on repeat",
        "The 12 most played albums. Longer bars mean more plays; the CSV adds minutes and how many of the "
        "album's tracks were played.",
        albums_on_repeat,
    ),
    Chart(
        "plays_by_release_year",
        "Track preferences",
        "Favourite tracks by release year",
        "Plays by the year the track's album came out: a peak far left means a taste for older music.",
        plays_by_release_year,
        tables=("plays", "albums"),
    ),
    Chart(
        "track_duration_popularity",
        "Track preferences",
        "Track length vs popularity",
        "Each dot is a track you played; bigger dots were played more. High dots are hits, far-right dots are long.",
        track_duration_popularity,
        tables=("plays", "tracks"),
        fields=(POPULARITY,),
    ),
    Chart(
        "top_artists",
        "Music identity",
        "Top artists",
        "Your 10 most played artists in the last 4 weeks, 6 months and all time, counted back from your latest "
        "play. The CSV also ranks by minutes.",
        top_artists,
    ),
    Chart(
        "top_tracks",
        "Music identity",
        "Top tracks",
        "Your 10 most played tracks per period, counted back from your latest play.",
        top_tracks,
    ),
    Chart(
        "genre_composition",
        "Music identity",
        "Genre composition",
        "Share of your genre-tagged plays per genre (a play counts for every genre of its artist, so shares can "
        "add up to more than 100%).",
        genre_composition,
        tables=("plays", "artists"),
        fields=(GENRES,),
    ),
    Chart(
        "artist_popularity_followers",
        "Music identity",
        "Artist popularity vs followers",
        "Each dot is an artist you played; right is more followers, up is more popular, bigger is more of your "
        "plays. Dots above the crowd are popular for their size.",
        artist_popularity_followers,
        tables=("plays", "artists"),
        fields=(ARTIST_POPULARITY, FOLLOWERS),
    ),
    Chart(
        "mainstream_share_by_month",
        "Taste shifts",
        "Mainstream vs niche, per month",
        "Share of each month's plays with track popularity of 70 or more (mainstream) and 30 or less (niche).",
        mainstream_share_by_month,
        tables=("plays", "tracks"),
        fields=(POPULARITY,),
    ),
    Chart(
        "popularity_by_month",
        "Taste shifts",
        "Popularity distribution, per month",
        "Each bar splits a month's plays by track popularity band; more dark green means more hits.",
        popularity_by_month,
        tables=("plays", "tracks"),
        fields=(POPULARITY,),
    ),
    Chart(
        "new_artists_by_month",
        "Taste shifts",
        "New-artist discovery",
        "Grey: artists played that month; green: of them, artists you had never played before.",
        new_artists_by_month,
    ),
    Chart(
        "release_year_by_month",
        "Taste shifts",
        "Average release year, per month",
        "The average release year of what you played each month: a rising line means newer music.",
        release_year_by_month,
        tables=("plays", "albums"),
    ),
    Chart(
        "genre_share_by_month",
        "Taste shifts",
        "Genre share over time",
        "Each month's genre-tagged plays split by your 7 main genres; a growing band is a genre taking over.",
        genre_share_by_month,
        tables=("plays", "artists"),
        fields=(GENRES,),
    ),
    Chart(
        "daily_minutes",
        "Listening behaviour",
        "Minutes per day",
        "Light bars: minutes listened each day; line: the 7-day rolling average (days without music count as 0).",
        daily_minutes,
    ),
    Chart(
        "listening_heatmap",
        "Listening behaviour",
        "When you listen",
        "Minutes by weekday and hour of day, in the report's time zone; darker cells are your listening habits.",
        listening_heatmap,
    ),
    Chart(
        "listening_sessions",
        "Listening behaviour",
        "Listening sessions",
        "Sessions by length. A new session starts after more than 10 minutes between the end of one play and "
        "the start of the next.",
        listening_sessions,
    ),
    Chart(
        "listening_streaks",
        "Listening behaviour",
        "Listening streaks",
        "Your 10 longest runs of consecutive days with at least one play.",
        listening_streaks,
    ),
    Chart(
        "skip_stats_by_month",
        "Listening behaviour",
        "Skips",
        "Bars: share of plays you skipped each month; line: average seconds played before a skip. From the "
        "extended streaming history only (account data and the API report no skips).",
        skip_stats_by_month,
        empty_reason=EXPORT_ONLY,
    ),
    Chart(
        "plays_by_country_platform",
        "Listening behaviour",
        "Plays by country and platform",
        "Plays per connection country, split by device family. API plays record neither platform nor "
        'connection country (they show the account country and "not recorded").',
        plays_by_country_platform,
    ),
    Chart(
        "minutes_by_content_type",
        "Podcasts and audiobooks",
        "Music, podcasts and audiobooks",
        "Hours per month by kind of content. Podcast and audiobook plays come from privacy exports only "
        "(Spotify's recently-played list has no podcasts).",
        minutes_by_content_type,
    ),
    Chart(
        "top_shows",
        "Podcasts and audiobooks",
        "Top podcast shows",
        "Your 10 most listened shows by hours, all time, with how many of their episodes you played.",
        top_shows,
        empty_reason=SPOKEN_WORD,
    ),
    Chart(
        "top_episodes",
        "Podcasts and audiobooks",
        "Top episodes",
        "Your 12 most listened episodes by minutes; an episode heard in several sittings adds them up.",
        top_episodes,
        empty_reason=SPOKEN_WORD,
    ),
    Chart(
        "episode_completion",
        "Podcasts and audiobooks",
        "Episodes finished",
        "Per show, the episodes you started split by whether a play reached the episode's end (the export's "
        "reason_end). Spotify's exports do not give an episode's length, so there is no percentage; account data "
        "does not say how a play ended (unknown).",
        episode_completion,
        empty_reason=SPOKEN_WORD,
    ),
    Chart(
        "audiobook_progress",
        "Podcasts and audiobooks",
        "Audiobook progress",
        "Hours per audiobook and the chapters heard and finished. The lake does not know how many chapters a book "
        "has, so progress is counted in chapters, not as a percentage.",
        audiobook_progress,
        empty_reason="the lake holds no audiobook plays (only privacy exports record them)",
    ),
    Chart(
        "monthly_active_listeners",
        "Listeners and KPIs",
        "Monthly active listeners",
        "Bars: listeners with at least one play that month; line: streams (plays of 30 s or more) per active "
        "listener. Across all listeners.",
        monthly_active_listeners,
        cross_listener=True,
    ),
    Chart(
        "streams_per_listener",
        "Listeners and KPIs",
        "Streams per listener",
        "Streams per month for each listener (up to 8 shown): who listens how much, and when.",
        streams_per_listener,
    ),
    Chart(
        "engagement_by_country_hour",
        "Listeners and KPIs",
        "Engagement by country and hour",
        "Plays per listener by connection country and local hour, across all listeners; darker is more.",
        engagement_by_country_hour,
        cross_listener=True,
    ),
    Chart(
        "listener_churn",
        "Listeners and KPIs",
        "Listener churn",
        "Per month: new listeners, listeners returning after a pause, listeners who stopped (played the month "
        "before, not this one), and the line of active listeners.",
        listener_churn,
        cross_listener=True,
    ),
    Chart(
        "shared_favourites",
        "Listeners and KPIs",
        "Shared favourites",
        "How many artists each pair of listeners both have in their all-time top 20; the CSV names them.",
        shared_favourites,
        cross_listener=True,
        empty_reason="no two listeners share an artist in their top 20 (it needs at least two listeners)",
    ),
    Chart(
        "genre_hit_scores",
        "Catalogue",
        "Hit score by genre",
        "For each genre search (genre:…), the average popularity of the tracks it returned: the genre's hit score.",
        genre_hit_scores,
        tables=("search_results", "tracks"),
        fields=(POPULARITY,),
        empty_reason="no genre search (such as genre:pop) has returned tracks yet",
    ),
    Chart(
        "playlist_top_artists",
        "Catalogue",
        "Top artists in your playlists",
        "The five artists with the most songs across your own playlists (latest version of each).",
        playlist_top_artists,
        tables=("playlist_items", "tracks"),
    ),
    Chart(
        "artist_metrics",
        "Catalogue",
        "Artist metrics",
        "Each dot is a catalogue artist: right is more tracks crediting them, up is higher average track "
        "popularity, bigger means their albums hold more tracks.",
        artist_metrics,
        tables=("artists", "tracks"),
        fields=(POPULARITY,),
    ),
    Chart(
        "release_recency_popularity",
        "Catalogue",
        "Recent vs older releases",
        "Average track popularity of albums released in the last quarter (before the catalogue's last refresh) "
        "against older ones.",
        release_recency_popularity,
        tables=("albums", "tracks"),
        fields=(POPULARITY,),
    ),
    Chart(
        "current_top_tracks",
        "Catalogue",
        "Current top tracks",
        "Spotify's own ranking of your top tracks for each time range, from the latest snapshot.",
        current_top_tracks,
        tables=("top_items",),
        empty_reason="the top-items snapshots hold no tracks yet",
    ),
    Chart(
        "hit_score_distribution",
        "Catalogue",
        "Hit score distribution",
        "How many catalogue tracks fall in each popularity band: most music is not a hit.",
        hit_score_distribution,
        tables=("tracks",),
        fields=(POPULARITY,),
    ),
)

CHARTS_BY_VIEW = {c.view: c for c in CHARTS}
SECTIONS = tuple(dict.fromkeys(c.section for c in CHARTS))
