"""Pure DataFrame -> DataFrame transforms with hand-written inputs and expected rows."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from pyspark.sql import functions as F

from curation import exports, plays

pytestmark = pytest.mark.spark

NOW_TEXT = "2026-11-22 00:00:00"
KEY = "raw/source=export/endpoint=streaming_history_{kind}/listener=abcdef0123456789/sha256=0011223344556677/{name}"


def _records(spark, files: list[tuple[str, str, str | bytes]]):
    """Export candidates of files given as (kind, name, text or bytes), read whole (the exact reading)."""
    contents = [(KEY.format(kind=k, name=n), t.encode() if isinstance(t, str) else t) for k, n, t in files]
    df = spark.createDataFrame(contents, "raw_object string, content binary")
    return exports.export_plays(exports.explode_export_files(df), F.lit(NOW_TEXT).cast("timestamp"))


def test_whole_file_failures_are_one_quarantine_record_each(spark):
    files = [
        ("extended", "Streaming_History_Audio_0.json", ""),
        ("extended", "Streaming_History_Audio_1.json", '[{"ts": "2024-01-01T00:00:00Z", "ms_played": 1'),
        ("extended", "Streaming_History_Audio_2.json", '{"ts": "2024-01-01T00:00:00Z"}'),
        ("extended", "Streaming_History_Audio_3.json", "hello, world"),
        ("extended", "Streaming_History_Audio_4.json", b'[{"ts": "2024-01-01T00:00:00Z", "x": "caf\xff"}]'),
        ("legacy", "endsong_0.json", "[]"),
    ]
    rows = _records(spark, files).select("raw_object", "_record_index", "_reason").collect()
    got = {r.raw_object.rsplit("/", 1)[1]: (r._record_index, r._reason) for r in rows}
    assert got == {
        "Streaming_History_Audio_0.json": (-1, "empty file"),
        "Streaming_History_Audio_1.json": (-1, "malformed or truncated JSON array"),
        "Streaming_History_Audio_2.json": (-1, "JSON object instead of an array"),
        "Streaming_History_Audio_3.json": (-1, "not JSON"),
        "Streaming_History_Audio_4.json": (-1, "not valid UTF-8"),
    }  # the empty array has no records and is not an error


def test_record_reasons_and_field_normalisation(spark):
    base = {"ts": "2024-03-04T18:22:10Z", "ms_played": 31000, "spotify_track_uri": "spotify:track:abc"}
    records = [
        base,
        {**base, "ms_played": "abc"},
        {**base, "ms_played": -5},
        {**base, "ts": "yesterday"},
        {**base, "shuffle": "maybe"},
        {**base, "master_metadata_track_name": "x" * 70_000},
        {**base, "offline_timestamp": 1709576530123, "skipped": None, "unknown_field": [1, 2]},
        {**base, "spotify_track_uri": "spotify:local:Artist:Album:Song:200", "offline_timestamp": 1709576530},
    ]
    text = "\ufeff" + json.dumps(records)
    rows = _records(spark, [("extended", "Streaming_History_Audio_0.json", text)]).orderBy("_record_index").collect()
    assert [r._reason for r in rows] == [
        None,
        "ms_played is not a number",
        "ms_played is negative",
        "no parseable timestamp",
        "shuffle is not a boolean",
        "record larger than 64 KiB",
        None,
        None,
    ]
    first, _, _, _, _, giant, offline_ms, local = rows
    assert (first.played_at, first.track_id, first.content_type, first.ms_played, first.source) == (
        datetime(2024, 3, 4, 18, 22, 10),
        "abc",
        "track",
        31000,
        "export_extended",
    )
    assert first._raw_text is None
    assert len(giant._raw_text) == exports.MAX_RECORD_CHARS
    assert offline_ms.offline_timestamp == datetime(2024, 3, 4, 18, 22, 10, 123000)
    assert offline_ms.skipped is None
    assert (local.content_type, local.track_uri, local.offline_timestamp) == (
        "local",
        None,
        datetime(2024, 3, 4, 18, 22, 10),
    )


def test_account_rows_have_minute_timestamps_and_names(spark):
    text = json.dumps(
        [{"endTime": "2024-01-05 14:23", "artistName": "Drake", "trackName": "God's Plan", "msPlayed": 9}]
    )
    (row,) = _records(spark, [("account", "StreamingHistory_music_0.json", text)]).collect()
    assert (row.played_at, row.track_name, row.artist_name, row.ms_played, row.content_type, row.source) == (
        datetime(2024, 1, 5, 14, 23),
        "God's Plan",
        "Drake",
        9,
        "track",
        "export_account",
    )


def _candidate(spark, rows: list[dict]):
    cols = [
        "listener_id string",
        "played_at timestamp",
        "track_uri string",
        "track_name string",
        "artist_name string",
        "ms_played bigint",
        "source string",
        "raw_object string",
        "_record_index bigint",
        "track_id string",
        "album_id string",
        "context_uri string",
        "reason_end string",
    ]
    names = [c.split()[0] for c in cols]
    df = spark.createDataFrame([tuple(r.get(n) for n in names) for r in rows], ", ".join(cols))
    for column in plays.PLAYS.columns:
        if column.name not in df.columns and column.name != "play_id":
            df = df.withColumn(column.name, F.lit(None).cast(column.type))
    return plays.prepare_new(df.withColumn("content_type", F.lit("track")))


def _t(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_merge_rules(spark):
    uri = "spotify:track:T1"
    rows = [
        # API play and the export's record of it, 40 s apart: one play, export fields + API ids.
        {
            "played_at": _t("2024-01-05 14:23:10.500"),
            "track_uri": uri,
            "source": "api",
            "track_id": "T1",
            "album_id": "AL1",
            "context_uri": "spotify:album:AL1",
            "raw_object": "a",
            "_record_index": 0,
        },
        {
            "played_at": _t("2024-01-05 14:23:50"),
            "track_uri": uri,
            "source": "export_extended",
            "ms_played": 200000,
            "reason_end": "trackdone",
            "raw_object": "e",
            "_record_index": 0,
        },
        # The same export row again (same second and URI): a duplicate within the source.
        {
            "played_at": _t("2024-01-05 14:23:50"),
            "track_uri": uri,
            "source": "export_extended",
            "ms_played": 200000,
            "raw_object": "e",
            "_record_index": 1,
        },
        # An API play 61 s after another export play: too far apart, two plays.
        {
            "played_at": _t("2024-01-06 10:00:00"),
            "track_uri": uri,
            "source": "export_extended",
            "ms_played": 10,
            "raw_object": "e",
            "_record_index": 2,
        },
        {
            "played_at": _t("2024-01-06 10:01:01"),
            "track_uri": uri,
            "source": "api",
            "raw_object": "a",
            "_record_index": 1,
        },
        # Account-data play (minute precision, names only) of an API play: merged, ms_played filled in.
        {
            "played_at": _t("2024-01-07 08:00:41"),
            "track_uri": "spotify:track:T2",
            "track_name": "Song",
            "artist_name": "Band",
            "source": "api",
            "raw_object": "a",
            "_record_index": 2,
        },
        {
            "played_at": _t("2024-01-07 08:00:00"),
            "track_name": "song ",
            "artist_name": "BAND",
            "ms_played": 180000,
            "source": "export_account",
            "raw_object": "c",
            "_record_index": 0,
        },
        # No URI, no names: still a play.
        {
            "played_at": _t("2024-01-08 09:00:00"),
            "source": "export_legacy",
            "ms_played": 0,
            "raw_object": "l",
            "_record_index": 0,
        },
    ]
    merged = plays.merge_plays(_candidate(spark, [{"listener_id": "L", **r} for r in rows]))
    fates = {(r.raw_object, r._record_index): r._fate for r in merged.collect()}
    assert fates == {
        ("a", 0): "duplicate",
        ("e", 0): "kept",
        ("e", 1): "duplicate",
        ("e", 2): "kept",
        ("a", 1): "kept",
        ("a", 2): "kept",
        ("c", 0): "duplicate",
        ("l", 0): "kept",
    }
    kept = {(r.raw_object, r._record_index): r for r in merged.where("_fate = 'kept'").collect()}
    export_play = kept[("e", 0)]
    assert (export_play.played_at, export_play.ms_played, export_play.reason_end, export_play.source) == (
        _t("2024-01-05 14:23:50"),
        200000,
        "trackdone",
        "export_extended",
    )
    assert (export_play.track_id, export_play.album_id, export_play.context_uri) == ("T1", "AL1", "spotify:album:AL1")
    assert export_play.is_stream is True
    assert export_play.play_month == "2024-01"
    assert kept[("e", 2)].is_stream is False
    assert kept[("a", 1)].is_stream is True
    assert kept[("a", 1)].ms_played is None
    assert kept[("a", 2)].ms_played == 180000
    assert kept[("l", 0)].is_stream is False
    assert len({r.play_id for r in kept.values()}) == 5


def test_merge_steps_skipped_for_absent_families_change_nothing(spark):
    """An export-only run skips the API and account steps: same fates and rows as the full merge."""
    uri = "spotify:track:T1"
    base = {"listener_id": "L", "track_uri": uri, "track_name": "Song", "artist_name": "Band", "ms_played": 200000}
    rows = [
        {
            **base,
            "played_at": _t("2024-01-05 14:23:50"),
            "source": "export_extended",
            "raw_object": "e",
            "_record_index": 0,
        },
        {
            **base,
            "played_at": _t("2024-01-05 14:23:50"),
            "source": "export_legacy",
            "raw_object": "l",
            "_record_index": 0,
        },
        {
            **base,
            "played_at": _t("2024-01-05 14:23:50"),
            "source": "export_extended",
            "raw_object": "e",
            "_record_index": 1,
        },
        {
            **base,
            "played_at": _t("2024-01-05 14:24:20"),
            "source": "export_extended",
            "raw_object": "e",
            "_record_index": 2,
        },
    ]
    candidates = _candidate(spark, rows)

    def outcome(families=plays.FAMILIES):
        merged = plays.merge_plays(candidates, families)
        return sorted(merged.collect(), key=lambda r: (r.raw_object, r._record_index)), sorted(merged.columns)

    skipped, full = outcome(frozenset({"export"})), outcome()
    assert skipped == full
    assert [(r.raw_object, r._record_index, r._fate) for r in skipped[0]] == [
        ("e", 0, "kept"),
        ("e", 1, "duplicate"),
        ("e", 2, "kept"),
        ("l", 0, "duplicate"),
    ]


def test_play_families_of_a_run_come_from_its_raw_objects():
    from curation.job import _play_families
    from curation.lake import RawObject

    def export(kind: str) -> RawObject:
        return RawObject("unused", KEY.format(kind=kind, name="f.json"), 1)

    assert _play_families(set(), [export("extended")]) == {"export"}
    assert _play_families({"recently_played", "artists"}, [export("legacy"), export("account")]) == {
        "api",
        "export",
        "account",
    }
    assert _play_families({"top_artists"}, [export("account")]) == {"account"}


def test_play_id_is_deterministic(spark):
    row = {
        "listener_id": "L",
        "played_at": _t("2024-01-05 14:23:50.900"),
        "track_uri": "spotify:track:T1",
        "source": "api",
        "raw_object": "x",
        "_record_index": 0,
    }
    first = _candidate(spark, [row]).first().play_id
    again = _candidate(spark, [{**row, "played_at": _t("2024-01-05 14:23:50"), "raw_object": "y"}]).first().play_id
    other = _candidate(spark, [{**row, "listener_id": "M"}]).first().play_id
    assert first == again != other
    assert len(first) == 32
