"""The report page: one self-contained HTML file (inline CSS and SVG; nothing fetched from anywhere)."""

from __future__ import annotations

import html
import re
from pathlib import Path

from spotify_lake.report.charts import CHARTS_BY_VIEW
from spotify_lake.report.summary import ReportSummary, ViewReport

CSS = """
:root { --green: #1DB954; --ink: #191414; --muted: #6B7280; --line: #E5E7EB; --paper: #F7F7F5; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--paper); color: var(--ink);
  font: 15px/1.55 -apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
header { background: var(--ink); color: #fff; padding: 2.2rem 0 1.8rem; }
.wrap { max-width: 1080px; margin: 0 auto; padding: 0 1.25rem; }
header h1 { margin: 0 0 .3rem; font-size: 1.9rem; letter-spacing: -.02em; }
header h1 span { color: var(--green); }
header p { margin: 0; color: #D1D5DB; }
.kpis { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: .75rem; margin: 1.4rem 0 0; }
.kpi { background: rgba(255,255,255,.07); border-radius: 10px; padding: .8rem 1rem; }
.kpi b { display: block; font-size: 1.35rem; color: #fff; font-variant-numeric: tabular-nums; }
.kpi small { color: #9CA3AF; text-transform: uppercase; letter-spacing: .06em; font-size: .7rem; }
nav { position: sticky; top: 0; z-index: 2; background: #fff; border-bottom: 1px solid var(--line); }
nav .wrap { display: flex; gap: 1.2rem; overflow-x: auto; padding-top: .6rem; padding-bottom: .6rem; }
nav a { color: var(--ink); text-decoration: none; font-weight: 600; font-size: .9rem; white-space: nowrap; }
nav a:hover { color: var(--green); }
main { padding: 1rem 0 3rem; }
h2 { font-size: 1.3rem; margin: 2.2rem 0 .8rem; padding-bottom: .3rem; border-bottom: 3px solid var(--green);
  display: inline-block; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 12px; padding: 1.1rem 1.2rem 1rem;
  margin: 0 0 1rem; }
.card h3 { margin: 0 0 .2rem; font-size: 1.05rem; }
h3.section { font-size: 1.05rem; color: var(--muted); margin: 1.6rem 0 .6rem; }
.card .caption { margin: 0 0 .7rem; color: var(--muted); font-size: .92rem; }
.card svg { width: 100%; height: auto; display: block; }
.card .files { margin: .5rem 0 0; font-size: .8rem; color: var(--muted); }
.card .files a { color: var(--muted); }
.note { background: #FFFBEB; border-left: 4px solid #F59E0B; padding: .7rem .9rem; border-radius: 6px;
  font-size: .92rem; }
.note.failed { background: #FEF2F2; border-color: #EF4444; }
table.facts { border-collapse: collapse; width: 100%; font-size: .9rem; }
table.facts td, table.facts th { padding: .35rem .5rem; border-bottom: 1px solid var(--line); text-align: left; }
table.facts td.n { text-align: right; font-variant-numeric: tabular-nums; }
code { background: #F3F4F6; padding: .05rem .3rem; border-radius: 4px; font-size: .88em; }
footer { color: var(--muted); font-size: .8rem; padding: 1.5rem 0 2.5rem; }
.controls { display: flex; flex-wrap: wrap; gap: .6rem 1rem; align-items: center; margin: 1rem 0 0; }
.controls label { color: #D1D5DB; font-size: .85rem; }
.controls select, .controls input { font: inherit; font-size: .9rem; padding: .3rem .5rem; border-radius: 6px;
  border: 1px solid #4B5563; background: #fff; color: var(--ink); }
#search-box { position: relative; flex: 1 1 16rem; }
#search { width: 100%; }
#search-results { position: absolute; z-index: 5; left: 0; right: 0; top: 2.3rem; margin: 0; padding: .4rem 0;
  list-style: none; background: #fff; color: var(--ink); border: 1px solid var(--line); border-radius: 8px;
  max-height: 22rem; overflow-y: auto; box-shadow: 0 8px 24px rgba(0,0,0,.18); }
#search-results li { padding: .25rem .8rem; }
#search-results small { color: var(--muted); display: inline-block; width: 3.6rem; }
#period-label { color: #D1D5DB; margin: .6rem 0 0; font-size: .9rem; }
.kpis.light .kpi, #kpis .kpi, .yearkpis .kpi { background: #fff; border: 1px solid var(--line); }
.kpis.light .kpi b, #kpis .kpi b, .yearkpis .kpi b { color: var(--ink); }
#kpis, .yearkpis { display: grid; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr)); gap: .75rem; }
.kpi b a { color: inherit; }
.kpi .sub { display: block; color: var(--muted); font-size: .78rem; }
#data .kpis { margin: 0 0 1rem; }
#data .kpi { background: var(--ink); }
.grid2 { display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 0 1rem; }
svg.chart { width: 100%; height: auto; display: block; }
svg.chart .bar { fill: var(--green); }
svg.chart .bar.clickable { cursor: pointer; }
svg.chart .bar:hover { fill: #148A3F; }
svg.chart .grid { stroke: var(--line); }
svg.chart .tick { fill: var(--muted); font-size: 11px; }
table.top { border-collapse: collapse; width: 100%; font-size: .9rem; }
table.top td, table.top th { padding: .3rem .4rem; border-bottom: 1px solid var(--line); text-align: left; }
table.top td.n { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; color: var(--muted); }
table.top td.rank { width: 1.8rem; color: var(--muted); }
table.top td.name { position: relative; }
table.top td.name small a { color: var(--muted); }
.barline { display: block; height: 3px; background: var(--green); border-radius: 2px; margin-top: 2px; }
a.drill { color: var(--ink); text-decoration: none; border-bottom: 1px dotted var(--muted); }
a.drill:hover { color: var(--green); }
.year h4 { margin: .8rem 0 .2rem; font-size: .85rem; text-transform: uppercase; letter-spacing: .05em;
  color: var(--muted); }
.year ol { margin: 0; padding-left: 1.3rem; }
.year ol small, .shares { color: var(--muted); }
.yeartops { display: grid; grid-template-columns: repeat(auto-fit, minmax(190px, 1fr)); gap: 0 1rem; }
.shares { margin: .8rem 0 .3rem; padding-left: 1.1rem; }
.shares b { color: var(--ink); }
.back { margin: 1.5rem 0 0; }
.empty { color: var(--muted); }
details.views summary { cursor: pointer; font-weight: 600; margin: 0 0 1rem; }
[hidden] { display: none !important; }
"""


