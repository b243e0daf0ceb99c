"""Each view against the hand-built lake of dataset.py; every expected row below was worked out by hand."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from .dataset import A, B, C

D = date
T = datetime


def rows(con, view: str, columns: str, where: str = "") -> list[tuple]:
    """The view's rows (selected columns), sorted, with floats rounded to 4 places for comparison."""
    sql = f"SELECT {columns} FROM {view} {where}"  # noqa: S608 - test-only, literal names
    result = con.execute(sql).fetchall()
    normalised = [tuple(round(v, 4) if isinstance(v, float) else v for v in r) for r in result]
    return sorted(normalised, key=lambda r: tuple((v is None, str(v)) for v in r))


def same(actual: list[tuple], expected: list[tuple]) -> None:
    key = lambda r: tuple((v is None, str(v)) for v in r)  # noqa: E731
    assert actual == sorted(expected, key=key)


def test_play_events_times_and_lengths(berlin):
    # Given export plays (ms_played) and API plays (track length only), in Berlin time
    actual = rows(
        berlin,
        "play_events",
        "play_id, started_at, played_at_local, local_date, local_month, local_hour, local_weekday, ms_listened, "
        "artist_id, album_id",
        "WHERE listener_id = 'aaaaaaaaaaaaaaaa' AND play_id IN ('p3', 'p1', 'p5', 'p8')",
    )
    same(
        actual,
        [
            # 23:58 Berlin on the 15th; p1 ends 00:05 on the 16th although both are the 15th in UTC
            (
                "p3",
                T(2024, 1, 15, 22, 53, 58),
                T(2024, 1, 15, 23, 58),
                D(2024, 1, 15),
                D(2024, 1, 1),
                23,
                1,
                242000,
                "ar2",
                "al2",
            ),
            (
                "p1",
                T(2024, 1, 15, 23, 1, 40),
                T(2024, 1, 16, 0, 5),
                D(2024, 1, 16),
                D(2024, 1, 1),
                0,
                2,
                200000,
                "ar1",
                "al1",
            ),
            # API play: no ms_played, its track length stands in
            (
                "p5",
                T(2024, 1, 17, 9, 55),
                T(2024, 1, 17, 11, 0),
                D(2024, 1, 17),
                D(2024, 1, 1),
                11,
                3,
                300000,
                "ar3",
                "al3",
            ),
            # summer time: UTC+2
            (
                "p8",
                T(2024, 6, 10, 21, 58),
                T(2024, 6, 10, 23, 59),
                D(2024, 6, 10),
                D(2024, 6, 1),
                23,
                1,
                60000,
                None,
                None,
            ),
        ],
    )


def test_play_events_lineage_of_catalogue_ids(berlin):
    # Given export plays that name only their track (p1, p3), API plays that carry album and artists (p5, p6), an
    # account-data play without any id (p8) and an episode (p9)
    actual = rows(
        berlin,
        "play_events",
        "play_id, album_id, ids_from_catalogue",
        "WHERE play_id IN ('p1', 'p3', 'p5', 'p6', 'p8', 'p9')",
    )
    # Then the album came from the catalogue's track for the export plays only
    same(
        actual,
        [
            ("p1", "al1", True),
            ("p3", "al2", True),
            ("p5", "al3", False),
            ("p6", "al1", False),
            ("p8", None, False),
            ("p9", None, False),
        ],
    )


def test_albums_on_repeat(berlin):
    same(
        rows(berlin, "albums_on_repeat", "*"),
        [
            (A, "Album One", "Artist One", "al1", 4, 10.5, 2, 2),
            # streams only: p4 (28 s of Song Three) is a skip, not a stream
            (A, "Album Two", "Artist Two", "al2", 1, 4.0, 1, 10),
            (A, "Album Three", "Artist Three", "al3", 1, 5.0, 1, 12),
            (B, "Album One", "Artist One", "al1", 1, 3.3, 1, 2),
            (B, "Album Two", "Artist Two", "al2", 2, 8.0, 1, 10),
        ],
    )


