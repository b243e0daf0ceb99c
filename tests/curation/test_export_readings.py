"""The streamed reading of export files (Spark's JSON reader) gives exactly what the whole-file reading gives.

Every file kind below is read both ways over the same raw zone; the candidates (every column, quarantine
reasons and record positions included) must be the same rows. Files the streamed reading cannot read exactly
(a single object, one record, no records, non-objects in the array, damage) are routed to the whole-file
reading, and the test checks that routing too.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from pyspark.sql import functions as F

from curation import exports
from curation.catalog import DocumentCatalog
from curation.lake import LakeFS, LakePaths
from curation.reading import ONE_FILE_PER_TASK, read_contents, read_export_candidates, read_export_rows
from curation.session import session_conf
from curation.state import RunState
from tests.support.lakefix import put_export

pytestmark = pytest.mark.spark

NOW = datetime(2026, 11, 22, tzinfo=UTC)


def _play(second: int, **extra) -> dict:
    return {
        "ts": f"2024-03-04T18:22:{second:02d}Z",
        "ms_played": 31000,
        "spotify_track_uri": f"spotify:track:t{second}",
        **extra,
    }


#: name -> (bytes, read exactly by the streamed reading?)
FILES: dict[str, tuple[bytes, bool]] = {
    "Streaming_History_Audio_0.json": (json.dumps([_play(1), _play(2), _play(3, ms_played="x")]).encode(), True),
    "Streaming_History_Audio_1.json": (("\ufeff" + json.dumps([_play(4), _play(5, shuffle="maybe")])).encode(), True),
    # U+FFFD in a name is text Spotify wrote, not a decoding error: both readings load the file.
    "Streaming_History_Audio_2.json": (
        json.dumps([_play(6, master_metadata_track_name="caf\ufffd"), _play(7)], ensure_ascii=False).encode(),
        True,
    ),
    "Streaming_History_Audio_3.json": (json.dumps([_play(8)]).encode(), False),  # one record
    "Streaming_History_Audio_4.json": (json.dumps(_play(9)).encode(), False),  # an object, not an array
    "Streaming_History_Audio_5.json": (json.dumps([None, _play(10), _play(11)]).encode(), False),
    "Streaming_History_Audio_6.json": (json.dumps([_play(12), 5, _play(13)]).encode(), False),
    "Streaming_History_Audio_7.json": (json.dumps([_play(14), _play(15)]).encode()[:-9], False),  # truncated
    "Streaming_History_Audio_8.json": (b'[{"ts": "2024-03-04T18:22:16Z", "x": "caf\xff"}, {}]', False),
    "Streaming_History_Audio_9.json": (b"[]", False),
    "Streaming_History_Audio_10.json": (b"  \n ", False),
    "Streaming_History_Audio_11.json": (json.dumps([[_play(17)], [_play(18)]]).encode(), False),
    "Streaming_History_Audio_12.json": (b"<html>Spotify is down</html>", False),
}


@pytest.fixture(scope="module")
def readings(spark, tmp_path_factory):
    lake = tmp_path_factory.mktemp("lake")
    for name, (data, _) in FILES.items():
        put_export(lake, "extended", name, data)
    paths = LakePaths.single(lake.as_uri())
    fs = LakeFS(spark)
    objects = fs.list_files(paths.raw)
    state = RunState(spark, paths, "curate-test", False, NOW, fs, DocumentCatalog(lambda k: None, None), "v")
    streamed = read_export_candidates(state, objects)
    whole_files = exports.explode_export_files(read_contents(spark, objects))
    whole = exports.type_combined_account_rows(exports.export_plays(whole_files, state.now_col), None)
    yield streamed, whole, objects
    for df in state.persisted:
        df.unpersist()


def _rows(df) -> list[tuple]:
    columns = sorted(df.columns)
    return sorted((tuple(r) for r in df.select(*columns).collect()), key=repr)


def test_both_readings_give_the_same_candidates(readings):
    streamed, whole, _ = readings
    assert sorted(streamed.columns) == sorted(whole.columns)
    assert _rows(streamed) == _rows(whole)


def test_record_positions_and_reasons(readings):
    streamed, *_ = readings
    got = {
        (r.raw_object.rsplit("/", 1)[1], r._record_index): r._reason
        for r in streamed.select("raw_object", "_record_index", "_reason").collect()
    }
    assert got == {
        ("Streaming_History_Audio_0.json", 0): None,
        ("Streaming_History_Audio_0.json", 1): None,
        ("Streaming_History_Audio_0.json", 2): "ms_played is not a number",
        ("Streaming_History_Audio_1.json", 0): None,
        ("Streaming_History_Audio_1.json", 1): "shuffle is not a boolean",
        ("Streaming_History_Audio_2.json", 0): None,
        ("Streaming_History_Audio_2.json", 1): None,
        ("Streaming_History_Audio_3.json", 0): None,
        ("Streaming_History_Audio_4.json", -1): "JSON object instead of an array",
        ("Streaming_History_Audio_5.json", 0): "record is not a JSON object",
        ("Streaming_History_Audio_5.json", 1): None,
        ("Streaming_History_Audio_5.json", 2): None,
        ("Streaming_History_Audio_6.json", -1): "malformed or truncated JSON array",
        ("Streaming_History_Audio_7.json", -1): "malformed or truncated JSON array",
        ("Streaming_History_Audio_8.json", -1): "not valid UTF-8",
        ("Streaming_History_Audio_10.json", -1): "not JSON",
        ("Streaming_History_Audio_11.json", -1): "malformed or truncated JSON array",
        ("Streaming_History_Audio_12.json", -1): "not JSON",
    }  # the empty array (file 9) has no records and is not an error


def test_only_arrays_of_several_objects_take_the_streamed_reading(spark, readings):
    *_, objects = readings
    attributes = spark.createDataFrame(exports.file_attributes([o.key for o in objects]), exports.FILE_ATTRIBUTES)
    with session_conf(spark, ONE_FILE_PER_TASK):
        records = exports.reader_records(read_export_rows(spark, objects), attributes)
        # Cached as the run caches it: Spark refuses a scan that would read only the corrupt-record column.
        candidates = exports.export_plays(records, F.current_timestamp(), keep=("_corrupt",)).cache()
        stats = exports.file_stats(candidates).collect()
    candidates.unpersist()
    exact = {
        r.raw_object.rsplit("/", 1)[1]
        for r in stats
        if exports.is_exact(r._records, r._first, r._last, r._corrupt_rows)
    }
    assert exact == {name for name, (_, streamed_exactly) in FILES.items() if streamed_exactly}


def test_a_file_sharing_its_task_is_read_whole(spark, readings):
    """Without one file per task, positions run on across files: the check routes such files to the exact
    reading instead of giving them wrong positions."""
    *_, objects = readings
    exact_files = [o for o in objects if FILES[o.key.rsplit("/", 1)[1]][1]]
    attributes = spark.createDataFrame(exports.file_attributes([o.key for o in exact_files]), exports.FILE_ATTRIBUTES)
    with session_conf(
        spark, {"spark.sql.files.maxPartitionBytes": str(1 << 30), "spark.sql.files.openCostInBytes": "0"}
    ):
        records = exports.reader_records(read_export_rows(spark.newSession(), exact_files), attributes)
        candidates = exports.export_plays(records, F.current_timestamp(), keep=("_corrupt",)).cache()
        stats = exports.file_stats(candidates).collect()
    candidates.unpersist()
    verdicts = {r.raw_object: exports.is_exact(r._records, r._first, r._last, r._corrupt_rows) for r in stats}
    # Three files in fewer than three tasks: at least one file's positions run on from another file's.
    assert not all(verdicts.values())
    assert verdicts == {r.raw_object: r._first == 0 for r in stats}
