"""Synthetic privacy exports: Spotify's file names and quirks, and the overlap with the emulator's API."""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import zipfile

import pytest

from spotify_lake.emulator import Emulator
from spotify_lake.exportgen import EXPORT_OVERLAP, ROWS_MAX, ROWS_MIN, play_identity, write_export

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
    identities = {(r["ts"], r["spotify_track_uri"] or r["spotify_episode_uri"]) for chunk in rows for r in chunk}
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
    nameless = [r for r in rows if r["spotify_track_uri"] is None and r["spotify_episode_uri"] is None]
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
    total = sum(len(json.loads(account[n].decode("utf-8-sig"))) for n in account)
    assert total == summary.rows
    assert podcasts


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"fmt": "csv"}, "format"), ({"days": 0}, "days"), ({"plays": 0}, "plays"), ({"listener_index": 5}, "listener")],
)
def test_bad_arguments(tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        write_export(tmp_path / "x.zip", **{"seed": 1, "days": 5, **kwargs})
