"""The report over the hand-built lake: a chart or an explicit note per view, nothing remote, files per view."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest

from spotify_lake.cli import main
from spotify_lake.report import build_report
from spotify_lake.report.build import SVG_BUDGET, _render
from spotify_lake.report.charts import CHARTS, CHARTS_BY_VIEW
from spotify_lake.report.page import release_year_percent
from spotify_lake.report.sqlfiles import view_files
from tests.unit.test_contract_summaries import extraction_summary_data

from . import dataset
from .dataset import A

VIEWS = [v.name for v in view_files()]
CURATE_RUN = {
    "run_id": "curate-20240630T120000Z-abc123",
    "stage": "curate",
    "started_at": "2024-06-30T12:00:00+00:00",
    "finished_at": "2024-06-30T12:03:00+00:00",
    "full_refresh": False,
    "raw_objects": {"listed": 3, "api": 2, "export": 1, "library": 0, "extractor_quarantine": 0, "unknown": 0},
    "status": "succeeded",
    "sources": {
        "api": {"read": 6, "loaded": 5, "duplicates": 1, "quarantined": {}, "quarantined_total": 0},
        "export_extended": {
            "read": 8,
            "loaded": 7,
            "duplicates": 0,
            "quarantined": {"unparseable ts": 1},
            "quarantined_total": 1,
        },
    },
}


class Cards(HTMLParser):
    """Collects each view card's status and text, and every URL-bearing attribute."""

    def __init__(self):
        super().__init__()
        self.cards: dict[str, dict] = {}
        self.current: str | None = None
        self.urls: list[str] = []
        self.svgs: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "article" and "data-view" in attrs:
            self.current = attrs["data-view"]
            self.cards[self.current] = {"status": attrs["data-status"], "text": "", "svg": False}
        if tag == "svg" and self.current:
            self.cards[self.current]["svg"] = True
        self.urls += [v for k, v in attrs.items() if k in {"src", "href", "xlink:href", "action", "data"} and v]

    def handle_data(self, data):
        if self.current:
            self.cards[self.current]["text"] += data


def parse(path) -> tuple[Cards, str]:
    text = path.read_text(encoding="utf-8")
    cards = Cards()
    cards.feed(text)
    return cards, text


def assert_offline(text: str, urls: list[str]) -> None:
    assert "http://" not in text
    assert "https://" not in text
    assert "@import" not in text
    assert not re.search(r"url\(\s*['\"]?(?!#)", text), "only url(#fragment) references are allowed"
    assert not re.search(r"<(link|img|iframe|object|embed)\b", text)
    # scripts only inline: the page's own code and its embedded data, never a file or URL to load
    assert re.findall(r"<script\b[^>]*>", text) == ['<script type="application/json" id="report-data">', "<script>"]
    for url in urls:
        # fragments, relative files and embedded data: URIs are offline; anything with another scheme is not
        assert not url.startswith("//"), url
        assert url.startswith("data:") or ":" not in url.split("/")[0], url


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """The full lake's report: every chart drawn (about 20 s of CPU), so the tests reading it are marked slow."""
    lake = dataset.build(tmp_path_factory.mktemp("report_lake"))
    (lake / "_runs").mkdir()
    (lake / "_runs" / "curate-20240630T120000Z-abc123.json").write_text(json.dumps(CURATE_RUN))
    (lake / "_runs" / "extract-20240630T110000Z-def456.json").write_text(
        json.dumps(
            extraction_summary_data("extract-20240630T110000Z-def456", mode="extended")
            | {"started_at": "2024-06-30T11:00:00Z"}
        )
    )
    out = tmp_path_factory.mktemp("report")
    summary = build_report(lake, out, time_zone="Europe/Berlin")
    return summary, *parse(out / "index.html")


def test_every_view_file_has_a_chart_entry():
    assert sorted(VIEWS) == sorted(c.view for c in CHARTS)
    for chart in CHARTS:
        assert chart.title
        assert chart.caption


