"""Build the report: views in DuckDB over the lake, a CSV per view, a chart per view (SVG inline, PNG beside),
and one self-contained ``index.html``."""

from __future__ import annotations

import io
import logging
import re
from pathlib import Path
from typing import Any

import duckdb

from curation.schema import TABLES, table
from spotify_lake.errors import UserError
from spotify_lake.report import cards, charts, page
from spotify_lake.report.explore import EMPTY_JSON, Explore, build_explore, create_report_views
from spotify_lake.report.lake import ViewStatus, connect, create_views
from spotify_lake.report.runs import read_runs
from spotify_lake.report.sqlfiles import check_time_zone, view_files
from spotify_lake.report.summary import LakeFacts, ReportSummary, ViewReport

logger = logging.getLogger(__name__)

#: Why a curated table can be empty, for the "not available because …" notes.
EMPTY_TABLE_REASONS = {
    "plays": "no plays have been extracted or imported and curated yet",
    "tracks": "no track details have been extracted yet",
    "albums": "no album details have been extracted yet",
    "artists": "no artist details have been extracted yet",
    "top_items": "no top-items snapshot has been extracted yet",
    "playlists": "the listener has no playlists of their own (Spotify lists only playlists the user owns or "
    "collaborates on)",
    "playlist_items": "the listener's own playlists hold no items, or none were extracted yet (Spotify lists "
    "items only of playlists the user owns or collaborates on)",
    "search_results": "no catalogue searches (such as genre:pop) are configured or none has run yet",
}
_LISTENER = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
#: Largest inline SVG kept all-vector (bytes); a bigger chart gets its data layer rasterized.
SVG_BUDGET = 250_000
_SVG_START = re.compile(r"<svg\b")
_SVG_NAMESPACES = re.compile(r'\s+xmlns(:xlink)?="[^"]*"')
_SVG_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.DOTALL)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _plays_excluded(con: duckdb.DuckDBPyConnection, where: str) -> dict[str, int]:
    counts = con.execute(
        f"SELECT excluded_by, excluded_value, count(*) FROM excluded_plays {where} "  # noqa: S608
        "GROUP BY excluded_by, excluded_value ORDER BY excluded_by <> 'private_session', 3 DESC, 1, 2"
    ).fetchall()
    return {charts.exclusion_label(by, value): n for by, value, n in counts}


def _lake_facts(
    con: duckdb.DuckDBPyConnection, listener: str | None, *, plays_ok: bool, exclusions_ok: bool = True
) -> LakeFacts:
    table_rows = {t.name: con.execute(f"SELECT count(*) FROM {t.name}").fetchone()[0] for t in TABLES}  # noqa: S608
    if not plays_ok:
        return LakeFacts(0, 0, None, None, {}, table_rows["quarantine"], table_rows)
    where = f"WHERE listener_id = {_quote(listener)}" if listener else ""
    plays, listeners, first, last = con.execute(
        f"SELECT count(*), count(DISTINCT listener_id), min(played_at_local), max(played_at_local) "  # noqa: S608
        f"FROM play_events {where}"
    ).fetchone()
    by_source = dict(
        con.execute(f"SELECT source, count(*) FROM plays {where} GROUP BY source ORDER BY source").fetchall()  # noqa: S608
    )
    excluded = _plays_excluded(con, where) if exclusions_ok else {}
    tracks_where = f"{where} AND" if where else "WHERE"
    track_plays, year_known = con.execute(
        f"SELECT count(*), count(album_release_year) FROM play_events {tracks_where} content_type = 'track'"  # noqa: S608
    ).fetchone()
    return LakeFacts(
        plays,
        listeners,
        first,
        last,
        by_source,
        table_rows["quarantine"],
        table_rows,
        excluded,
        track_plays=track_plays,
        release_year_known=year_known,
    )


