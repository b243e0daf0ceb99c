"""The README's report images, taken in headless Chromium with the browser test's driver from a built report:

    .venv/bin/python -m tests.report.screenshots out/report docs/images

Writes report-highlights.png (top of the page), report-artist.png (the top artist's page) and
report-year-card.png (a copy of the card of the year with the most minutes, all listeners).
"""

from __future__ import annotations

import argparse
import csv
import shutil
from pathlib import Path

from .browser import browser_page


def take(report: Path, images: Path) -> list[Path]:
    index = report / "index.html"
    images.mkdir(parents=True, exist_ok=True)
    written = [images / "report-highlights.png", images / "report-artist.png", images / "report-year-card.png"]
    with browser_page(width=1200, height=1000) as (page, recorder):
        page.goto(index.resolve().as_uri())
        page.wait_for_selector('body[data-ready="1"]', timeout=30_000)
        page.screenshot(path=str(written[0]))
        page.click('[data-kpi="top-artist"] a')
        page.wait_for_selector('#detail-title[data-kind="artist"]')
        page.screenshot(path=str(written[1]), full_page=True)
        if recorder.console_errors or recorder.page_errors or recorder.requests != [index.resolve().as_uri()]:
            raise RuntimeError(f"the page misbehaved: {recorder}")
    with (report / "csv" / "year_review.csv").open(encoding="utf-8") as f:
        years = [row for row in csv.DictReader(f) if row["scope"] == "*"]
    best = max(years, key=lambda row: float(row["minutes"]))
    shutil.copyfile(report / "years" / f"year-{best['year']}.png", written[2])
    return written


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", type=Path)
    parser.add_argument("images", type=Path)
    args = parser.parse_args()
    take(args.report, args.images)