#: Views the edge lake leaves empty on purpose: its one audiobook play is left out by listener B's exclusions
#: (test_spoken_word_lake_fills_the_podcast_and_audiobook_charts draws it).
EMPTY_ON_THE_EDGE_LAKE = {"audiobook_progress"}


@pytest.mark.slow
def test_every_view_is_charted_on_the_full_lake(report):
    summary, cards, _ = report
    assert sorted(cards.cards) == sorted(VIEWS)
    for view, card in cards.cards.items():
        if view in EMPTY_ON_THE_EDGE_LAKE:
            assert card["status"] == "not_available"
            assert "no audiobook plays" in card["text"]
            continue
        assert card["status"] == "chart", (view, card["text"])
        assert card["svg"], view
    for view in summary.views:
        if view.view in EMPTY_ON_THE_EDGE_LAKE:
            continue
        assert view.csv.is_file()
        assert view.png.is_file()
        assert view.png.stat().st_size > 5000
        header = view.csv.read_text(encoding="utf-8").splitlines()[0]
        assert header.split(",")[0] in {
            "listener_id",
            "table_name",
            "month",
            "country",
            "genre",
            "artist_id",
            "release_period",
            "band_start",
            "play_id",
        }


@pytest.mark.slow
def test_page_is_self_contained(report):
    _, cards, text = report
    assert_offline(text, cards.urls)


@pytest.mark.slow
def test_page_shows_the_run_numbers(report):
    summary, _, text = report
    assert summary.facts.plays == 12
    assert ">12</b><small>plays<" in text
    assert "15 Jan 2024 – 10 Jun 2024" in text  # first and last play, Berlin time
    assert "export_account" in text
    assert "export_extended" in text
    assert ">api<" in text
    assert ">1</b><small>duplicates removed<" in text
    assert ">1</b><small>quarantined records<" in text
    assert "unparseable ts" in text
    assert "extended mode" in text
    # the plays the analyses left out, and why (private sessions first)
    assert ">5</b><small>plays left out<" in text
    assert summary.facts.plays_excluded == {
        "private sessions": 2,
        "show: Show Hidden": 1,
        "artist: ARTIST, FOUR": 1,
        "content type: audiobook": 1,
    }
    excluded = text[text.index('<tr id="excluded">') :]
    assert excluded.index("private sessions") < excluded.index("artist: ARTIST, FOUR")
    # 11 track plays counted (p9 is an episode); all but the account-data play p8 (no ids) have a release year
    assert (summary.facts.track_plays, summary.facts.release_year_known) == (11, 10)
    assert 'Release year known for 91 % of plays</th><td class="n">10 of 11<' in text


@pytest.mark.parametrize(
    ("share", "shown"),
    [
        (90.909, "91 %"),
        (97.2, "97 %"),
        (99.6, "99.6 %"),
        (99.96, "99.9 %"),
        (100.0, "100 %"),
        (0.2, "0.2 %"),
        (0.0, "0 %"),
    ],
)
def test_release_year_share_never_rounds_to_all_or_none(share, shown):
    assert release_year_percent(share) == shown


def embedded(text: str) -> dict:
    return json.loads(text.split('<script type="application/json" id="report-data">', 1)[1].split("</script>", 1)[0])


@pytest.mark.slow
def test_page_embeds_aggregates_and_year_reviews(report):
    summary, _, text = report
    data = embedded(text)
    assert data["listeners"] == [A, "bbbbbbbbbbbbbbbb"]
    assert sum(data["facts"]["n"]) == 12
    assert data["shows"] == ["Show One"]
    reviews = {(r["scope"], r["year"]): r for r in data["reviews"]}
    assert sorted(reviews) == [("*", 2024), (A, 2024), ("bbbbbbbbbbbbbbbb", 2024)]
    a = reviews[(A, 2024)]
    # Berlin time: A played on 15, 16 and 17 January (23:05 UTC on the 15th is the 16th), the podcast episode
    # (20 minutes) on 21 February is the biggest day; B on 20-21 January
    assert (a["plays"], a["streak_start"], a["streak_end"], a["streak_days"]) == (9, "2024-01-15", "2024-01-17", 3)
    assert (a["biggest_day"], a["biggest_day_minutes"]) == ("2024-02-21", 20)
    assert a["top"]["show"] == [["Show One", 20, 1]]
    assert reviews[("*", 2024)]["plays"] == 12
    assert reviews[("*", 2024)]["streak_days"] == 3
    assert reviews[("bbbbbbbbbbbbbbbb", 2024)]["streak_start"] == "2024-01-20"
    assert a["card"] == f"years/year-2024-{A}.png"
    for name in ("year-2024.png", f"year-2024-{A}.png", "year-2024-bbbbbbbbbbbbbbbb.png"):
        assert (summary.out / "years" / name).stat().st_size > 20_000
    assert (summary.out / "csv" / "year_review.csv").read_text(encoding="utf-8").startswith("scope,year,plays,")