def _field_missing(con: duckdb.DuckDBPyConnection, table_name: str, column: str) -> bool:
    """True when no row of ``table_name`` has a value for ``column`` (an empty list counts as no value)."""
    kind = table(table_name).column(column).type
    value = f"CASE WHEN len({column}) > 0 THEN 1 END" if kind.startswith("array") else column
    return con.execute(f"SELECT count({value}) FROM {table_name}").fetchone()[0] == 0  # noqa: S608


def _note(
    chart: charts.Chart,
    status: ViewStatus,
    rows: int,
    facts: LakeFacts,
    con: duckdb.DuckDBPyConnection,
    listener: str | None,
) -> str | None:
    if not status.ok:
        return f"not available because the view failed on this lake: {status.error}"
    for name in chart.tables:
        if facts.table_rows[name] == 0:
            return f"not available because the {name} table is empty: {EMPTY_TABLE_REASONS.get(name, 'no rows yet')}"
    for table_name, column, field in chart.fields:
        if _field_missing(con, table_name, column):
            return (
                f"not available because Spotify no longer returns {field} to development-mode apps; "
                "an extended-quota app (or `demo --mode extended`) fills it"
            )
    if rows == 0:
        suffix = f" (for listener {listener})" if listener and not chart.cross_listener else ""
        return f"not available because {chart.empty_reason}{suffix}"
    return None


def _svg(fig: Any, title: str) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    text = buffer.getvalue()
    text = text[_SVG_START.search(text).start() :]  # drop the XML prolog and DOCTYPE (they name remote DTDs)
    text = _SVG_METADATA.sub("", text)
    text = _SVG_NAMESPACES.sub("", text, count=2)  # inline SVG in HTML needs no namespace declarations
    return text.replace("<svg", f'<svg role="img" aria-label="{page.escape(title)}"', 1)


def _render(chart: charts.Chart, rows: list[dict[str, Any]], png: Path) -> str:
    import matplotlib.pyplot as plt

    # A salt per view keeps the SVG ids of different charts apart and every output byte-for-byte repeatable.
    with plt.rc_context({**charts.STYLE, "svg.hashsalt": f"spotify-lake-{chart.view}"}):
        fig = chart.draw(rows)
        try:
            fig.savefig(png, format="png", dpi=144, metadata={"Software": None})
            svg = _svg(fig, chart.title)
            if len(svg) > SVG_BUDGET:
                # Thousands of markers or bars (a decade of days, every track) as vector paths make the page
                # tens of MB and slow to open: draw the data layer as an embedded image, keep axes and text.
                for ax in fig.axes:
                    for artist in (*ax.collections, *ax.patches, *ax.lines):
                        artist.set_rasterized(True)
                svg = _svg(fig, chart.title)
            return svg
        finally:
            plt.close(fig)


def build_report(
    lake: Path,
    out: Path,
    *,
    time_zone: str = "UTC",
    mode: str | None = None,
    listener: str | None = None,
) -> ReportSummary:
    """Create the views over ``lake`` in DuckDB and write ``out/index.html``, ``out/csv/<view>.csv`` for every view
    and ``out/png/<view>.png`` for every chart drawn.

    ``mode`` ("development"/"extended") labels the page; by default it is read from the latest extraction run.
    ``listener`` restricts the listener-scoped views to one ``listener_id``.
    """
    check_time_zone(time_zone)
    lake, out = Path(lake), Path(out)
    if not lake.is_dir():
        raise UserError(f"lake folder {lake} does not exist")
    if listener is not None and not _LISTENER.match(listener):
        raise UserError(f"listener id {listener!r} is not a listener id (letters, digits, - and _)")
    (out / "csv").mkdir(parents=True, exist_ok=True)
    (out / "png").mkdir(parents=True, exist_ok=True)

    con = connect(lake)
    try:
        statuses = {s.name: s for s in create_views(con, time_zone)}
        if listener is not None and statuses["play_events"].ok:
            known = [r[0] for r in con.execute("SELECT DISTINCT listener_id FROM plays ORDER BY 1").fetchall()]
            if listener not in known:
                raise UserError(f"listener {listener} has no plays in this lake; known: {', '.join(known) or 'none'}")
        facts = _lake_facts(
            con, listener, plays_ok=statuses["play_events"].ok, exclusions_ok=statuses["excluded_plays"].ok
        )
        runs = read_runs(lake)
        mode = mode or runs.mode
        reports = [_view_report(con, view.name, statuses[view.name], facts, out, listener) for view in view_files()]
        explore = _explore(con, out, listener) if statuses["play_events"].ok else None
    finally:
        con.close()

    summary = ReportSummary(
        out=out,
        index=out / "index.html",
        views=tuple(reports),
        facts=facts,
        runs=runs,
        time_zone=time_zone,
        mode=mode,
        listener=listener,
    )
    html = page.render(summary, explore.json() if explore else EMPTY_JSON)
    summary.index.write_text(html, encoding="utf-8")
    logger.info("report written to %s: %d charts, %d notes", summary.index, summary.charted, summary.not_available)
    return summary


