"""The raw-zone key layout (lake_contract.keys): format and parse are inverses, the answers are the layout
docs/RAW_ZONE.md specifies (written out by hand here), and the patterns Spark applies match what format writes."""

from __future__ import annotations

import re

import pytest

from lake_contract import keys
from lake_contract.keys import ApiKey, ExportKey, QuarantineKey, RunSummaryKey, StateKey

LISTENER = "3f1c0a9b8e7d6c5b"
RUN = "extract-20261122T101500Z-1a2b3c"


def test_api_key_of_a_listener_endpoint():
    key = ApiKey("recently_played", LISTENER, "2026-11-22", RUN, "recently_played", 3)
    text = (
        "raw/source=api/endpoint=recently_played/listener=3f1c0a9b8e7d6c5b/extract_date=2026-11-22/"
        "run=extract-20261122T101500Z-1a2b3c/recently_played-00003.ndjson.gz"
    )
    assert key.format() == str(key) == text
    assert ApiKey.parse(text) == key


def test_api_key_of_a_catalogue_endpoint_has_no_listener():
    key = ApiKey("artists", None, "2026-11-22", RUN, "artists", 0)
    text = (
        "raw/source=api/endpoint=artists/extract_date=2026-11-22/run=extract-20261122T101500Z-1a2b3c/"
        "artists-00000.ndjson.gz"
    )
    assert key.format() == text
    assert ApiKey.parse(text) == key


def test_units_are_made_safe_and_may_hold_dashes():
    key = ApiKey("search", None, "2026-11-22", RUN, "track-genre:pop rock", 12)
    assert key.format().endswith("/track-genre_pop_rock-00012.ndjson.gz")
    parsed = ApiKey.parse(key.format())
    assert (parsed.unit, parsed.seq) == ("track-genre_pop_rock", 12)
    # a sequence past five digits keeps every digit
    assert ApiKey.parse(ApiKey("tracks", None, "2026-11-22", RUN, "tracks", 123456).format()).seq == 123456


@pytest.mark.parametrize(
    "text",
    [
        "raw/source=export/endpoint=library/listener=a/sha256=b/YourLibrary.json",
        "raw/source=api/endpoint=artists/extract_date=2026-11-22/run=r/artists.ndjson.gz",
        "raw/source=api/endpoint=artists/extract_date=2026-11-22/run=r/artists-00000.json",
        "lake/raw/source=api/endpoint=artists/extract_date=2026-11-22/run=r/artists-00000.ndjson.gz",
    ],
)
def test_parse_refuses_other_keys(text):
    with pytest.raises(ValueError, match="not an API object key"):
        ApiKey.parse(text)


def test_quarantine_key():
    key = QuarantineKey("top_tracks", "2026-11-22", RUN, f"{LISTENER}-short_term", 0)
    text = (
        "raw/_quarantine/endpoint=top_tracks/extract_date=2026-11-22/run=extract-20261122T101500Z-1a2b3c/"
        "3f1c0a9b8e7d6c5b-short_term-00000.json"
    )
    assert key.format() == text
    assert QuarantineKey.parse(text) == key


def test_export_keys():
    digest = "0123456789abcdef" + "f" * 48
    key = ExportKey.for_file("extended", LISTENER, digest, "Streaming_History_Audio_2024_0.json")
    text = (
        "raw/source=export/endpoint=streaming_history_extended/listener=3f1c0a9b8e7d6c5b/sha256=0123456789abcdef/"
        "Streaming_History_Audio_2024_0.json"
    )
    assert key.format() == text
    assert ExportKey.parse(text) == key
    assert key.kind == "extended"
    library = ExportKey.for_file("library", LISTENER, digest, "YourLibrary.json")
    assert (
        library.format()
        == f"raw/source=export/endpoint=library/listener={LISTENER}/sha256=0123456789abcdef/YourLibrary.json"
    )
    assert ExportKey.parse(library.format()).kind == "library"


def test_run_summary_and_state_keys():
    assert RunSummaryKey("curate-20261122T101500Z-9f8e7d").format() == "_runs/curate-20261122T101500Z-9f8e7d.json"
    assert RunSummaryKey.parse("_runs/import-x.json") == RunSummaryKey("import-x")
    assert RunSummaryKey("import-x").stage == "import"
    assert RunSummaryKey.glob("extract") == "_runs/extract-*.json"
    cursor = StateKey.cursor(LISTENER, "recently_played")
    assert cursor.format() == "_state/listener=3f1c0a9b8e7d6c5b/recently_played.json"
    assert StateKey.parse(cursor.format()) == cursor
    assert cursor.listener_id == LISTENER
    assert StateKey.catalogue("known_artists").format() == "_state/catalogue/known_artists.json"
    assert StateKey.parse("_state/catalogue/api_mode.json").listener_id is None
    assert StateKey.profile("ab12").format() == "_state/profiles/ab12.json"
    assert StateKey.cursor_glob("recently_played") == "_state/listener=*/recently_played.json"
    assert StateKey.cursor_glob() == "_state/listener=*/*"


