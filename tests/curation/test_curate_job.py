"""Wiring: the Glue job script run as Glue would (patched argv), on real local paths and real Parquet."""

from __future__ import annotations

import json
import shutil

import pytest

from curation.job import CurationFailed
from curation.lake import LakePaths, local_uri
from curation.reading import read_published
from curation.schema import ARTISTS, PLAYS, QUARANTINE, TRACKS
from curation.spark_schema import struct_type
from lake_contract.summaries import CurationSummary
from spotify_lake.adapters.lakefiles import published_locations
from spotify_lake.adapters.local_glue import job_argv, run_job
from tests.support.lakefix import FIXTURES, LISTENER, envelope, fixture_lines, put_api, put_export, standard_lake

pytestmark = [pytest.mark.spark, pytest.mark.slow]


def _curate(lake, run_id, *, full_refresh=False):
    return run_job(job_argv(lake, full_refresh=full_refresh, run_id=run_id), master="local[2]")


def _rows(spark, lake, table, order):
    return read_published(spark, LakePaths.single(local_uri(lake)), table).orderBy(*order).collect()


def _published_months(lake):
    """Partition value -> the version folder holding it, as the catalog document says."""
    return {month: folder.parent.name for month, folder in published_locations(lake, PLAYS).items()}


@pytest.fixture(scope="module")
def curated(spark, tmp_path_factory):
    # A folder name with a space: the CLI must hand Spark a URI Hadoop reads as this folder (not "my%20lake").
    lake = standard_lake(tmp_path_factory.mktemp("my lake"))
    first = _curate(lake, "curate-first")
    return lake, first


def test_summary_accounts_for_every_record(curated):
    lake, summary = curated
    assert summary.status == "succeeded"
    # The file the run wrote is the summary it returned, and reads back to the same bytes.
    text = (lake / "_runs" / "curate-first.json").read_text()
    assert CurationSummary.from_json(text) == summary
    assert summary.to_json() == text
    figures = {s: (f.read, f.loaded, f.duplicates, f.quarantined) for s, f in summary.accounts().items()}
    assert figures == {
        "api:recently_played": (5, 1, 2, {"no parseable timestamp": 1, "not a JSON object": 1}),
        "export_account": (2, 1, 1, {}),
        "export_extended": (
            9,
            4,
            1,
            {
                "ms_played is not a number": 1,
                "no parseable timestamp": 1,
                "timestamp before 2006": 1,
                "timestamp in the future": 1,
            },
        ),
        "export_legacy": (2, 1, 1, {}),
    }
    assert all(check.passed for check in summary.data_quality)


def test_plays_rows_and_schema(spark, curated):
    lake, _ = curated
    (version,) = {folder.parent for folder in published_locations(lake, PLAYS).values()}
    df = spark.read.parquet(str(version))
    # every column, type and order, read back from the files (Spark reads Parquet columns as nullable)
    assert [(f.name, f.dataType) for f in df.schema] == [(f.name, f.dataType) for f in struct_type(PLAYS)]
    rows = _rows(spark, lake, PLAYS, ["played_at"])
    got = [(str(r.played_at), r.track_name, r.source, r.ms_played, r.is_stream, r.content_type) for r in rows]
    assert got == [
        ("2023-12-31 23:59:30", "Blinding Lights", "export_legacy", 240000, True, "track"),
        ("2024-01-05 14:23:40", "The Funeral", "export_extended", 180000, True, "track"),
        ("2024-01-05 14:27:00", "God's Plan", "api", 197000, True, "track"),
        ("2024-01-06 10:00:00", "Mr. Brightside", "export_extended", 20000, False, "track"),
        ("2024-01-07 20:00:00", None, "export_extended", 1500000, True, "episode"),
        ("2024-01-08 09:00:00", None, "export_extended", 45000, True, "unknown"),
        ("2024-02-01 08:00:00", "Knights", "export_account", 12000, False, "track"),
    ]
    merged = rows[1]  # export play that absorbed the API play 29.5 s earlier
    assert (merged.album_id, merged.artist_id, merged.context_type) == (
        "6akEvsycLGftJxYudPjmqK",
        "0OdUWJ0sBjDrqHygGUXeCF",
        "album",
    )
    # One version folder written by the run, one file per month, and the catalog naming exactly those.
    assert version.name.startswith("curate-first-")
    assert sorted(p.name for p in version.iterdir() if p.is_dir()) == [
        "play_month=2023-12",
        "play_month=2024-01",
        "play_month=2024-02",
    ]
    assert all(len(list(p.glob("*.parquet"))) == 1 for p in version.iterdir() if p.is_dir())
    assert sorted(published_locations(lake, PLAYS)) == ["2023-12", "2024-01", "2024-02"]
    document = json.loads((lake / "curated" / "_catalog" / "plays.json").read_text())
    assert document["locations"]["2024-01"] == f"curated/plays/{version.name}/play_month=2024-01/"


