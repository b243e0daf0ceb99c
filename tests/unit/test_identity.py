"""The play identity, merge rule and listener id in plain Python (lake_contract/identity.py).

tests/curation/test_identity_agrees.py checks on generated plays that curation's Spark expressions agree.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lake_contract import identity


def test_listener_id_known_answers():
    # echo -n "spotify-user:alice" | sha256sum | cut -c1-16
    assert identity.listener_id("alice") == "3dc9738c1761942d"
    # echo -n "spotify-user:31l2k3j4h5g6f7d8s9a0" | sha256sum | cut -c1-16
    assert identity.listener_id("31l2k3j4h5g6f7d8s9a0") == "9f7fdebf041a1d35"
    with pytest.raises(ValueError, match="user id is required"):
        identity.listener_id("")


def test_play_id_known_answer():
    # echo -n "3dc9738c1761942d|2024-03-01T10:00:40|spotify:track:T1" | sha256sum | cut -c1-32
    at = datetime(2024, 3, 1, 10, 0, 40, 999_000, tzinfo=UTC)  # milliseconds do not count
    assert identity.play_id("3dc9738c1761942d", at, "spotify:track:T1") == "b23eb572742c8dc43bb0f6fcf6934928"


def test_account_identity_includes_ms_played_so_replays_survive():
    first = {"endTime": "2024-03-01 10:00", "artistName": "Artist A", "trackName": "Song A", "msPlayed": 200000}
    replay = {**first, "msPlayed": 5000}
    assert identity.export_row_identity(first) == "name:song a|artist a|ms=200000"
    assert identity.export_row_identity(replay) == "name:song a|artist a|ms=5000"
    assert identity.export_row_identity(dict(first)) == identity.export_row_identity(first)  # a true repeat


def test_extended_identity_is_the_uri_and_names_for_audiobooks():
    row = {"ts": "2024-03-01T10:00:40Z", "spotify_track_uri": "spotify:track:T1", "ms_played": 5}
    assert identity.export_row_identity(row) == "spotify:track:T1"
    local = {"ts": "x", "spotify_track_uri": "spotify:local:a:b:c:1", "master_metadata_track_name": "Demo"}
    assert identity.export_row_identity(local) == "name:demo|"
    chapter = {"endTime": "x", "audiobookName": "Book Q", "chapterName": "Chapter 1", "msPlayed": 1}
    assert identity.export_row_identity(chapter) == "name:chapter 1|book q|ms=1"
    assert identity.name_key({"audiobook_chapter_title": "Chapter 1", "audiobook_title": "Book Q"}) == (
        "chapter 1|book q"
    )
    assert identity.name_key({"audiobook_title": "Book Q"}) == "book q|"
    assert identity.name_key({"artist_name": "Artist"}) is None


def test_audiobook_uris_are_identities():
    chapter = {"ts": "x", "audiobook_chapter_uri": "spotify:chapter:C1", "audiobook_uri": "spotify:audiobook:B1"}
    assert identity.export_row_identity(chapter) == "spotify:chapter:C1"
    assert identity.export_row_identity({"ts": "x", "audiobook_uri": "spotify:audiobook:B1"}) == "spotify:audiobook:B1"


def test_stream_threshold_is_thirty_seconds():
    assert identity.STREAM_MS == 30_000


def test_windows_and_reach_are_derived_from_the_tolerance():
    assert identity.ACCOUNT_WINDOW_S == (-60, 120)
    assert identity.MERGE_REACH_S == 180  # the 3 minutes curation has always read back around a new play


def _play(source: str, second: int, **fields: object) -> dict[str, object]:
    at = datetime(2024, 3, 1, 10, 0, 0, tzinfo=UTC).timestamp() + second
    return {"listener_id": "L", "source": source, "played_at": datetime.fromtimestamp(at, UTC), **fields}


def test_longest_then_richest_then_curated_duplicate_wins():
    short = _play("export_extended", 0, track_uri="spotify:track:T", ms_played=1_000, _new=True)
    long = _play("export_legacy", 0, track_uri="spotify:track:T", ms_played=9_000, _new=True)
    assert identity.pair_winner(short, long) is long
    legacy = {**long, "ms_played": 1_000}
    assert identity.pair_winner(legacy, short) is short  # extended over legacy
    curated = {**short, "_new": False}
    assert identity.pair_winner(short, curated) is curated


def test_export_absorbs_the_api_play_within_the_tolerance():
    export = _play("export_extended", 0, track_uri="spotify:track:T", ms_played=1_000)
    assert identity.pair_winner(_play("api", 60, track_uri="spotify:track:T"), export) is export
    assert identity.pair_winner(_play("api", 61, track_uri="spotify:track:T"), export) is None


def test_account_row_is_absorbed_in_its_window_with_the_same_ms():
    names = {"track_name": "Song", "artist_name": "Artist"}
    account = _play("export_account", 0, ms_played=40_000, **names)
    assert identity.pair_winner(account, other := _play("export_extended", 120, ms_played=40_000, **names)) is other
    assert identity.pair_winner(account, _play("export_extended", 121, ms_played=40_000, **names)) is None
    assert identity.pair_winner(account, _play("export_extended", 30, ms_played=39_000, **names)) is None
    assert identity.pair_winner(account, api := _play("api", -60, **names)) is api  # a stream, the API has no ms
    short = {**account, "ms_played": 20_000}
    assert identity.pair_winner(short, _play("api", 0, **names)) is None