def test_plays_by_release_year(berlin):
    same(
        rows(berlin, "plays_by_release_year", "*"),
        [
            (A, 2024, 2, 1, 4.5),
            (A, 2020, 4, 2, 10.5),
            (A, 1999, 1, 1, 5.0),
            (B, 2020, 1, 1, 3.3),
            (B, 2024, 2, 1, 8.0),
        ],
    )


def test_track_duration_popularity(berlin):
    same(
        rows(berlin, "track_duration_popularity", "*"),
        [
            (A, "t1", "Song One", "Artist One", 200000, 80, 3),
            (A, "t2", "Song Two", "Artist One", 180000, 20, 1),
            (A, "t3", "Song Three", "Artist Two", 240000, 55, 2),
            (A, "t4", "Song Four", "Artist Three", 300000, None, 1),
            (B, "t1", "Song One", "Artist One", 200000, 80, 1),
            (B, "t3", "Song Three", "Artist Two", 240000, 55, 2),
        ],
    )


def test_top_artists(berlin):
    same(
        rows(berlin, "top_artists", "*", "WHERE period <> 'last_6_months'"),
        [
            (A, "all_time", "Artist One", "ar1", 4, 10.5, 1, 1),
            # streams only: Two's 28 s play (p4) is a skip, so Two has 1 stream to Three's 2
            (A, "all_time", "Artist Three", "ar3", 2, 6.0, 2, 2),
            (A, "all_time", "Artist Two", "ar2", 1, 4.0, 3, 3),
            # the 4 weeks before A's last play (10 June) hold only that play
            (A, "last_4_weeks", "Artist Three", None, 1, 1.0, 1, 1),
            (B, "all_time", "Artist Two", "ar2", 2, 8.0, 1, 1),
            (B, "all_time", "Artist One", "ar1", 1, 3.3, 2, 2),
            (B, "last_4_weeks", "Artist Two", "ar2", 1, 4.0, 1, 1),
        ],
    )
    # every play lies within 6 months of each listener's last one
    assert rows(berlin, "top_artists", "count(*)", "WHERE period = 'last_6_months'") == [(5,)]


def test_top_tracks(berlin):
    same(
        rows(
            berlin,
            "top_tracks",
            "track_name, artist_name, track_id, plays, minutes, rank_by_plays, rank_by_minutes",
            f"WHERE listener_id = '{A}' AND period = 'all_time'",
        ),
        [
            ("Song One", "Artist One", "t1", 3, 10.0, 1, 1),
            # the account-export play of Song Four (no ids) joins the API play by name
            ("Song Four", "Artist Three", "t4", 2, 6.0, 2, 2),
            ("Song Three", "Artist Two", "t3", 1, 4.0, 3, 3),  # its 28 s play is not a stream
            ("Song Two", "Artist One", "t2", 1, 0.5, 4, 4),
        ],
    )


def test_genre_composition(berlin):
    same(
        rows(berlin, "genre_composition", "*"),
        [
            (A, "pop", 4, 10.5, 0.6667),
            (A, "dance", 4, 10.5, 0.6667),
            (A, "rock", 2, 4.5, 0.3333),
            (B, "pop", 1, 3.3, 0.3333),
            (B, "dance", 1, 3.3, 0.3333),
            (B, "rock", 2, 8.0, 0.6667),
        ],
    )


def test_artist_popularity_followers(berlin):
    same(
        rows(berlin, "artist_popularity_followers", "*"),
        [
            (A, "ar1", "Artist One", 4, 90, 1000000),
            (A, "ar2", "Artist Two", 2, 40, 5000),
            (A, "ar3", "Artist Three", 1, None, None),
            (B, "ar1", "Artist One", 1, 90, 1000000),
            (B, "ar2", "Artist Two", 2, 40, 5000),
        ],
    )