def test_catalogue_and_quarantine_tables(spark, curated):
    lake, _ = curated
    tracks = _rows(spark, lake, TRACKS, ["track_id"])
    assert [(t.track_id, t.name, t.artist_names, t.duration_ms) for t in tracks] == [
        ("2G7V7zsVDxg1yRsu7Ew9RJ", "God's Plan", ["Drake"], 198000),
        ("4iV5W9uYEdYUVa79Axb7Rh", "The Funeral", ["Band of Horses"], 322000),
    ]
    assert str(tracks[0].updated_at) == "2024-01-05 15:00:00"
    quarantine = _rows(spark, lake, QUARANTINE, ["source_object", "record_index"])
    assert [(q.record_index, q.reason, q.run_id) for q in quarantine] == [
        (3, "no parseable timestamp", "curate-first"),
        (4, "not a JSON object", "curate-first"),
        (5, "ms_played is not a number", "curate-first"),
        (6, "no parseable timestamp", "curate-first"),
        (7, "timestamp before 2006", "curate-first"),
        (8, "timestamp in the future", "curate-first"),
    ]
    assert quarantine[1].raw_text == "{not json"
    assert '"ms_played":"abc"' in quarantine[2].raw_text


def test_incremental_run_reads_only_new_objects_and_full_refresh_agrees(spark, curated, tmp_path):
    lake, _ = curated
    copy = tmp_path / "lake"
    shutil.copytree(lake, copy)
    before = _rows(spark, copy, PLAYS, ["play_id"])
    files_before = sorted(p.relative_to(copy).as_posix() for p in (copy / "curated" / "plays").rglob("*.parquet"))

    again = _curate(copy, "curate-again")
    assert again.status == "nothing to do"
    files_again = sorted(p.relative_to(copy).as_posix() for p in (copy / "curated" / "plays").rglob("*.parquet"))
    assert files_again == files_before

    # One new API object, overlapping an existing export play, is the only thing read.
    t2 = json.loads((FIXTURES / "recently_played.ndjson").read_text().splitlines()[1])["item"]
    new_play = {**t2, "played_at": "2024-01-06T10:00:20.250Z"}
    new_play["track"] = {**t2["track"], "id": "3n3Ppam7vgaVa1iaRUc9Lp", "uri": "spotify:track:3n3Ppam7vgaVa1iaRUc9Lp"}
    put_api(copy, "recently_played", [envelope("recently_played", new_play)], run="extract-later", seq=1)
    later = _curate(copy, "curate-later")
    assert later.raw_objects["api"] == 1
    assert later.raw_objects["export"] == 0
    assert later.accounts()["api:recently_played"].read == 1
    assert later.accounts()["api:recently_played"].duplicates == 1  # merged into the export play
    assert later.tables["plays"] == ["2024-01"]
    # Only January moved to the new version; the old January stays on disk until the next run starts.
    months = _published_months(copy)
    assert months["2024-01"].startswith("curate-later-")
    assert months["2023-12"] == months["2024-02"] != months["2024-01"]
    assert (copy / "curated" / "plays" / months["2023-12"] / "play_month=2024-01").is_dir()
    after = _rows(spark, copy, PLAYS, ["play_id"])
    assert [r.play_id for r in after] == [r.play_id for r in before]
    brightside = next(r for r in after if r.track_name == "Mr. Brightside")
    assert (brightside.ms_played, brightside.album_id) == (20000, "1ATL5GLyefJaxhQzSPVrLX")

    # Rebuilding everything from raw gives exactly the incrementally maintained rows.
    rebuilt = _curate(copy, "curate-rebuild", full_refresh=True)
    assert rebuilt.status == "succeeded"
    assert _rows(spark, copy, PLAYS, ["play_id"]) == after
    # The rebuild started by deleting the January the later run had superseded; what it superseded
    # itself stays for one more run.
    assert not (copy / "curated" / "plays" / months["2023-12"] / "play_month=2024-01").exists()
    assert {v.split("-")[1] for v in _published_months(copy).values()} == {"rebuild"}
    assert sorted(p.name.split("-")[1] for p in (copy / "curated" / "plays").iterdir()) == ["first", "later", "rebuild"]


