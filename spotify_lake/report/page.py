"""The report page: one self-contained HTML file (inline CSS and SVG; nothing fetched from anywhere)."""

from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spotify_lake.report.build import ReportSummary, ViewReport

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
"""


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


def _header(summary: ReportSummary) -> str:
    facts, runs = summary.facts, summary.runs
    scope = f"listener {summary.listener}" if summary.listener else f"{facts.listeners} listener(s)"
    mode = f" · {summary.mode} mode" if summary.mode else ""
    kpis = "".join(
        [
            _kpi(f"{facts.plays:,}", "plays"),
            _kpi(_period(summary), "period covered"),
            _kpi(f"{len(facts.plays_by_source)}", "sources"),
            _kpi(f"{runs.duplicates:,}", "duplicates removed"),
            _kpi(f"{max(facts.quarantined_rows, runs.quarantined):,}", "quarantined records"),
        ]
    )
    return (
        f'<header><div class="wrap"><h1><span>spotify-lake</span> listening report</h1>'
        f"<p>{escape(scope)} · times in {escape(summary.time_zone)}{escape(mode)}</p>"
        f'<div class="kpis">{kpis}</div></div></header>'
    )


def _facts_card(summary: ReportSummary) -> str:
    facts, runs = summary.facts, summary.runs
    rows = ["<tr><th>Plays by source</th><td></td></tr>"]
    rows += [
        f'<tr><td>&nbsp;&nbsp;{escape(s)}</td><td class="n">{n:,}</td></tr>' for s, n in facts.plays_by_source.items()
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
        '<section id="run"><h2>This run</h2><div class="card"><table class="facts">'
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


def render(summary: ReportSummary) -> str:
    sections: dict[str, list[ViewReport]] = {}
    for view in summary.views:
        sections.setdefault(view.section, []).append(view)
    nav = '<a href="#run">This run</a>' + "".join(f'<a href="#{_anchor(name)}">{escape(name)}</a>' for name in sections)
    body = "".join(
        f'<section id="{_anchor(name)}"><h2>{escape(name)}</h2>{"".join(_card(v) for v in views)}</section>'
        for name, views in sections.items()
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>spotify-lake listening report</title>"
        f"<style>{CSS}</style></head><body>"
        f'{_header(summary)}<nav><div class="wrap">{nav}</div></nav>'
        f'<main><div class="wrap">{_facts_card(summary)}{body}</div></main>'
        '<footer><div class="wrap">Made by spotify-lake from the curated tables with the same SQL views Athena runs. '
        "Every chart's data is in <code>csv/</code>; the page needs no network.</div></footer>"
        "</body></html>\n"
    )