def test_mainstream_share_by_month(berlin):
    same(
        rows(berlin, "mainstream_share_by_month", "*"),
        [
            (A, D(2024, 1, 1), 6, 5, 2, 1, 0.4, 0.2, 58.0),
            (A, D(2024, 2, 1), 1, 1, 1, 0, 1.0, 0.0, 80.0),
            (A, D(2024, 6, 1), 1, 0, 0, 0, None, None, None),
            (B, D(2024, 1, 1), 2, 2, 1, 0, 0.5, 0.0, 67.5),
            (B, D(2024, 3, 1), 1, 1, 0, 0, 0.0, 0.0, 55.0),
        ],
    )


def test_popularity_by_month(berlin):
    same(
        rows(berlin, "popularity_by_month", "*"),
        [
            (A, D(2024, 1, 1), 80, "80-100", 2),
            (A, D(2024, 1, 1), 40, "40-59", 2),
            (A, D(2024, 1, 1), 20, "20-39", 1),
            (A, D(2024, 2, 1), 80, "80-100", 1),
            (B, D(2024, 1, 1), 80, "80-100", 1),
            (B, D(2024, 1, 1), 40, "40-59", 1),
            (B, D(2024, 3, 1), 40, "40-59", 1),
        ],
    )


def test_new_artists_by_month(berlin):
    same(
        rows(berlin, "new_artists_by_month", "*"),
        [
            (A, D(2024, 1, 1), 3, 3),
            (A, D(2024, 2, 1), 1, 0),
            (A, D(2024, 6, 1), 1, 0),
            (B, D(2024, 1, 1), 2, 2),
            (B, D(2024, 3, 1), 1, 0),
        ],
    )


def test_release_year_by_month(berlin):
    same(
        rows(berlin, "release_year_by_month", "*"),
        [
            (A, D(2024, 1, 1), 2017.8333, 6),
            (A, D(2024, 2, 1), 2020.0, 1),
            (B, D(2024, 1, 1), 2022.0, 2),
            (B, D(2024, 3, 1), 2024.0, 1),
        ],
    )


def test_genre_share_by_month(berlin):
    same(
        rows(berlin, "genre_share_by_month", "*"),
        [
            (A, D(2024, 1, 1), "pop", 3, 0.6),
            (A, D(2024, 1, 1), "dance", 3, 0.6),
            (A, D(2024, 1, 1), "rock", 2, 0.4),
            (A, D(2024, 2, 1), "pop", 1, 1.0),
            (A, D(2024, 2, 1), "dance", 1, 1.0),
            (B, D(2024, 1, 1), "pop", 1, 0.5),
            (B, D(2024, 1, 1), "dance", 1, 0.5),
            (B, D(2024, 1, 1), "rock", 1, 0.5),
            (B, D(2024, 3, 1), "rock", 1, 1.0),
        ],
    )


def test_daily_minutes_with_rolling_average(berlin):
    same(
        rows(berlin, "daily_minutes", "*"),
        [
            (A, D(2024, 1, 15), 1, 4.0, 0.6),
            (A, D(2024, 1, 16), 3, 4.3, 1.2),
            (A, D(2024, 1, 17), 2, 8.3, 2.4),
            (A, D(2024, 2, 20), 1, 3.3, 0.5),
            (A, D(2024, 2, 21), 1, 20.0, 3.3),
            (A, D(2024, 6, 10), 1, 1.0, 0.1),
            (B, D(2024, 1, 20), 1, 3.3, 0.5),
            (B, D(2024, 1, 21), 1, 4.0, 1.0),
            (B, D(2024, 3, 5), 1, 4.0, 0.6),
        ],
    )


def test_daily_minutes_follow_the_time_zone(utc):
    # In UTC the four late plays of 15 January all fall on the 15th
    assert rows(
        utc, "daily_minutes", "local_date, plays", f"WHERE listener_id = '{A}' AND local_date < DATE '2024-02-01'"
    ) == [
        (D(2024, 1, 15), 4),
        (D(2024, 1, 17), 2),
    ]