@pytest.mark.slow
def test_highlights_come_first_and_data_last(report):
    _, _, text = report
    order = [text.index(f'<section id="{s}"') for s in ("highlights", "listening", "top", "years", "views", "data")]
    assert order == sorted(order)
    data = text[text.index('<section id="data"') :]
    assert ">12</b><small>plays<" in data
    assert "unparseable ts" in data


@pytest.mark.slow
def test_csv_holds_the_view_rows(report):
    summary, _, _ = report
    csv = next(v.csv for v in summary.views if v.view == "listening_streaks").read_text(encoding="utf-8")
    assert csv.splitlines() == [
        "listener_id,streak_start,streak_end,days,streak_rank,is_latest",
        f"{A},2024-01-15,2024-01-17,3,1,false",
        f"{A},2024-02-20,2024-02-21,2,2,false",
        f"{A},2024-06-10,2024-06-10,1,3,true",
        "bbbbbbbbbbbbbbbb,2024-01-20,2024-01-21,2,1,false",
        "bbbbbbbbbbbbbbbb,2024-03-05,2024-03-05,1,2,true",
    ]


@pytest.mark.slow
def test_development_mode_lake_says_what_is_missing_and_why(tmp_path):
    lake = dataset.build(tmp_path / "lake", development_mode=True)
    summary = build_report(lake, tmp_path / "out", listener=A)
    cards, text = parse(tmp_path / "out" / "index.html")
    assert_offline(text, cards.urls)
    expected_missing = {
        "genre_composition": "artist genres",
        "genre_share_by_month": "artist genres",
        "artist_popularity_followers": "artist popularity",
        "track_duration_popularity": "track popularity",
        "mainstream_share_by_month": "track popularity",
        "popularity_by_month": "track popularity",
        "genre_hit_scores": "track popularity",
        "artist_metrics": "track popularity",
        "release_recency_popularity": "track popularity",
        "hit_score_distribution": "track popularity",
    }
    for view, field in expected_missing.items():
        card = cards.cards[view]
        assert card["status"] == "not_available"
        assert not card["svg"]
        assert f"not available because Spotify no longer returns {field} to development-mode apps" in card["text"]
        assert "demo --mode extended" in card["text"]
        assert not (tmp_path / "out" / "png" / f"{view}.png").exists()
        assert (tmp_path / "out" / "csv" / f"{view}.csv").is_file()
    # the listener filter: B's plays are gone from listener views, not from the cross-listener KPIs
    assert summary.facts.plays == 9
    assert cards.cards["shared_favourites"]["status"] == "chart"  # compares listeners: not filtered
    assert cards.cards["skip_stats_by_month"]["status"] == "chart"
    others = {v for v in VIEWS if v not in expected_missing} - EMPTY_ON_THE_EDGE_LAKE
    assert {v for v, c in cards.cards.items() if c["status"] == "chart"} == others
    # listener A's own exclusions only: two private-session plays and one by the excluded artist
    assert summary.facts.plays_excluded == {"private sessions": 2, "artist: ARTIST, FOUR": 1}


