"""Synthetic privacy exports: Spotify's file names and quirks, and the overlap with the emulator's API."""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import zipfile

import pytest

from spotify_lake.sources.emulator import Emulator
from spotify_lake.sources.emulator.listening import make_listener
from spotify_lake.sources.exportgen import (
    EXPORT_OVERLAP,
    ROWS_MAX,
    ROWS_MIN,
    SHAPES_USER,
    play_identity,
    write_export,
    write_shapes,
)

EXTENDED_NAME = re.compile(r"^Spotify Extended Streaming History/Streaming_History_Audio_(\d{4}(-\d{4})?)_(\d+)\.json$")


def _files(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


@pytest.fixture(scope="module")
def big_export(tmp_path_factory):
    path = tmp_path_factory.mktemp("export") / "export.zip"
    return write_export(path, seed=7, days=365, plays=60_000), _files(path)


def test_extended_files_names_and_sizes(big_export):
    summary, files = big_export
    audio = sorted((n for n in files if EXTENDED_NAME.match(n)), key=lambda n: int(EXTENDED_NAME.match(n)[3]))
    assert len(audio) == summary.files >= 4
    assert [int(EXTENDED_NAME.match(n)[3]) for n in audio] == list(range(len(audio)))
    assert any(n.startswith("Spotify Extended Streaming History/Streaming_History_Video_") for n in files)
    rows = [json.loads(files[n]) for n in audio]
    assert all(ROWS_MIN <= len(r) <= ROWS_MAX for r in rows[:-1])
    assert sum(len(r) for r in rows) == summary.rows == summary.plays + summary.duplicates
    assert summary.plays == 60_000
    identities = {
        (r["ts"], r["spotify_track_uri"] or r["spotify_episode_uri"] or r["audiobook_chapter_uri"])
        for chunk in rows
        for r in chunk
    }
    assert len(identities) == summary.plays  # the export's own key, as DuckDB or pandas would dedupe it
    assert summary.lanes > 1  # 60k plays in a year is more than one listener plays: extra lanes
    for name, chunk in zip(audio, rows, strict=True):
        years = EXTENDED_NAME.match(name)[1]  # "2025" or "2025-2026": the years of the file's own rows
        assert years.split("-")[-1] == chunk[-1]["ts"][:4]


def test_play_identity_is_the_uri_or_the_normalised_names():
    assert play_identity({"spotify_track_uri": "spotify:track:T1", "master_metadata_track_name": "Song"}) == (
        "spotify:track:T1"
    )
    assert play_identity({"spotify_track_uri": None, "spotify_episode_uri": "spotify:episode:E1"}) == (
        "spotify:episode:E1"
    )
    assert play_identity({"trackName": " Song ", "artistName": "BAND"}) == "name:song|band"
    assert play_identity({"episodeName": "Ep 1", "podcastName": "Show"}) == "name:ep 1|show"
    assert play_identity({"spotify_track_uri": None, "master_metadata_track_name": None}) == "name:"


def test_extended_quirks_present(big_export):
    summary, files = big_export
    names = sorted(n for n in files if EXTENDED_NAME.match(n))
    rows = [row for n in names for row in json.loads(files[n])]
    assert set(rows[0]) >= {"ts", "platform", "ms_played", "conn_country", "ip_addr", "spotify_track_uri",
                            "spotify_episode_uri", "reason_start", "reason_end", "shuffle", "skipped", "offline",
                            "offline_timestamp", "incognito_mode", "audiobook_uri"}  # fmt: skip
    podcasts = [r for r in rows if r["spotify_episode_uri"]]
    assert podcasts
    assert all(r["spotify_track_uri"] is None and r["episode_show_name"] for r in podcasts)
    books = [r for r in rows if r["audiobook_chapter_uri"]]
    assert books
    assert all(r["spotify_track_uri"] is None and r["spotify_episode_uri"] is None for r in books)
    assert all(r["audiobook_title"] and r["audiobook_uri"].startswith("spotify:audiobook:") for r in books)
    assert all(r["audiobook_chapter_title"].startswith("Chapter ") for r in books)
    assert len({r["audiobook_title"] for r in books}) == 2  # two of the twelve shows are audiobooks
    # episodes end "trackdone" when the listener reached the end, else "endplay"
    assert {r["reason_end"] for r in podcasts + books} == {"trackdone", "endplay"}
    assert all(r["skipped"] == (r["reason_end"] != "trackdone") for r in podcasts + books if r["skipped"] is not None)
    nameless = [
        r
        for r in rows
        if r["spotify_track_uri"] is None and r["spotify_episode_uri"] is None and r["audiobook_chapter_uri"] is None
    ]
    assert nameless
    assert all(r["master_metadata_track_name"] is None and r["ms_played"] <= 30_000 for r in nameless)
    offline = [r["offline_timestamp"] for r in rows if r["offline"]]
    assert any(ts > 10**12 for ts in offline)  # milliseconds
    assert any(10**9 < ts < 10**11 for ts in offline)  # seconds
    assert all(r["offline_timestamp"] == 0 for r in rows if not r["offline"])
    assert any(r["skipped"] is None for r in rows)
    assert any(r["ms_played"] < 30_000 for r in rows)
    # duplicated rows: a file's first rows repeat the previous file's last rows
    assert summary.duplicates > 0
    parsed = {n: json.loads(files[n]) for n in names}
    ordered = sorted(names, key=lambda n: int(EXTENDED_NAME.match(n)[3]))
    repeats = sum(1 for prev, cur in itertools.pairwise(ordered) for row in parsed[cur][:3] if row in parsed[prev][-3:])
    assert repeats == summary.duplicates


def test_export_overlaps_recently_played(tmp_path, make_client):
    summary = write_export(tmp_path / "e.zip", seed=21, days=20)
    rows = [row for name, data in _files(tmp_path / "e.zip").items() if "Audio" in name for row in json.loads(data)]
    exported = {(r["ts"], r["spotify_track_uri"]) for r in rows}
    with Emulator(seed=21, days=20) as emu:
        recent = make_client(emu).current_user_recently_played(limit=50)["items"]
    api = [(i["played_at"][:19] + "Z", i["track"]["uri"]) for i in recent]  # newest first
    assert [p in exported for p in api] == [False] * (50 - EXPORT_OVERLAP) + [True] * EXPORT_OVERLAP
    assert summary.last_ts == api[50 - EXPORT_OVERLAP][0]
    assert summary.first_ts >= "2026-10-12T00:00:00Z"


def test_same_seed_same_bytes(tmp_path):
    first = write_export(tmp_path / "a.zip", seed=3, days=15, fmt="legacy")
    second = write_export(tmp_path / "b.zip", seed=3, days=15, fmt="legacy")
    other = write_export(tmp_path / "c.zip", seed=4, days=15, fmt="legacy")
    digest = [hashlib.sha256((tmp_path / n).read_bytes()).hexdigest() for n in ("a.zip", "b.zip", "c.zip")]
    assert digest[0] == digest[1] != digest[2]
    assert (first.rows, first.first_ts, first.last_ts) == (second.rows, second.first_ts, second.last_ts)
    assert other.last_ts != first.last_ts


def test_legacy_and_account_formats(tmp_path):
    write_export(tmp_path / "legacy.zip", seed=3, days=15, fmt="legacy")
    legacy = _files(tmp_path / "legacy.zip")
    assert list(legacy) == ["MyData/endsong_0.json"]
    row = json.loads(legacy["MyData/endsong_0.json"])[0]
    assert {"username", "ip_addr_decrypted", "user_agent_decrypted"} <= set(row)
    assert "ip_addr" not in row
    summary = write_export(tmp_path / "account.zip", seed=3, days=15, fmt="account")
    account = _files(tmp_path / "account.zip")
    assert "Spotify Account Data/StreamingHistory_music_0.json" in account
    data = account["Spotify Account Data/StreamingHistory_music_0.json"]
    assert data.startswith(b"\xef\xbb\xbf")  # this format ships with a UTF-8 BOM
    rows = json.loads(data.decode("utf-8-sig"))
    assert set(rows[0]) == {"endTime", "artistName", "trackName", "msPlayed"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", rows[0]["endTime"])
    podcasts = [n for n in account if "StreamingHistory_podcast_" in n]

    history = [n for n in account if "/StreamingHistory" in n]
    total = sum(len(json.loads(account[n].decode("utf-8-sig"))) for n in history)
    assert total == summary.rows
    assert podcasts
    assert json.loads(account["Spotify Account Data/Userdata.json"])["username"] == make_listener(3, 0).user_id
    assert sorted(n for n in account if n not in history) == [
        "Spotify Account Data/Userdata.json",
        "Spotify Account Data/YourLibrary.json",
    ]


def test_older_account_format_mixes_podcasts_into_music_files(tmp_path):
    summary = write_export(tmp_path / "older.zip", seed=3, days=15, fmt="account_older")
    files = _files(tmp_path / "older.zip")
    history = sorted(n for n in files if re.fullmatch(r"MyData/StreamingHistory\d+\.json", n))
    assert history[0] == "MyData/StreamingHistory0.json"
    rows = [r for n in history for r in json.loads(files[n].decode("utf-8-sig"))]
    assert len(rows) == summary.rows
    assert all(set(r) == {"endTime", "artistName", "trackName", "msPlayed"} for r in rows)
    shows = {s["name"] for s in json.loads(files["MyData/YourLibrary.json"])["shows"]}
    assert shows  # the listener follows podcasts ...
    assert any(r["artistName"] in shows for r in rows)  # ... whose episodes sit among the music rows
    assert json.loads(files["MyData/Userdata.json"])["username"] == make_listener(3, 0).user_id


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"fmt": "csv"}, "format"), ({"days": 0}, "days"), ({"plays": 0}, "plays"), ({"listener_index": 5}, "listener")],
)
def test_bad_arguments(tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        write_export(tmp_path / "x.zip", **{"seed": 1, "days": 5, **kwargs})


def _rows(files: dict[str, bytes], name: str) -> list[dict]:
    return json.loads(files[name].decode("utf-8-sig"))


def _distinct_plays(rows: list[dict]) -> int:
    return len({(r.get("ts") or r["endTime"], play_identity(r)) for r in rows})


def test_shapes_extended_history(tmp_path):
    shapes = write_shapes(tmp_path)
    files = _files(shapes.extended)
    folder = "Spotify Extended Streaming History/"
    assert sorted(files) == [
        folder + "ReadMeFirst_ExtendedStreamingHistory.pdf",
        folder + "Streaming_History_Audio_2023_0.json",
        folder + "Streaming_History_Audio_2024_0.json",
        folder + "Streaming_History_Audio_2024_1.json",
        folder + "Streaming_History_Video_2023-2024.json",
    ]
    y2023 = _rows(files, folder + "Streaming_History_Audio_2023_0.json")
    y2024 = _rows(files, folder + "Streaming_History_Audio_2024_0.json")
    y2024b = _rows(files, folder + "Streaming_History_Audio_2024_1.json")
    assert (len(y2023), len(y2024), len(y2024b)) == (4, 6, 5)
    assert b"\n" not in files[folder + "Streaming_History_Audio_2023_0.json"]  # 2023 files come minified
    assert {r["username"] for r in y2023} == {SHAPES_USER}  # 2023 format: username in every record
    assert all("username" not in r and "audiobook_chapter_title" in r for r in y2024 + y2024b)
    # same-second duplicate with 0 ms written before the real row
    assert [(r["ts"], r["ms_played"]) for r in y2023[1:3]] == [
        ("2023-06-01T08:03:30Z", 0),
        ("2023-06-01T08:03:30Z", 210000),
    ]
    assert y2024b[0] == y2024[-1]  # an exact repeat across files
    ghosts = [r for r in y2024 if r["reason_end"] == "remote"]
    assert [(r["ts"][11:19], r["ms_played"]) for r in ghosts] == [
        ("21:00:00", 180000),
        ("21:00:05", 175000),
        ("21:00:10", 170000),
    ]
    assert {r["platform"] for r in ghosts} == {"Partner android_tv Amazon;AFTMM;6af2b6ff-4ce1-4d6a-9a86-0f3e1e7cd0a4;"}
    assert _distinct_plays(y2023 + y2024 + y2024b) == 13
    assert _rows(files, folder + "Streaming_History_Video_2023-2024.json") == []


def test_shapes_account_data_newer_and_older_naming(tmp_path):
    shapes = write_shapes(tmp_path)
    newer = _files(shapes.account)
    folder = "Spotify Account Data/"
    music = [r for n in ("music_0", "music_1") for r in _rows(newer, f"{folder}StreamingHistory_{n}.json")]
    podcast = _rows(newer, folder + "StreamingHistory_podcast_0.json")
    book = _rows(newer, folder + "StreamingHistory_audiobook_0.json")
    assert (len(music), len(podcast), len(book)) == (9, 1, 1)
    assert book == [
        {"endTime": "2024-03-04 22:10", "audiobookName": "Book Q", "chapterName": "Chapter 1",
         "authorName": "Author Q", "msPlayed": 600000}
    ]  # fmt: skip
    replays = [r for r in music if r["endTime"] == "2024-03-01 10:00"]
    assert [r["msPlayed"] for r in replays] == [200000, 5000]  # same minute, two listens
    assert _distinct_plays(music + podcast + book) == 10
    assert json.loads(newer[folder + "Userdata.json"])["username"] == SHAPES_USER

    older = _files(shapes.account_older)
    rows = _rows(older, "MyData/StreamingHistory0.json") + _rows(older, "MyData/StreamingHistory1.json")
    assert len(rows) == 10
    episode = {"endTime": "2024-03-03 07:30", "artistName": "Show P", "trackName": "Episode P2", "msPlayed": 1500000}
    assert episode in rows
    assert _distinct_plays(rows) == 9
    assert [s["name"] for s in json.loads(older["MyData/YourLibrary.json"])["shows"]] == ["Show P"]


def test_play_identity_of_account_rows_includes_ms_played():
    row = {"endTime": "2024-03-01 10:00", "artistName": "A", "trackName": "S", "msPlayed": 5000}
    assert play_identity(row) == "name:s|a|ms=5000"


def test_account_data_has_its_audiobook_files(tmp_path):
    # Given three months of a listener's account data (audiobooks are two shows' worth of spoken-word plays)
    summary = write_export(tmp_path / "account.zip", seed=3, days=90, fmt="account")
    account = _files(tmp_path / "account.zip")
    books = [n for n in account if n.startswith("Spotify Account Data/StreamingHistory_audiobook_")]
    assert books
    rows = [r for n in books for r in json.loads(account[n].decode("utf-8-sig"))]
    assert set(rows[0]) == {"endTime", "audiobookName", "chapterName", "authorName", "msPlayed"}
    assert all(r["chapterName"].startswith("Chapter ") for r in rows)
    history = [n for n in account if "/StreamingHistory" in n]
    assert sum(len(json.loads(account[n].decode("utf-8-sig"))) for n in history) == summary.rows
    library = json.loads(account["Spotify Account Data/YourLibrary.json"])
    assert not {s["name"] for s in library["shows"]} & {r["audiobookName"] for r in rows}  # books are not shows