def test_listening_heatmap(berlin):
    same(
        rows(berlin, "listening_heatmap", "*"),
        [
            (A, 1, "Mon", 23, 2, 5.0),
            (A, 2, "Tue", 0, 3, 4.3),
            (A, 3, "Wed", 11, 2, 8.3),
            (A, 2, "Tue", 13, 1, 3.3),
            (A, 3, "Wed", 8, 1, 20.0),
            (B, 6, "Sat", 21, 1, 3.3),
            (B, 7, "Sun", 21, 1, 4.0),
            (B, 2, "Tue", 21, 1, 4.0),
        ],
    )


def test_listening_sessions(berlin):
    same(
        rows(berlin, "listening_sessions", "*"),
        [
            # spans local midnight; gaps of 3:40 and exactly 10:00 keep it together
            (
                A,
                1,
                T(2024, 1, 15, 22, 53, 58),
                T(2024, 1, 15, 23, 15, 32),
                T(2024, 1, 15, 23, 53, 58),
                D(2024, 1, 15),
                3,
                7.9,
                21.6,
            ),
            # 10:01 after the end of the previous play: a new session
            (
                A,
                2,
                T(2024, 1, 15, 23, 25, 33),
                T(2024, 1, 15, 23, 26, 1),
                T(2024, 1, 16, 0, 25, 33),
                D(2024, 1, 16),
                1,
                0.5,
                0.5,
            ),
            # API plays: start = end minus track length; overlapping plays stay in one session
            (A, 3, T(2024, 1, 17, 9, 55), T(2024, 1, 17, 10, 5), T(2024, 1, 17, 10, 55), D(2024, 1, 17), 2, 8.3, 10.0),
            (
                A,
                4,
                T(2024, 2, 20, 11, 56, 40),
                T(2024, 2, 20, 12, 0),
                T(2024, 2, 20, 12, 56, 40),
                D(2024, 2, 20),
                1,
                3.3,
                3.3,
            ),
            (A, 5, T(2024, 2, 21, 6, 40), T(2024, 2, 21, 7, 0), T(2024, 2, 21, 7, 40), D(2024, 2, 21), 1, 20.0, 20.0),
            (A, 6, T(2024, 6, 10, 21, 58), T(2024, 6, 10, 21, 59), T(2024, 6, 10, 23, 58), D(2024, 6, 10), 1, 1.0, 1.0),
            (
                B,
                1,
                T(2024, 1, 20, 19, 56, 40),
                T(2024, 1, 20, 20, 0),
                T(2024, 1, 20, 20, 56, 40),
                D(2024, 1, 20),
                1,
                3.3,
                3.3,
            ),
            (B, 2, T(2024, 1, 21, 19, 56), T(2024, 1, 21, 20, 0), T(2024, 1, 21, 20, 56), D(2024, 1, 21), 1, 4.0, 4.0),
            (B, 3, T(2024, 3, 5, 19, 56), T(2024, 3, 5, 20, 0), T(2024, 3, 5, 20, 56), D(2024, 3, 5), 1, 4.0, 4.0),
        ],
    )


def test_listening_streaks(berlin, utc):
    same(
        rows(berlin, "listening_streaks", "*"),
        [
            (A, D(2024, 1, 15), D(2024, 1, 17), 3, 1, False),
            (A, D(2024, 2, 20), D(2024, 2, 21), 2, 2, False),
            (A, D(2024, 6, 10), D(2024, 6, 10), 1, 3, True),
            (B, D(2024, 1, 20), D(2024, 1, 21), 2, 1, False),
            (B, D(2024, 3, 5), D(2024, 3, 5), 1, 2, True),
        ],
    )
    # In UTC nothing is played on 16 January, so the January streak breaks in two
    assert rows(utc, "listening_streaks", "streak_start, days", f"WHERE listener_id = '{A}'") == [
        (D(2024, 1, 15), 1),
        (D(2024, 1, 17), 1),
        (D(2024, 2, 20), 2),
        (D(2024, 6, 10), 1),
    ]