ASSETS = Path(__file__).resolve().parent / "assets"


def escape(text: object) -> str:
    return html.escape(str(text), quote=True)


def _anchor(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _inline_code(text: str) -> str:
    """Escape ``text`` and show `backticked` parts as code."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", escape(text))


def _kpi(value: str, label: str) -> str:
    return f'<div class="kpi"><b>{escape(value)}</b><small>{escape(label)}</small></div>'


def _period(summary: ReportSummary) -> str:
    facts = summary.facts
    if facts.first_play is None:
        return "no plays yet"
    return f"{facts.first_play:%d %b %Y} – {facts.last_play:%d %b %Y}"


def _data_kpis(summary: ReportSummary) -> str:
    """The run accounting that used to open the page; now the head of the "Data" section, same figures."""
    facts, runs = summary.facts, summary.runs
    kpis = "".join(
        [
            _kpi(f"{facts.plays:,}", "plays"),
            _kpi(f"{facts.excluded_total:,}", "plays left out"),
            _kpi(_period(summary), "period covered"),
            _kpi(f"{len(facts.plays_by_source)}", "sources"),
            _kpi(f"{runs.duplicates:,}", "duplicates removed"),
            _kpi(f"{max(facts.quarantined_rows, runs.quarantined):,}", "quarantined records"),
        ]
    )
    return f'<div class="kpis">{kpis}</div>'


def _header(summary: ReportSummary) -> str:
    facts = summary.facts
    scope = f"listener {summary.listener}" if summary.listener else f"{facts.listeners} listener(s)"
    mode = f" · {summary.mode} mode" if summary.mode else ""
    controls = (
        '<div class="controls">'
        '<label>Period <select id="period" aria-label="Period"></select></label>'
        '<span id="custom" hidden><label>from <input type="date" id="from" aria-label="From"></label> '
        '<label>to <input type="date" id="to" aria-label="To"></label></span>'
        '<label id="listener-picker" hidden>Listener <select id="listener" aria-label="Listener"></select></label>'
        '<div id="search-box"><input type="search" id="search" placeholder="Search artists, tracks, albums, shows" '
        'aria-label="Search" autocomplete="off"><ul id="search-results" hidden></ul></div>'
        "</div>"
    )
    return (
        f'<header><div class="wrap"><h1><span>spotify-lake</span> listening report</h1>'
        f"<p>{escape(scope)} · times in {escape(summary.time_zone)}{escape(mode)}</p>"
        f'{controls}<p id="period-label"></p></div></header>'
    )


def release_year_percent(share: float) -> str:
    """``97 %``: whole percents, except that a share that is not all (or none) never rounds to 100 % (0 %)."""
    whole = round(share)
    if whole == 100 and share < 100:
        return "99.9 %" if share >= 99.9 else f"{share:.1f} %"
    if whole == 0 and share > 0:
        return f"{share:.1f} %"
    return f"{whole} %"


def _facts_card(summary: ReportSummary) -> str:
    facts, runs = summary.facts, summary.runs
    rows = ["<tr><th>Plays by source (curated: every play)</th><td></td></tr>"]
    rows += [
        f'<tr><td>&nbsp;&nbsp;{escape(s)}</td><td class="n">{n:,}</td></tr>' for s, n in facts.plays_by_source.items()
    ]
    share = facts.release_year_share
    if share is not None:
        rows.append(
            f'<tr id="release-year"><th>Release year known for {release_year_percent(share)} of plays</th>'
            f'<td class="n">{facts.release_year_known:,} of {facts.track_plays:,}</td></tr>'
        )
    rows.append(
        '<tr id="excluded"><th>Left out of the analyses (private sessions, and your exclusions file: see '
        f'<code>spotify-lake exclude</code>)</th><td class="n">{facts.excluded_total:,}</td></tr>'
    )
    rows += [
        f'<tr><td>&nbsp;&nbsp;{escape(why)}</td><td class="n">{n:,}</td></tr>'
        for why, n in facts.plays_excluded.items()
    ]
    if runs.curation_runs:
        rows.append(f"<tr><th>Curation ({runs.curation_runs} run(s) since the last full refresh)</th><td></td></tr>")
        rows += [
            f'<tr><td>&nbsp;&nbsp;{label}</td><td class="n">{value:,}</td></tr>'
            for label, value in (
                ("records read", runs.read),
                ("loaded", runs.loaded),
                ("superseded by later imports", runs.superseded),
                ("recognised duplicates", runs.duplicates),
                ("quarantined", runs.quarantined),
            )
        ]
        rows += [
            f'<tr><td>&nbsp;&nbsp;&nbsp;&nbsp;{escape(reason)}</td><td class="n">{n:,}</td></tr>'
            for reason, n in sorted(runs.quarantined_by_reason.items())
        ]
    else:
        rows.append("<tr><th>Curation</th><td>no run summary found in _runs/</td></tr>")
    rows.append(f'<tr><th>Quarantine table</th><td class="n">{facts.quarantined_rows:,} records</td></tr>')
    stages = ", ".join(f"{n} {stage}" for stage, n in sorted(runs.runs_by_stage.items())) or "none"
    rows.append(f"<tr><th>Run summaries</th><td>{escape(stages)}</td></tr>")
    return (
        '<section id="data"><h2>Data</h2>'
        + _data_kpis(summary)
        + '<div class="card"><h3>This run</h3><table class="facts">'
        + "".join(rows)
        + "</table></div></section>"
    )


def _card(view: ViewReport) -> str:
    body: str
    if view.status == "chart":
        body = view.svg or ""
        files = (
            f'<p class="files">Data: <a href="csv/{escape(view.view)}.csv">csv/{escape(view.view)}.csv</a> · '
            f'image: <a href="png/{escape(view.view)}.png">png/{escape(view.view)}.png</a> · view '
            f"<code>{escape(view.view)}</code></p>"
        )
    else:
        css = "note failed" if view.status == "failed" else "note"
        body = f'<p class="{css}">{_inline_code(view.note or "")}</p>'
        files = f'<p class="files">view <code>{escape(view.view)}</code></p>'
    return (
        f'<article class="card" id="view-{escape(view.view)}" data-view="{escape(view.view)}" '
        f'data-status="{escape(view.status)}"><h3>{escape(view.title)}</h3>'
        f'<p class="caption">{escape(view.caption)}</p>{body}{files}</article>'
    )


OVERVIEW = """
<section id="highlights" class="overview"><h2>Highlights</h2><div id="kpis"></div></section>
<section id="listening" class="overview"><h2>Listening</h2>
<div class="card"><h3 id="timeline-title">Minutes</h3><p class="caption">Click a day to list what was played;
click a week or month to zoom into it.</p><div id="timeline"></div></div>
<div class="card"><h3>Hours of the day</h3><p class="caption">Minutes listened by local hour.</p>
<div id="hours"></div></div>
<div class="card" id="listeners-card" hidden><h3>Listeners</h3><p class="caption">Hours and plays per listener in
this period (shown only when the lake has several listeners).</p><div id="listeners"></div></div>
</section>
<section id="top" class="overview"><h2>Top</h2><div class="grid2">
<div class="card"><h3>Artists</h3><div id="top-artist"></div></div>
<div class="card"><h3>Tracks</h3><div id="top-track"></div></div>
<div class="card"><h3>Albums</h3><div id="top-album"></div></div>
<div class="card"><h3>Shows</h3><div id="top-show"></div></div>
<div class="card"><h3>Genres</h3><p class="caption">A genre counts the minutes of every artist carrying it.</p>
<div id="top-genre"></div></div>
</div></section>
<section id="years" class="overview"><h2>Year in review</h2><p class="caption">Every calendar year of the lake, for the
chosen listener; each has a shareable PNG card beside this page.</p><div id="years-list"></div></section>
<section id="detail" hidden></section>
"""


def _asset(name: str) -> str:
    return (ASSETS / name).read_text(encoding="utf-8")


def render(summary: ReportSummary, data_json: str) -> str:
    """The page: highlights and the interactive overview first, the Athena views' charts, then the Data section.

    ``data_json`` is what :mod:`spotify_lake.report.explore` embeds; the script draws everything from it.
    """
    several = summary.facts.listeners > 1 or summary.listener is not None
    sections: dict[str, list[ViewReport]] = {}
    for view in summary.views:
        if not several and CHARTS_BY_VIEW[view.view].cross_listener:
            continue  # comparing listeners means nothing in a one-listener lake
        sections.setdefault(view.section, []).append(view)
    nav = "".join(
        f'<a href="#{anchor}">{label}</a>'
        for anchor, label in (
            ("highlights", "Highlights"),
            ("listening", "Listening"),
            ("top", "Top"),
            ("years", "Year in review"),
            ("views", "All views"),
            ("data", "Data"),
        )
    )
    views = "".join(
        f'<section id="{_anchor(name)}"><h3 class="section">{escape(name)}</h3>{"".join(_card(v) for v in views)}'
        "</section>"
        for name, views in sections.items()
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>spotify-lake listening report</title>"
        f"<style>{CSS}</style></head><body>"
        f'{_header(summary)}<nav><div class="wrap">{nav}</div></nav>'
        f'<main><div class="wrap">{OVERVIEW}'
        '<section id="views" class="overview"><h2>All views</h2><p class="caption">The Athena views run on DuckDB over '
        "the whole history (they do not follow the period picker); each has its CSV and PNG beside this page."
        f"</p>{views}</section>"
        f"{_facts_card(summary)}</div></main>"
        '<footer><div class="wrap">Made by spotify-lake from the curated tables with the same SQL views Athena runs. '
        "Every chart's data is in <code>csv/</code>; the page needs no network.</div></footer>"
        f'<script type="application/json" id="report-data">{data_json}</script>'
        f"<script>{_asset('app.js')}</script>"
        "</body></html>\n"
    )