def _explore(con: duckdb.DuckDBPyConnection, out: Path, listener: str | None) -> Explore:
    """The page's embedded aggregates, the year reviews as CSV, and a PNG card per year (and listener)."""
    create_report_views(con)
    explore = build_explore(con, listener)
    for name in ("year_review", "year_review_top"):
        where = f"WHERE scope = {_quote(listener)}" if listener else ""
        query = f"SELECT * FROM {name} {where} ORDER BY ALL"  # noqa: S608 - fixed names, quoted id
        con.execute(f"COPY ({query}) TO {_quote(str(out / 'csv' / f'{name}.csv'))} (FORMAT csv, HEADER)")
    several = len(explore.data["listeners"]) > 1
    for old in (out / "years").glob("year-*.png"):
        old.unlink()  # a card of a year or listener no longer in the lake must not stay beside the page
    for review in explore.reviews:
        scope = review["scope"]
        review["card"] = cards.card_name(review["year"], scope)
        subtitle = "all listeners" if scope == "*" and several else f"listener {explore.data['listeners'][0]}"
        if scope != "*":
            subtitle = f"listener {scope}"
        cards.draw_card(review, out / review["card"], subtitle)
    return explore


def _view_report(
    con: duckdb.DuckDBPyConnection,
    view: str,
    status: ViewStatus,
    facts: LakeFacts,
    out: Path,
    listener: str | None,
) -> ViewReport:
    chart = charts.CHARTS_BY_VIEW[view]  # every view file has a chart entry (tests/analytics checks it)
    csv_path = out / "csv" / f"{view}.csv"
    png_path = out / "png" / f"{view}.png"
    png_path.unlink(missing_ok=True)  # a chart from an earlier report must not outlive a note
    if not status.ok:
        csv_path.write_text("", encoding="utf-8")
        note = _note(chart, status, 0, facts, con, listener)
        return ViewReport(view, chart.title, chart.section, chart.caption, "failed", 0, csv_path, note=note)
    columns = [row[0] for row in con.execute(f"DESCRIBE {view}").fetchall()]
    where = ""
    if listener and "listener_id" in columns and not chart.cross_listener:
        where = f"WHERE listener_id = {_quote(listener)}"
    query = f"SELECT * FROM {view} {where} ORDER BY ALL"  # noqa: S608 - names from the view files, quoted id
    con.execute(f"COPY ({query}) TO {_quote(str(csv_path))} (FORMAT csv, HEADER)")
    cursor = con.execute(query)
    names = [d[0] for d in cursor.description]
    rows = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
    note = _note(chart, status, len(rows), facts, con, listener)
    if note is not None:
        return ViewReport(
            view, chart.title, chart.section, chart.caption, "not_available", len(rows), csv_path, note=note
        )
    svg = _render(chart, rows, png_path)
    return ViewReport(view, chart.title, chart.section, chart.caption, "chart", len(rows), csv_path, png_path, svg=svg)