def test_skip_stats_by_month(berlin):
    # export plays only: p1 played through, p2 (32 s) and p4 (28 s) skipped; p3's skipped is null; the episode
    # and the API plays do not count
    same(
        rows(berlin, "skip_stats_by_month", "*"),
        [
            (A, D(2024, 1, 1), 3, 2, 0.6667, 30.0),
            (A, D(2024, 2, 1), 1, 0, 0.0, None),
        ],
    )


def test_plays_by_country_platform(berlin):
    same(
        rows(berlin, "plays_by_country_platform", "*"),
        [
            # families of curation/rules.py PLATFORM_FAMILIES: Windows and OS X are Desktop,
            # Android and iOS Mobile (p1 3.3 + p9 20.0 + p2 0.5 minutes)
            (A, "DE", "Desktop", 1, 4.0),
            (A, "DE", "Mobile", 3, 23.9),
            (A, "SE", "Desktop", 1, 0.5),
            (A, "DE", "not recorded", 2, 8.3),
            (A, "DE", "Web", 1, 3.3),
            (A, "unknown", "not recorded", 1, 1.0),
            (B, "SE", "not recorded", 3, 11.3),
        ],
    )


def test_monthly_active_listeners(berlin):
    same(
        rows(berlin, "monthly_active_listeners", "*"),
        [
            # p4 (28 s) is the only play under 30 s
            (D(2024, 1, 1), 2, 8, 7, 3.5, 12.0),
            (D(2024, 2, 1), 1, 2, 2, 2.0, 23.3),
            (D(2024, 3, 1), 1, 1, 1, 1.0, 4.0),
            (D(2024, 6, 1), 1, 1, 1, 1.0, 1.0),
        ],
    )


def test_streams_per_listener(berlin):
    same(
        rows(berlin, "streams_per_listener", "*"),
        [
            (A, D(2024, 1, 1), 6, 5, 16.7),
            (A, D(2024, 2, 1), 2, 2, 23.3),
            (A, D(2024, 6, 1), 1, 1, 1.0),
            (B, D(2024, 1, 1), 2, 2, 7.3),
            (B, D(2024, 3, 1), 1, 1, 4.0),
        ],
    )


def test_engagement_by_country_hour(berlin):
    same(
        rows(berlin, "engagement_by_country_hour", "*"),
        [
            ("DE", 23, 1, 1, 4.0, 1.0),
            ("DE", 0, 1, 2, 3.9, 2.0),
            ("SE", 0, 1, 1, 0.5, 1.0),
            ("DE", 11, 1, 2, 8.3, 2.0),
            ("DE", 13, 1, 1, 3.3, 1.0),
            ("DE", 8, 1, 1, 20.0, 1.0),
            ("unknown", 23, 1, 1, 1.0, 1.0),
            ("SE", 21, 1, 3, 11.3, 3.0),
        ],
    )


def test_listener_churn(berlin):
    # A plays in January, February and June; B in January and March
    same(
        rows(berlin, "listener_churn", "*"),
        [
            (D(2024, 1, 1), 2, 2, 0, 0, 0),
            (D(2024, 2, 1), 1, 0, 1, 0, 1),
            (D(2024, 3, 1), 1, 0, 0, 1, 1),
            (D(2024, 4, 1), 0, 0, 0, 0, 1),
            (D(2024, 5, 1), 0, 0, 0, 0, 0),
            (D(2024, 6, 1), 1, 0, 0, 1, 0),
        ],
    )


def test_shared_favourites(berlin):
    same(
        rows(berlin, "shared_favourites", "*"),
        [
            (A, B, "Artist One", 4, 1, 1, 2),
            (A, B, "Artist Two", 1, 2, 3, 1),
            (B, A, "Artist One", 1, 4, 2, 1),
            (B, A, "Artist Two", 2, 1, 1, 3),
        ],
    )