# --- the patterns Spark uses, applied (with Python's re, whose dialect they share) to formatted keys -------


def _spark_extract(pattern: keys.KeyPattern, text: str, group: str) -> str:
    """What ``F.regexp_extract(col, pattern.regex, pattern.group(group))`` returns: "" when nothing matches."""
    match = re.search(pattern.regex, text)
    return (match.group(pattern.group(group)) or "") if match else ""


def test_spark_patterns_read_what_format_writes():
    api = ApiKey("top_tracks", LISTENER, "2026-11-22", RUN, "short_term", 1).format()
    catalogue = ApiKey("albums", None, "2026-11-21", RUN, "albums", 0).format()
    quarantine = QuarantineKey("search", "2026-11-22", RUN, "catalogue-track-pop", 0).format()
    export = ExportKey.for_file("legacy", LISTENER, "ab" * 32, "endsong_0.json").format()
    library = ExportKey.for_file("library", LISTENER, "cd" * 32, "YourLibrary.json").format()
    uri = f"file:///tmp/lake%20one/{api}"

    assert _spark_extract(keys.API_OBJECT, api, "endpoint") == "top_tracks"
    assert _spark_extract(keys.API_OBJECT, api, "listener_id") == LISTENER
    assert _spark_extract(keys.API_OBJECT, api, "extract_date") == "2026-11-22"
    assert _spark_extract(keys.API_OBJECT, catalogue, "endpoint") == "albums"
    assert _spark_extract(keys.API_OBJECT, catalogue, "listener_id") == ""
    assert _spark_extract(keys.API_OBJECT, catalogue, "extract_date") == "2026-11-21"
    assert _spark_extract(keys.QUARANTINE_OBJECT, quarantine, "endpoint") == "search"
    assert _spark_extract(keys.HISTORY_OBJECT, export, "kind") == "legacy"
    assert _spark_extract(keys.HISTORY_OBJECT, export, "listener_id") == LISTENER
    assert _spark_extract(keys.HISTORY_OBJECT, export, "file_name") == "endsong_0.json"
    assert _spark_extract(keys.HISTORY_OBJECT, library, "kind") == ""
    assert _spark_extract(keys.LIBRARY_OBJECT, library, "listener_id") == LISTENER
    assert _spark_extract(keys.LIBRARY_OBJECT, export, "listener_id") == ""
    for key in (api, catalogue, quarantine, export, library):
        assert _spark_extract(keys.RAW_OBJECT, f"s3://raw-bucket/{key}", "key") == key
        assert keys.raw_key_in(f"file:///lake/{key}") == key
    assert _spark_extract(keys.RAW_OBJECT, uri, "key") == api
    assert keys.raw_key_in("s3://curated/_runs/x.json") is None


def test_segments_of_any_raw_key():
    api = ApiKey("saved_tracks", LISTENER, "2026-11-22", RUN, "saved_tracks", 0).format()
    export = ExportKey.for_file("account", LISTENER, "ef" * 32, "StreamingHistory_music_0.json").format()
    quarantine = QuarantineKey("artists", "2026-11-22", RUN, "catalogue-artists", 0).format()
    assert [keys.endpoint_of(k) for k in (api, export, quarantine)] == [
        "saved_tracks",
        "streaming_history_account",
        "artists",
    ]
    assert [keys.listener_of(k) for k in (api, export, quarantine)] == [LISTENER, LISTENER, None]
    assert keys.endpoint_of("raw/elsewhere/file.json") is None


def test_globs_for_lake_folders(tmp_path):
    api = ApiKey("recently_played", LISTENER, "2026-11-22", RUN, "recently_played", 0).format()
    other = ApiKey("artists", None, "2026-11-22", RUN, "artists", 0).format()
    export = ExportKey.for_file("extended", LISTENER, "01" * 32, "Streaming_History_Audio_2024_0.json").format()
    for key in (api, other, export):
        (tmp_path / key).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / key).write_bytes(b"")
    found = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.glob(keys.api_glob("recently_played")))
    assert found == [api]
    assert len(list(tmp_path.glob(keys.api_glob()))) == 2
    folders = {p.name for p in tmp_path.glob(keys.listener_folders_glob("export"))}
    assert folders == {f"listener={LISTENER}"}
