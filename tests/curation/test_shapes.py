"""Every real export shape through import and curation, with hand-counted results (docs/CURATION.md).

The exports are ``spotify_lake.sources.exportgen.write_shapes``: one person's extended history (15 rows, 13 plays)
and the account data of the same 2024 listens (newer naming: 11 rows, 10 plays; older naming: 10 rows,
9 plays). Importing account data first and the extended history later, the other way round, or both at
once gives the same table, and the run totals add up: loaded - superseded = plays in the table.
"""

from __future__ import annotations

import pytest

from curation.lake import LakePaths
from curation.reading import read_published
from curation.schema import PLAYS
from extraction.identity import listener_id
from spotify_lake.adapters.local_glue import job_argv, run_job
from spotify_lake.report.runs import read_runs
from spotify_lake.sources.exportgen import SHAPES_USER, write_shapes
from spotify_lake.staging import stage_export

pytestmark = [pytest.mark.spark, pytest.mark.slow]

LISTENER = listener_id(SHAPES_USER)
# Columns that say what the table holds (not which run wrote it).
_COLUMNS = [c.name for c in PLAYS.columns]


def _curate(lake, run_id):
    return run_job(job_argv(lake, full_refresh=False, run_id=run_id), master="local[2]")


def _figures(summary, source):
    f = summary.accounts()[source]
    return f.read, f.loaded, f.duplicates, f.superseded, f.quarantined_total


def _table(spark, lake):
    rows = read_published(spark, LakePaths.single(lake.as_uri()), PLAYS).collect()
    return sorted((tuple(r[c] for c in _COLUMNS) for r in rows), key=lambda t: (str(t[2]), t[0]))


@pytest.fixture(scope="module")
def shapes(tmp_path_factory):
    return write_shapes(tmp_path_factory.mktemp("exports"))


@pytest.fixture(scope="module")
def combined(spark, shapes, tmp_path_factory):
    lake = tmp_path_factory.mktemp("combined")
    stage_export(shapes.account, lake)
    stage_export(shapes.extended, lake)
    return lake, _curate(lake, "curate-both")


@pytest.fixture(scope="module")
def account_then_extended(spark, shapes, tmp_path_factory):
    lake = tmp_path_factory.mktemp("account_first")
    stage_export(shapes.account, lake)
    first = _curate(lake, "curate-1-account")
    stage_export(shapes.extended, lake)
    return lake, first, _curate(lake, "curate-2-extended")


@pytest.fixture(scope="module")
def extended_then_account(spark, shapes, tmp_path_factory):
    lake = tmp_path_factory.mktemp("extended_first")
    stage_export(shapes.extended, lake)
    first = _curate(lake, "curate-1-extended")
    stage_export(shapes.account, lake)
    return lake, first, _curate(lake, "curate-2-account")


def test_one_combined_import_counts(spark, combined):
    lake, summary = combined
    assert summary.status == "succeeded"
    # read, loaded, duplicates, superseded, quarantined
    assert _figures(summary, "export_extended") == (15, 13, 2, 0, 0)
    assert _figures(summary, "export_account") == (11, 0, 11, 0, 0)  # 1 repeat, 10 absorbed by extended rows
    assert len(_table(spark, lake)) == 13


def test_account_first_then_extended_supersedes_and_adds_up(spark, combined, account_then_extended):
    lake, first, second = account_then_extended
    assert _figures(first, "export_account") == (11, 10, 1, 0, 0)
    assert _figures(second, "export_extended") == (15, 13, 2, 0, 0)
    assert _figures(second, "export_account") == (0, 0, 0, 10, 0)  # the 10 account plays, now extended rows
    totals = read_runs(lake)
    assert (totals.loaded, totals.superseded) == (23, 10)
    assert totals.loaded - totals.superseded == 13 == len(_table(spark, lake))
    assert _table(spark, lake) == _table(spark, combined[0])


def test_extended_first_then_account_adds_nothing(spark, combined, extended_then_account):
    lake, first, second = extended_then_account
    assert _figures(first, "export_extended") == (15, 13, 2, 0, 0)
    assert _figures(second, "export_account") == (11, 0, 11, 0, 0)
    totals = read_runs(lake)
    assert totals.loaded - totals.superseded == 13 == len(_table(spark, lake))
    # The audiobook row gained its author from the account row: the same table as the combined import.
    assert _table(spark, lake) == _table(spark, combined[0])
    assert read_runs(combined[0]).loaded - read_runs(combined[0]).superseded == 13