def test_table_record_counts(berlin):
    assert dict(rows(berlin, "table_record_counts", "*")) == {
        "plays": 17,  # the curated table keeps the 5 plays the analyses leave out
        "tracks": 4,
        "albums": 3,
        "artists": 3,
        "artist_snapshots": 0,
        "top_items": 5,
        "saved_tracks": 0,
        "playlists": 2,
        "playlist_items": 7,
        "search_results": 6,
        "quarantine": 1,
        "data_quality": 0,
        "exclusions": 4,
    }


def test_genre_hit_scores(berlin):
    same(
        rows(berlin, "genre_hit_scores", "*"),
        [
            ("pop", D(2024, 6, 1), 2, 50.0, 80),
            ("rock", D(2024, 6, 1), 2, 55.0, 55),
        ],
    )


def test_playlist_top_artists(berlin):
    same(
        rows(berlin, "playlist_top_artists", "*"),
        [
            (A, 1, "ar1", "Artist One", 2),
            (A, 2, "ar2", "Artist Two", 1),
        ],
    )


def test_artist_metrics(berlin):
    same(
        rows(berlin, "artist_metrics", "*"),
        [
            ("ar1", "Artist One", 90, 1000000, 50.0, 190000.0, 2, 1, 2),
            ("ar2", "Artist Two", 40, 5000, 37.5, 210000.0, 2, 1, 10),
            ("ar3", "Artist Three", None, None, None, 300000.0, 1, 1, 12),
        ],
    )


def test_release_recency_popularity(berlin):
    # catalogue refreshed 2024-06-30: Album Two (2024-05) is recent, 2020 and 1999 are older
    same(
        rows(berlin, "release_recency_popularity", "*"),
        [
            ("last quarter", 1, 1, 40.0, 55.0),
            ("older", 2, 3, 60.0, 50.0),
        ],
    )


def test_current_top_tracks(berlin):
    same(
        rows(berlin, "current_top_tracks", "*"),
        [
            (A, "short_term", 1, "t3", "Song Three", "Artist Two", D(2024, 6, 1)),
            (A, "short_term", 2, "t1", "Song One", "Artist One", D(2024, 6, 1)),
            (A, "long_term", 1, "t1", "Song One", "Artist One", D(2024, 6, 1)),
        ],
    )


def test_hit_score_distribution(berlin):
    same(
        rows(berlin, "hit_score_distribution", "*"),
        [(20, "20-29", 1), (50, "50-59", 1), (80, "80-89", 1)],
    )


@pytest.mark.parametrize(
    "view", ["genre_composition", "genre_share_by_month", "popularity_by_month", "hit_score_distribution"]
)
def test_development_mode_leaves_field_views_empty(view, dev_mode):
    # Given a lake whose catalogue lacks popularity and genres, the views still run and return no rows
    assert rows(dev_mode, view, "count(*)") == [(0,)]


def test_development_mode_returns_nulls(dev_mode):
    assert rows(dev_mode, "artist_popularity_followers", "DISTINCT popularity, followers") == [(None, None)]
    assert rows(dev_mode, "mainstream_share_by_month", "count(*), count(mainstream_share)") == [(5, 0)]
    assert rows(dev_mode, "genre_hit_scores", "genre, tracks, hit_score") == [("pop", 2, None), ("rock", 2, None)]


