"""The report page in a real browser (Debian's Chromium, headless): opened from disk, period and listener switched,
an artist and a day clicked into; every number read off the page equals DuckDB's answer over the same lake for
the same selection. Any console error, page error or network request fails the test.

Set ``SPOTIFY_LAKE_SCREENSHOTS=<folder>`` to keep the screenshots this run takes (the README's come from there).
"""

# ruff: noqa: S608 - the SQL here is built from the test's own literal WHERE clauses, values are parameters

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from spotify_lake.report import build_report
from spotify_lake.report.lake import connect, create_views

from . import history
from .browser import browser_page

pytestmark = [pytest.mark.slow, pytest.mark.browser]

LISTENERS = ("3f1c0a9b5d2e7f41", "9a7e44c1b0d2f355")
SOLO = "5e5e5e5e5e5e5e5e"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A two-listener lake of 2.5 years (6,000 plays), its report, and DuckDB with the Athena views over it."""
    lake = history.build(tmp_path_factory.mktemp("lake"), listeners=LISTENERS, plays=6000, years=2.5)
    out = tmp_path_factory.mktemp("report")
    build_report(lake, out, time_zone="Europe/Berlin")
    con = connect(lake)
    assert all(s.ok for s in create_views(con, "Europe/Berlin"))
    yield out / "index.html", con
    con.close()


def minutes(ms: int) -> int:
    """Minutes rounded half up, as the page (Math.round) and DuckDB's round() do for positive numbers."""
    return int(ms // 60_000 + (ms % 60_000 >= 30_000))


def sql_one(con, query: str, params: list) -> tuple:
    return con.execute(query, params).fetchone()


def expected(con, where: str, params: list) -> dict[str, str]:
    """The highlights as the page must show them, answered by SQL over play_events (no page code involved)."""
    plays, ms = sql_one(con, f"SELECT count(*), sum(ms_listened) FROM play_events WHERE {where}", params)
    tracks = f"SELECT * FROM play_events WHERE content_type = 'track' AND {where}"
    artists, n_tracks, albums = sql_one(
        con,
        "SELECT count(DISTINCT artist_name), count(DISTINCT track_id), "
        f"count(DISTINCT (album_name, artist_name)) FILTER (WHERE album_name IS NOT NULL) FROM ({tracks})",
        params,
    )
    (top_artist,) = sql_one(
        con,
        f"SELECT artist_name FROM ({tracks}) GROUP BY artist_name "
        "ORDER BY sum(ms_listened) DESC, count(*) DESC, artist_name LIMIT 1",
        params,
    )
    (top_track,) = sql_one(
        con,
        f"SELECT track_name FROM ({tracks}) GROUP BY track_id, track_name "
        "ORDER BY sum(ms_listened) DESC, count(*) DESC, track_name LIMIT 1",
        params,
    )
    big_day, big_ms = sql_one(
        con,
        f"SELECT local_date, sum(ms_listened) FROM play_events WHERE {where} GROUP BY local_date "
        "ORDER BY sum(ms_listened) DESC, local_date LIMIT 1",
        params,
    )
    (streak,) = sql_one(
        con,
        f"""SELECT max(n) FROM (
              SELECT count(*) AS n FROM (
                SELECT local_date, local_date - CAST(row_number() OVER (ORDER BY local_date) AS integer) AS island
                FROM (SELECT DISTINCT local_date FROM play_events WHERE {where}))
              GROUP BY island)""",
        params,
    )
    return {
        "plays": f"{plays:,}",
        "hours": f"{ms / 3_600_000:,.1f}",
        "minutes": f"{minutes(ms):,} minutes",
        "artists": f"{artists:,}",
        "tracks": f"{n_tracks:,}",
        "albums": f"{albums:,}",
        "top-artist": top_artist,
        "top-track": top_track,
        "biggest-day": f"{big_day.day} {big_day:%b %Y}",
        "biggest-day-minutes": f"{minutes(big_ms):,} min",
        "streak": f"{streak} days",
    }


def shown(page) -> dict[str, str]:
    def value(key: str) -> str:
        return page.inner_text(f'[data-kpi="{key}"] b').strip()

    return {
        "plays": value("plays"),
        "hours": value("hours"),
        "minutes": page.inner_text('[data-kpi="hours"] .sub').strip(),
        "artists": value("artists"),
        "tracks": value("tracks"),
        "albums": value("albums"),
        "top-artist": value("top-artist"),
        "top-track": value("top-track").split(" · ")[0],
        "biggest-day": value("biggest-day"),
        "biggest-day-minutes": page.inner_text('[data-kpi="biggest-day"] .sub').split(" · ")[0],
        "streak": value("streak"),
    }


def screenshot(page, name: str, *, full_page: bool = False, selector: str | None = None) -> None:
    folder = os.environ.get("SPOTIFY_LAKE_SCREENSHOTS")
    if not folder:
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    target = page.locator(selector) if selector else page
    target.screenshot(path=str(Path(folder) / name), **({} if selector else {"full_page": full_page}))


def test_page_answers_equal_sql_for_every_selection(built):
    index, con = built
    last_day = con.execute("SELECT max(local_date) FROM play_events").fetchone()[0]
    with browser_page() as (page, recorder):
        page.goto(index.as_uri())
        page.wait_for_selector('body[data-ready="1"]', timeout=10_000)
        assert page.is_visible("#listener-picker")  # two listeners: the picker is there
        # all time, all listeners
        assert shown(page) == expected(con, "TRUE", [])
        assert page.is_visible("#listeners-card")
        screenshot(page, "report-highlights.png")

        # last 4 weeks: 28 local days ending on the latest play's day
        page.select_option("#period", "4w")
        assert shown(page) == expected(con, "local_date > ?::date - 28", [last_day])

        # one calendar year, then one listener in it
        page.select_option("#period", "2025")
        assert shown(page) == expected(con, "year(local_date) = 2025", [])
        page.select_option("#listener", label=LISTENERS[1])
        one = "year(local_date) = 2025 AND listener_id = ?"
        assert shown(page) == expected(con, one, [LISTENERS[1]])
        assert page.is_hidden("#listeners-card")  # a per-listener comparison means nothing for one listener
        year_card = page.locator("#year-2025")
        assert (
            year_card.locator('[data-kpi="year-plays"] b').inner_text() == expected(con, one, [LISTENERS[1]])["plays"]
        )

        # a custom range
        page.select_option("#period", "custom")
        page.fill("#from", "2025-03-01")
        page.dispatch_event("#from", "change")
        page.fill("#to", "2025-03-31")
        page.dispatch_event("#to", "change")
        march = "local_date BETWEEN DATE '2025-03-01' AND DATE '2025-03-31' AND listener_id = ?"
        assert shown(page) == expected(con, march, [LISTENERS[1]])

        # drill into the top artist: all time, this listener
        artist = page.inner_text('[data-kpi="top-artist"] b').strip()
        page.click('[data-kpi="top-artist"] a')
        page.wait_for_selector('#detail-title[data-kind="artist"]')
        assert page.inner_text("#detail-title") == artist
        plays, ms, first, last, skipped, flagged = sql_one(
            con,
            "SELECT count(*), sum(ms_listened), min(local_date), max(local_date), count(*) FILTER (WHERE skipped), "
            "count(skipped) FROM play_events WHERE listener_id = ? AND artist_name = ? AND content_type = 'track'",
            [LISTENERS[1], artist],
        )
        detail = {k: page.inner_text(f'#detail [data-kpi="{k}"] b') for k in ("plays", "minutes", "first-play")}
        detail["last-play"] = page.inner_text('#detail [data-kpi="last-play"] b')
        detail["skip-rate"] = page.inner_text('#detail [data-kpi="skip-rate"] b')
        assert detail == {
            "plays": f"{plays:,}",
            "minutes": f"{minutes(ms):,}",
            "first-play": f"{first.day} {first:%b %Y}",
            "last-play": f"{last.day} {last:%b %Y}",
            "skip-rate": f"{100 * skipped / flagged:.1f}%",
        }
        (top_track,) = sql_one(
            con,
            "SELECT track_name FROM play_events WHERE listener_id = ? AND artist_name = ? GROUP BY track_id, "
            "track_name ORDER BY sum(ms_listened) DESC, count(*) DESC, track_name LIMIT 1",
            [LISTENERS[1], artist],
        )
        assert page.inner_text("#detail-top-tracks tr:first-child td.name a:first-child") == top_track
        screenshot(page, "report-artist.png", full_page=True)

        # click a day of the artist's history: what was played that day, by this listener
        page.click('#detail [data-kpi="last-play"] a')
        page.wait_for_selector('#detail-title[data-kind="day"]')
        day_plays, day_ms, rows = sql_one(
            con,
            "SELECT count(*), sum(e.ms_listened), count(DISTINCT (e.local_hour, coalesce(e.track_id, p.episode_name))) "
            "FROM play_events AS e JOIN plays AS p USING (play_id) WHERE e.listener_id = ? AND e.local_date = ?",
            [LISTENERS[1], last],
        )
        assert page.inner_text("#detail-title") == f"{last.day} {last:%b %Y}"
        assert page.inner_text('#detail [data-kpi="plays"] b') == f"{day_plays:,}"
        assert page.inner_text('#detail [data-kpi="minutes"] b') == f"{minutes(day_ms):,}"
        assert page.locator("#day-table tbody tr").count() == rows

        # back to the overview; search by name finds the artist
        page.click("text=← Overview")
        page.wait_for_selector("#kpis")
        page.fill("#search", artist[-6:])
        assert artist in page.inner_text("#search-results")

        # the year in review of all listeners, and its card beside the page
        page.select_option("#listener", label="All listeners")
        page.select_option("#period", "all")
        card = page.locator("#year-2025 a.files")
        assert card.inner_text().endswith("years/year-2025.png")
        assert (index.parent / "years" / "year-2025.png").stat().st_size > 20_000
        screenshot(page, "report-year.png", selector="#year-2025")
    assert recorder.console_errors == []
    assert recorder.page_errors == []
    assert recorder.requests == [index.as_uri()]


def test_one_listener_hides_the_listener_views(tmp_path):
    lake = history.build(tmp_path / "lake", listeners=(SOLO,), plays=400, years=1.2)
    build_report(lake, tmp_path / "out")
    index = tmp_path / "out" / "index.html"
    text = index.read_text(encoding="utf-8")
    for view in ("monthly_active_listeners", "listener_churn", "shared_favourites", "engagement_by_country_hour"):
        assert f'data-view="{view}"' not in text
    assert re.search(r'data-view="top_artists" data-status="chart"', text)
    assert sorted(p.name for p in (tmp_path / "out" / "years").iterdir()) == ["year-2025.png", "year-2026.png"]
    with browser_page() as (page, recorder):
        page.goto(index.as_uri())
        page.wait_for_selector('body[data-ready="1"]', timeout=10_000)
        assert page.is_hidden("#listener-picker")
        assert page.is_hidden("#listeners-card")
        assert page.locator("#years-list article.year").count() == 2
        total = page.inner_text('[data-kpi="plays"] b')
        assert total == f"{connect(lake).execute('SELECT count(*) FROM plays').fetchone()[0]:,}"
    assert recorder.console_errors == []
    assert recorder.page_errors == []
    assert recorder.requests == [index.as_uri()]