def test_empty_lake_explains_every_missing_chart(tmp_path):
    (tmp_path / "lake").mkdir()
    summary = build_report(tmp_path / "lake", tmp_path / "out")
    cards, text = parse(tmp_path / "out" / "index.html")
    assert_offline(text, cards.urls)
    assert summary.charted == 1  # only the record counts, all zero
    for view, card in cards.cards.items():
        if view == "table_record_counts":
            continue
        assert card["status"] == "not_available"
        assert re.search(r"not available because the \w+ table is empty: ", card["text"]), (view, card["text"])
    assert "no plays have been extracted or imported" in cards.cards["daily_minutes"]["text"]
    assert "no catalogue searches" in cards.cards["genre_hit_scores"]["text"]
    for view in VIEWS:
        assert (tmp_path / "out" / "csv" / f"{view}.csv").is_file()


def test_charts_are_deterministic(tmp_path):
    rows = [
        {"listener_id": A, "local_date": d, "minutes": m, "minutes_7d_avg": a, "plays": 1}
        for d, m, a in [(dataset.JUNE, 10.0, 1.4), (dataset.MAY, 3.0, 0.4)]
    ]
    first = _render(CHARTS_BY_VIEW["daily_minutes"], rows, tmp_path / "a.png")
    second = _render(CHARTS_BY_VIEW["daily_minutes"], rows, tmp_path / "b.png")
    assert first == second
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()


def test_cli_rejects_bad_input(tmp_path, capsys):
    assert main(["report", "--lake", str(tmp_path), "--out", str(tmp_path / "o"), "--time-zone", "Mars/Olympus"]) == 2
    assert "unknown time zone" in capsys.readouterr().err
    assert main(["report", "--lake", str(tmp_path / "missing"), "--out", str(tmp_path / "o")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_cli_rejects_an_unknown_listener(tmp_path, capsys):
    assert main(["report", "--lake", str(tmp_path), "--out", str(tmp_path / "o"), "--listener", "nobody"]) == 2
    assert "listener nobody has no plays in this lake" in capsys.readouterr().err


def test_a_chart_too_big_for_vector_paths_gets_a_raster_data_layer(tmp_path):
    # 6,000 tracks as scatter markers are 4.2 MB of SVG (one path per marker); the page keeps axes and text as
    # vectors and draws the markers as one embedded image (0.6 MB at the figure's 100 dpi).
    rows = [
        {"track_id": f"t{i}", "duration_ms": 120_000 + 37 * i, "popularity": i % 101, "plays": 1 + i % 7}
        for i in range(6000)
    ]
    small = _render(CHARTS_BY_VIEW["track_duration_popularity"], rows[:50], tmp_path / "small.png")
    big = _render(CHARTS_BY_VIEW["track_duration_popularity"], rows, tmp_path / "big.png")
    assert "<image" not in small
    assert small.count("<path") >= 50  # one per marker: small charts stay all-vector
    assert len(small) < SVG_BUDGET < len(big)
    assert big.count("<path") < 50
    assert big.count('xlink:href="data:image/png;base64,') == 1
    assert len(big) < 1_000_000
    assert "track length (minutes)" in big  # the axis label is still text


@pytest.mark.slow
def test_spoken_word_lake_fills_the_podcast_and_audiobook_charts(tmp_path):
    # Given listener C's podcasts and audiobooks (one show left out by the exclusions file)
    lake = dataset.build_spoken_word(tmp_path / "lake")
    summary = build_report(lake, tmp_path / "out")
    cards, text = parse(tmp_path / "out" / "index.html")
    assert_offline(text, cards.urls)
    spoken = ["minutes_by_content_type", "top_shows", "top_episodes", "episode_completion", "audiobook_progress"]
    for view in [*spoken, "excluded_plays"]:
        assert cards.cards[view]["status"] == "chart", (view, cards.cards[view]["text"])
        assert (tmp_path / "out" / "png" / f"{view}.png").stat().st_size > 5000
    assert [v.section for v in summary.views if v.view in spoken] == ["Podcasts and audiobooks"] * len(spoken)
    assert summary.facts.plays == 13
    assert summary.facts.plays_excluded == {"show: show banned": 1}
    assert ">1</b><small>plays left out<" in text