def test_minutes_are_wall_clock_and_charts_count_streams(tmp_path):
    """Ghost plays on one device count their uncovered part only; a 20 s skip is no stream."""
    from spotify_lake.report.lake import connect, create_views
    from tests.support.lake_builder import write_table

    def play(pid, at, ms, wall, overlaps, track="Song C"):
        return {
            "play_id": pid,
            "listener_id": A,
            "played_at": T.fromisoformat(at + "+00:00"),
            "content_type": "track",
            "track_name": track,
            "artist_name": "Artist C",
            "ms_played": ms,
            "is_stream": ms >= 30_000,
            "overlaps_previous": overlaps,
            "ms_wall_clock": wall,
            "platform": "Partner android_tv Amazon;AFTMM;",
            "conn_country": "DE",
            "source": "export_extended",
            "play_month": "2024-03",
        }

    write_table(
        tmp_path,
        "plays",
        [
            play("g1", "2024-03-02 21:00:00", 180_000, 180_000, False),
            play("g2", "2024-03-02 21:00:05", 175_000, 5_000, True),
            play("g3", "2024-03-02 21:00:10", 170_000, 5_000, True),
            play("s1", "2024-03-02 22:00:00", 20_000, 20_000, False, track="Song D"),
        ],
    )
    con = connect(tmp_path)
    assert [s for s in create_views(con, "UTC") if not s.ok] == []
    # 190 s of Song C + 20 s of Song D, not the 545 s summed
    assert rows(con, "daily_minutes", "local_date, plays, minutes") == [(D(2024, 3, 2), 4, 3.5)]
    assert rows(con, "plays_by_country_platform", "platform_family, plays, minutes") == [("TV", 4, 3.5)]
    assert rows(con, "top_tracks", "track_name, plays, minutes", "WHERE period = 'all_time'") == [
        ("Song C", 3, 3.2)  # Song D's 20 s play is a skip, not a stream
    ]
    assert rows(con, "play_events", "count_if(overlaps_previous)") == [(2,)]
    con.close()


# -- exclusions and private sessions ----------------------------------------------------------------------------

PRIVATE = "private session (incognito mode): left out unless the exclusions say private_sessions,keep"


def test_excluded_plays_say_which_rule_left_each_out(utc):
    # Given two private-session plays of A (x2 is also by an excluded artist), one by the excluded artist
    # "Artist, Four" (written "ARTIST, FOUR" in the file), and B's rules for a show and for every audiobook
    same(
        rows(
            utc, "excluded_plays", "listener_id, play_id, play_month, ms_listened, excluded_by, excluded_value, reason"
        ),
        [
            (A, "x1", "2024-02", 200_000, "private_session", None, PRIVATE),
            (A, "x2", "2024-02", 150_000, "private_session", None, PRIVATE),  # one reason per play, the first
            (A, "x3", "2024-02", 90_000, "artist", "ARTIST, FOUR", 'my kid\'s "favourite", not mine'),
            (B, "x4", "2024-01", 600_000, "show", "Show Hidden", "work podcast"),
            (B, "x5", "2024-01", 300_000, "content_type", "audiobook", None),
        ],
    )


def test_play_events_leave_excluded_plays_out_and_the_plays_table_keeps_them(utc):
    assert rows(utc, "play_events", "count(*), count_if(play_id LIKE 'x%')") == [(12, 0)]
    assert rows(utc, "plays", "count(*)") == [(17,)]
    # the rule for B's show does not touch A's podcast play, and "Nonexistent Song" matches nothing
    assert rows(utc, "play_events", "play_id", "WHERE content_type = 'episode'") == [("p9",)]


def test_private_sessions_are_left_out_by_default_without_any_exclusions(tmp_path):
    from spotify_lake.report.lake import connect, create_views
    from tests.support.lake_builder import write_exclusions

    from . import dataset

    # Given the same lake with an exclusions file holding only its header line
    lake = dataset.build(tmp_path)
    write_exclusions(lake, "kind,value,listener_id,reason\n")
    con = connect(lake)
    assert [s for s in create_views(con, "UTC") if not s.ok] == []
    # Then only the private-session plays are left out: x3, x4 and x5 count again
    assert rows(con, "excluded_plays", "play_id, excluded_by") == [("x1", "private_session"), ("x2", "private_session")]
    assert rows(con, "play_events", "count(*)") == [(15,)]
    con.close()


def test_a_keep_row_counts_private_sessions_and_rules_apply_to_every_listener(spoken):
    # Given listener C's file: private_sessions,keep for C, and "show banned" for everyone (lower case)
    same(
        rows(spoken, "excluded_plays", "listener_id, play_id, excluded_by, excluded_value, reason"),
        [(C, "s14", "show", "show banned", None)],
    )
    assert rows(spoken, "play_events", "play_id", "WHERE play_id = 's4'") == [("s4",)]  # private, kept