def test_plays_of_every_shape(spark, combined):
    lake, _ = combined
    rows = read_published(spark, LakePaths.single(lake.as_uri()), PLAYS).orderBy("played_at")
    got = [
        (
            str(r.played_at),
            r.content_type,
            r.track_name or r.episode_name or r.audiobook_chapter_title,
            r.ms_played,
            r.is_stream,
            r.overlaps_previous,
            r.ms_wall_clock,
        )
        for r in rows.collect()
    ]
    assert got == [
        ("2023-06-01 08:00:00", "track", "Song A", 200000, True, False, 200000),
        ("2023-06-01 08:03:30", "track", "Song B", 210000, True, False, 210000),  # not its 0 ms twin
        ("2023-06-02 19:00:00", "episode", "Episode P1", 1800000, True, False, 1800000),
        ("2024-03-01 10:00:40", "track", "Song A", 200000, True, False, 200000),
        ("2024-03-01 10:00:50", "track", "Song A", 5000, False, False, 5000),  # the same-minute replay
        ("2024-03-01 10:04:55", "track", "Song B", 240000, True, False, 240000),
        ("2024-03-02 21:00:00", "track", "Song C", 180000, True, False, 180000),
        ("2024-03-02 21:00:05", "track", "Song C", 175000, True, True, 5000),  # ghost plays: 5 s of wall clock
        ("2024-03-02 21:00:10", "track", "Song C", 170000, True, True, 5000),
        ("2024-03-03 07:30:00", "episode", "Episode P2", 1500000, True, False, 1500000),
        ("2024-03-04 22:10:00", "audiobook", "Chapter 1", 600000, True, False, 600000),
        ("2024-03-05 12:00:20", "track", "Song D", 20000, False, False, 20000),
        ("2024-03-05 18:00:00", "track", "Song E", 300000, True, False, 300000),
    ]
    assert {r.source for r in rows.collect()} == {"export_extended"}
    assert {r.listener_id for r in rows.collect()} == {LISTENER}
    book = rows.where("content_type = 'audiobook'").first()
    assert (book.audiobook_title, book.audiobook_chapter_title, book.audiobook_author) == (
        "Book Q",
        "Chapter 1",
        "Author Q",
    )


def test_newer_account_data_alone_is_typed(spark, shapes, tmp_path):
    lake = tmp_path / "lake"
    stage_export(shapes.account, lake)
    summary = _curate(lake, "curate-account")
    assert _figures(summary, "export_account") == (11, 10, 1, 0, 0)
    rows = read_published(spark, LakePaths.single(lake.as_uri()), PLAYS)
    types = {r.content_type: r["count"] for r in rows.groupBy("content_type").count().collect()}
    assert types == {"track": 8, "episode": 1, "audiobook": 1}
    book = rows.where("content_type = 'audiobook'").first()
    assert (book.audiobook_title, book.audiobook_chapter_title, book.audiobook_author, book.ms_played) == (
        "Book Q",
        "Chapter 1",
        "Author Q",
        600000,
    )
    replays = rows.where("track_name = 'Song A'").orderBy("ms_played").collect()
    assert [(str(r.played_at), r.ms_played) for r in replays] == [
        ("2024-03-01 10:00:00", 5000),
        ("2024-03-01 10:00:00", 200000),
    ]


def test_older_combined_account_files_typed_by_the_library(spark, shapes, tmp_path):
    lake = tmp_path / "lake"
    staged = stage_export(shapes.account_older, lake)
    assert any("/endpoint=library/" in k for k in staged.staged)
    summary = _curate(lake, "curate-older")
    assert summary.raw_objects["library"] == 1
    assert _figures(summary, "export_account") == (10, 9, 1, 0, 0)
    rows = read_published(spark, LakePaths.single(lake.as_uri()), PLAYS)
    types = {r.content_type: r["count"] for r in rows.groupBy("content_type").count().collect()}
    assert types == {"track": 8, "episode": 1}
    episode = rows.where("content_type = 'episode'").first()
    assert (episode.show_name, episode.episode_name, episode.track_name, episode.artist_name) == (
        "Show P",
        "Episode P2",
        None,
        None,
    )

    # Its extended history later: every account play is absorbed, the episode included.
    stage_export(shapes.extended, lake)
    later = _curate(lake, "curate-older-extended")
    assert _figures(later, "export_account") == (0, 0, 0, 9, 0)
    totals = read_runs(lake)
    assert totals.loaded - totals.superseded == 13 == len(_table(spark, lake))


def test_generator_identity_agrees_with_curation_on_every_shape(spark, shapes):
    """``exportgen.play_identity`` (plain Python) and ``plays.identity_key`` (Spark) key every row alike."""
    import json
    import zipfile

    from pyspark.sql import functions as F

    from curation import exports, plays
    from spotify_lake.sources.exportgen import play_identity
    from spotify_lake.staging import export_kind

    files, expected = [], {}
    for path in (shapes.extended, shapes.account, shapes.account_older):
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                base = name.rsplit("/", 1)[-1]
                kind = export_kind(base)
                if kind is None:
                    continue
                content = archive.read(name)
                key = f"raw/source=export/endpoint=streaming_history_{kind}/listener=L/sha256={path.stem}/{base}"
                files.append((key, bytearray(content)))
                for i, row in enumerate(json.loads(content.decode("utf-8").removeprefix("\ufeff"))):
                    expected[(key, i)] = play_identity(row)
    records = exports.explode_export_files(spark.createDataFrame(files, "raw_object string, content binary"))
    candidates = exports.type_combined_account_rows(exports.export_plays(records, F.current_timestamp()), None)
    got = {
        (r.raw_object, r._record_index): r.identity
        for r in candidates.select("raw_object", "_record_index", plays.identity_key().alias("identity")).collect()
    }
    assert len(got) == len(expected) == 15 + 11 + 10
    assert got == expected
