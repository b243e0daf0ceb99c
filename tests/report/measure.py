"""Size and speed of a report page in headless Chromium, for docs/REPORT.md (not a test: timings depend on the
machine). Builds the report of ``--lake`` unless ``--page`` names an existing one, or generates a synthetic
history first with ``--plays``/``--years``:

    .venv/bin/python -m tests.report.measure --plays 150000 --years 10 --work out/decade
    .venv/bin/python -m tests.report.measure --page out/report/index.html
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from spotify_lake.report import build_report

from . import history
from .browser import browser_page

SWITCH = """(value) => {
  const t0 = performance.now();
  const select = document.getElementById('period');
  select.value = value;
  select.dispatchEvent(new Event('change'));
  return performance.now() - t0;
}"""


def measure(index: Path, runs: int = 5) -> dict[str, object]:
    """Median time to interactive (navigation start to the first full render) and to redraw for a new period."""
    ready, switches, drill = [], [], []
    for _ in range(runs):
        with browser_page() as (page, recorder):
            page.goto(index.resolve().as_uri())
            page.wait_for_selector('body[data-ready="1"]', timeout=30_000)
            ready.append(page.evaluate("window.reportReadyMs"))
            for value in ("4w", "6m", "all"):
                switches.append(page.evaluate(SWITCH, value))
            t0 = time.perf_counter()
            page.click('[data-kpi="top-artist"] a')
            page.wait_for_selector('#detail-title[data-kind="artist"]')
            drill.append((time.perf_counter() - t0) * 1000)
            assert not recorder.console_errors, recorder
            assert not recorder.page_errors, recorder
            assert recorder.requests == [index.resolve().as_uri()], recorder.requests
    return {
        "page_bytes": index.stat().st_size,
        "data_bytes": len(index.read_text(encoding="utf-8").split('id="report-data">', 1)[1].split("</script>")[0]),
        "interactive_ms_median": round(statistics.median(ready)),
        "interactive_ms_max": round(max(ready)),
        "period_switch_ms_median": round(statistics.median(switches)),
        "period_switch_ms_max": round(max(switches)),
        "artist_drilldown_ms_median": round(statistics.median(drill)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--page", type=Path, help="an existing index.html")
    parser.add_argument("--work", type=Path, default=Path("out/measure"), help="folder for the lake and report")
    parser.add_argument("--lake", type=Path, help="an existing lake (skips generating one)")
    parser.add_argument("--plays", type=int, default=150_000)
    parser.add_argument("--years", type=float, default=10)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    figures: dict[str, object] = {}
    index = args.page
    if index is None:
        lake = args.lake
        if lake is None:
            t0 = time.perf_counter()
            lake = history.build(args.work / "lake", listeners=("d" * 16,), plays=args.plays, years=args.years)
            figures["generate_s"] = round(time.perf_counter() - t0, 1)
        t0 = time.perf_counter()
        summary = build_report(lake, args.work / "report", time_zone="Europe/Berlin")
        figures["build_report_s"] = round(time.perf_counter() - t0, 1)
        figures["plays"] = summary.facts.plays
        index = summary.index
    figures.update(measure(index, args.runs))
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