# -- podcasts and audiobooks ------------------------------------------------------------------------------------


def test_minutes_by_content_type(spoken):
    # March: music 200 s; podcasts 1,200 + 600 + 300 + 100 s (the private play counts for C); audiobook
    # 600 + 300 + 400 + 50 s. April: account-data podcast 900 s and audiobook 1,000 s, a local file (music)
    # and a play of unknown type (other). The excluded show's 500 s count nowhere.
    same(
        rows(spoken, "minutes_by_content_type", "listener_id, month, content, plays, minutes"),
        [
            (C, D(2024, 3, 1), "music", 1, 3.3),
            (C, D(2024, 3, 1), "podcast", 4, 36.7),
            (C, D(2024, 3, 1), "audiobook", 4, 22.5),
            (C, D(2024, 4, 1), "music", 1, 2.0),
            (C, D(2024, 4, 1), "podcast", 1, 15.0),
            (C, D(2024, 4, 1), "audiobook", 1, 16.7),
            (C, D(2024, 4, 1), "other", 1, 0.2),
        ],
    )


def test_top_shows(spoken):
    same(
        rows(spoken, "top_shows", "*"),
        [
            (C, "Show One", 2, 4, 36.7, D(2024, 3, 1), D(2024, 3, 4), 1),
            (C, "Show Two", 1, 1, 15.0, D(2024, 4, 1), D(2024, 4, 1), 2),
        ],
    )


def test_top_episodes(spoken):
    # Episode One's two sittings add up (20 + 10 minutes); the account-data episode has no URI
    same(
        rows(spoken, "top_episodes", "*"),
        [
            (C, "Show One", "Episode One", "spotify:episode:e1", 2, 30.0, 1),
            (C, "Show Two", "Episode Z", None, 1, 15.0, 2),
            (C, "Show One", "Episode Two", "spotify:episode:e2", 2, 6.7, 3),
        ],
    )


def test_episode_completion(spoken):
    # finished = some play reached the end (trackdone); unknown (NULL) when no play says how it ended
    same(
        rows(spoken, "episode_completion", "*"),
        [
            (C, "Show One", "Episode One", 2, 30.0, 2, True, D(2024, 3, 1), D(2024, 3, 2)),
            (C, "Show One", "Episode Two", 2, 6.7, 2, False, D(2024, 3, 3), D(2024, 3, 4)),
            (C, "Show Two", "Episode Z", 1, 15.0, 0, None, D(2024, 4, 1), D(2024, 4, 1)),
        ],
    )


def test_audiobook_progress(spoken):
    # Book Q: chapters 1 and 2 finished (2 in its second sitting), 3 started last; Book R from account data
    same(
        rows(spoken, "audiobook_progress", "*"),
        [
            (C, "Book Q", 3, 2, 4, 22.5, D(2024, 3, 5), D(2024, 3, 8), "Chapter 3"),
            (C, "Book R", 1, None, 1, 16.7, D(2024, 4, 2), D(2024, 4, 2), "Chapter 1"),
        ],
    )


def test_podcast_views_of_the_edge_lake(berlin):
    # A's one episode (p9) in February; B's podcast and audiobook plays are excluded
    assert rows(berlin, "top_shows", "listener_id, show_name, episodes, plays, minutes") == [
        (A, "Show One", 1, 1, 20.0)
    ]
    assert rows(berlin, "audiobook_progress", "count(*)") == [(0,)]
    assert rows(berlin, "minutes_by_content_type", "month, content, plays", f"WHERE listener_id = '{A}'") == [
        (D(2024, 1, 1), "music", 6),
        (D(2024, 2, 1), "music", 1),
        (D(2024, 2, 1), "podcast", 1),
        (D(2024, 6, 1), "music", 1),
    ]