def test_bad_files_are_quarantined_accounted_and_a_blocking_check_fails(spark, tmp_path):
    lake = tmp_path / "lake"
    good = (FIXTURES / "Streaming_History_Audio_2024_0.json").read_bytes()
    bad = {
        "Streaming_History_Audio_t.json": good[: len(good) // 2],
        "Streaming_History_Audio_n.json": b"not json at all",
        "Streaming_History_Audio_o.json": b'{"ts": "2024-01-05T14:23:40Z"}',
        "Streaming_History_Audio_u.json": b'[{"ts": "2024-01-05T14:23:40Z", "ms_played": 1, "x": "\xff\xfe"}]',
        "Streaming_History_Audio_e.json": b"",
    }
    for name, data in bad.items():
        put_export(lake, "extended", name, data)
    put_export(lake, "legacy", "endsong_9.json", b"[]")
    q = lake / "raw/_quarantine/endpoint=recently_played/extract_date=2024-01-05/run=extract-x/page-00000.json"
    q.parent.mkdir(parents=True)
    q.write_text(json.dumps({"reason": "body is not JSON", "endpoint": "recently_played", "body": "<html>"}))
    # An API play whose track has no id: the catalogue cannot hold it, so known_track_references fails.
    item = json.loads((FIXTURES / "recently_played.ndjson").read_text().splitlines()[0])["item"]
    item["track"]["id"] = None
    put_api(lake, "recently_played", [envelope("recently_played", item)])

    with pytest.raises(CurationFailed, match=r"plays\.known_track_references"):
        _curate(lake, "curate-bad")

    summary = CurationSummary.from_json((lake / "_runs" / "curate-bad.json").read_text())
    assert summary.status == "failed"
    assert summary.accounts()["export_extended"].to_dict() == {
        "read": 5,
        "loaded": 0,
        "duplicates": 0,
        "superseded": 0,
        "quarantined_total": 5,
        "quarantined": {
            "malformed or truncated JSON array": 1,
            "not JSON": 1,
            "JSON object instead of an array": 1,
            "not valid UTF-8": 1,
            "empty file": 1,
        },
    }
    api_figures = summary.accounts()["api:recently_played"]
    assert (api_figures.read, api_figures.loaded) == (2, 1)
    assert api_figures.quarantined == {"extractor: body is not JSON": 1}
    assert next(c for c in summary.data_quality if c.check_name == "row_accounting").passed
    # Quarantine and data-quality rows are kept; no curated table was published, no manifest written.
    rows = _rows(spark, lake, QUARANTINE, ["source_object"])
    assert [r.record_index for r in rows] == [-1] * 6
    assert published_locations(lake, PLAYS) == {}
    assert not (lake / "curated" / "_catalog").exists()
    assert not (lake / "curated" / "_manifest").exists()
    # The version the failed run wrote is deleted when the next run starts.
    (unpublished,) = (lake / "curated" / "plays").iterdir()
    assert unpublished.name.startswith("curate-bad-")
    with pytest.raises(CurationFailed):
        _curate(lake, "curate-bad-again")
    assert [p.name.split("-")[2] for p in (lake / "curated" / "plays").iterdir()] == ["again"]
    assert LISTENER in next((lake / "raw").rglob("*.gz")).as_posix()


def test_generated_export_imports_and_curates_exactly(spark, tmp_path):
    from spotify_lake.sources.exportgen import write_export
    from spotify_lake.staging import stage_export

    export = write_export(tmp_path / "export.zip", seed=7, days=3, fmt="extended", now="2026-11-20T12:00:00Z")
    lake = tmp_path / "lake"
    staged = stage_export(export.path, lake, listener=LISTENER)
    assert len([k for k in staged.staged if "Streaming_History_Audio_" in k]) == export.files

    summary = _curate(lake, "curate-generated")
    figures = summary.accounts()["export_extended"]
    assert (figures.read, figures.loaded, figures.duplicates, figures.quarantined_total) == (
        export.rows,
        export.plays,
        export.duplicates,
        0,
    )
    assert len(_rows(spark, lake, PLAYS, ["play_id"])) == export.plays


def test_merge_across_a_month_boundary_keeps_one_row_in_the_export_month(spark, tmp_path):
    # The API play ends 30 s after the export play, in the next month: one play, in the export's month,
    # whichever arrives first. API first: its February partition must disappear when the export arrives.
    lake = tmp_path / "lake"
    item = json.loads(fixture_lines("recently_played.ndjson")[0])["item"]
    uri = item["track"]["uri"]
    put_api(lake, "recently_played", [envelope("recently_played", {**item, "played_at": "2024-02-01T00:00:20.000Z"})])
    first = _curate(lake, "curate-api")
    assert first.tables["plays"] == ["2024-02"]

    record = {"ts": "2024-01-31T23:59:50Z", "ms_played": 181000, "spotify_track_uri": uri, "skipped": False}
    put_export(lake, "extended", "Streaming_History_Audio_2024_1.json", json.dumps([record]).encode())
    second = _curate(lake, "curate-export")
    assert second.accounts()["export_extended"].loaded == 1
    assert second.tables["plays"] == ["2024-01"]
    assert sorted(published_locations(lake, PLAYS)) == ["2024-01"]
    rows = _rows(spark, lake, PLAYS, ["play_id"])
    assert [(str(r.played_at), r.play_month, r.source, r.ms_played, r.album_id) for r in rows] == [
        ("2024-01-31 23:59:50", "2024-01", "export_extended", 181000, item["track"]["album"]["id"])
    ]

    rebuilt = _curate(lake, "curate-rebuilt", full_refresh=True)
    assert rebuilt.accounts()["api:recently_played"].duplicates == 1
    assert rebuilt.tables["plays"] == ["2024-01"]
    assert _rows(spark, lake, PLAYS, ["play_id"]) == rows
    assert sorted(published_locations(lake, PLAYS)) == ["2024-01"]


def test_an_artist_lookup_rewrites_artists_and_leaves_tracks_and_albums_alone(spark, curated, tmp_path):
    lake, _ = curated
    copy = tmp_path / "lake"
    shutil.copytree(lake, copy)
    tracks_before = published_locations(copy, TRACKS)
    drake = {
        "id": "3TVXtAsR1Inumwj472S9r4",
        "name": "Drake",
        "uri": "spotify:artist:3TVXtAsR1Inumwj472S9r4",
        "type": "artist",
        "genres": ["canadian hip hop"],
        "popularity": 95,
        "followers": {"total": 90000000},
        "images": [],
    }
    lookup = envelope("artists", drake, extracted_at="2024-01-06T09:00:00.000Z", run_id="extract-lookup")
    put_api(copy, "artists", [lookup], run="extract-lookup")
    later = _curate(copy, "curate-lookup")
    assert later.status == "succeeded"
    assert later.accounts()["api:artists"].loaded == 1
    # The artists endpoint feeds the artists table and its snapshots; nothing of this run feeds tracks or albums.
    assert set(later.tables) == {"artists", "artist_snapshots"}
    assert published_locations(copy, TRACKS) == tracks_before
    artists = {a.artist_id: a for a in _rows(spark, copy, ARTISTS, ["artist_id"])}
    assert artists["3TVXtAsR1Inumwj472S9r4"].genres == ["canadian hip hop"]
    assert artists["3TVXtAsR1Inumwj472S9r4"].name == "Drake"
