"""Headless Debian Chromium driven by playwright: the page opened from disk, every console message, page error
and network request recorded, so a test can fail on any of them."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@dataclass
class Recorder:
    """What the page did besides rendering: console errors, uncaught exceptions and requests."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def attach(self, page: Page) -> None:
        page.on("console", lambda m: self.console_errors.append(m.text) if m.type in {"error", "warning"} else None)
        page.on("pageerror", lambda e: self.page_errors.append(str(e)))
        page.on("request", lambda r: self.requests.append(r.url))


@contextmanager
def browser_page(width: int = 1280, height: int = 900) -> Iterator[tuple[Page, Recorder]]:
    """A fresh profile, a page and its recorder; the browser is closed afterwards."""
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile, sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            profile,
            executable_path=str(CHROMIUM),
            headless=True,
            args=ARGS,
            viewport={"width": width, "height": height},
        )
        try:
            page = context.new_page()
            recorder = Recorder()
            recorder.attach(page)
            yield page, recorder
        finally:
            context.close()
