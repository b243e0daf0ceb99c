"""The endpoint registry (lake_contract.endpoints) and the components that iterate over it agree.

Each test names one place that keeps a per-endpoint fact and holds it to the registry, so adding an endpoint
fails here, naming the place, until that place knows it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from curation import api, raw_schemas
from curation.schema import TABLES
from extraction import config, run, sources
from lake_contract import endpoints, keys
from lake_contract.endpoints import CATALOGUE_TABLES, Endpoint, Scope, Step
from spotify_lake import staging, tables_doc
from spotify_lake.reliability import fuzz

REPO = Path(__file__).resolve().parents[2]


def test_registry_by_hand():
    assert [e.name for e in endpoints.API_ENDPOINTS] == [
        "recently_played",
        "top_artists",
        "top_tracks",
        "saved_tracks",
        "playlists",
        "playlist_items",
        "artists",
        "albums",
        "tracks",
        "search",
    ]
    assert {
        "recently_played",
        "top_artists",
        "top_tracks",
        "saved_tracks",
        "playlists",
        "playlist_items",
    } == endpoints.LISTENER_ENDPOINTS
    assert {"artists", "albums", "tracks", "search"} == endpoints.CATALOGUE_ENDPOINTS
    assert [e.name for e in endpoints.HISTORY_ENDPOINTS] == [
        "streaming_history_extended",
        "streaming_history_legacy",
        "streaming_history_account",
    ]
    assert endpoints.endpoint("library").step is Step.METADATA
    assert endpoints.snapshot_steps() == (
        ("top_items", "top_items", ("top_artists", "top_tracks")),
        ("saved_tracks", "saved_tracks", ("saved_tracks",)),
        ("playlists", "playlists", ("playlists",)),
        ("playlist_items", "playlist_items", ("playlist_items",)),
        ("artist_snapshots", "artist_snapshots", ("artists",)),
        ("search_results", "search_results", ("search",)),
    )
    assert endpoints.endpoints_of_step(Step.CATALOGUE) == ("albums", "tracks")
    assert endpoints.SCOPES == (
        "user-read-recently-played",
        "user-top-read",
        "user-library-read",
        "playlist-read-private",
        "playlist-read-collaborative",
    )
    assert endpoints.endpoints_of_step(Step.PLAYS, source="export") == tuple(
        e.name for e in endpoints.HISTORY_ENDPOINTS
    )


@pytest.mark.parametrize(
    ("fields", "complaint"),
    [
        ({"source": "radio"}, "source must be api or export"),
        ({"transform": None}, "a transform exactly when"),
        ({"paths": ()}, "needs units, paths and an item"),
        ({"source": "export", "files": None}, "needs the file names"),
    ],
)
def test_an_entry_that_cannot_work_is_refused(fields, complaint):
    good = {"source": "api", "item": "artist", "units": ("u",), "paths": ("/v1/x",), "transform": "t"}
    with pytest.raises(ValueError, match=complaint):
        Endpoint("x", scope=Scope.LISTENER, step=Step.SNAPSHOT, tables=("t",), **{**good, **fields})


def test_names_fit_the_key_layout():
    for e in endpoints.ENDPOINTS:
        listener = "0123456789abcdef" if e.scope is Scope.LISTENER else None
        if e.is_api:
            key = keys.ApiKey(e.name, listener, "2026-01-01", "extract-x", e.name, 0).format()
            assert re.search(keys.API_OBJECT.regex, key), e.name
        else:
            key = keys.ExportKey(e.name, "0123456789abcdef", "0" * 16, "f.json").format()
        assert keys.endpoint_of(key) == e.name


# --- the extractor ---------------------------------------------------------------------------------------


def test_extractor_sources_are_the_registrys():
    assert (
        config.SOURCES
        == endpoints.EXTRACTOR_SOURCES
        == (
            "recently_played",
            "top_items",
            "saved_tracks",
            "playlists",
            "configured_playlists",
            "catalogue",
            "backfill",
            "searches",
        )
    )
    assert run.LISTENER_SOURCES == ("recently_played", "top_items", "saved_tracks", "playlists", "configured_playlists")


def test_every_listener_unit_exists():
    """A listener source without a fan-out method in extraction.run runs one unit per endpoint."""
    fan_out = {"top_items", "playlists", "configured_playlists"}
    needed = {e.name for s in run.LISTENER_SOURCES if s not in fan_out for e in endpoints.endpoints_of_unit(s)}
    assert set(sources.LISTENER_UNITS) == needed == {"recently_played", "saved_tracks"}


# --- curation ------------------------------------------------------------------------------------------------


def test_every_api_endpoint_has_an_item_schema():
    assert set(raw_schemas.ITEM_SCHEMAS) == {e.name for e in endpoints.API_ENDPOINTS}
    assert {e.item for e in endpoints.API_ENDPOINTS} <= set(raw_schemas.ITEMS)


def test_every_snapshot_transform_exists():
    assert {transform for transform, _table, _names in endpoints.snapshot_steps()} == set(api.SNAPSHOT_TRANSFORMS)


def test_the_catalogue_observations_read_exactly_the_endpoints_that_feed_the_catalogue():
    tracks = set(api.TRACK_PATHS)
    albums = tracks | set(api.ALBUM_ITEMS)
    artists = albums | set(api.ARTIST_ITEMS) | set(api.SEARCH_ITEMS)
    for e in endpoints.API_ENDPOINTS:
        fed = {t for t in e.tables if t in CATALOGUE_TABLES}
        expected = {t for t, names in (("tracks", tracks), ("albums", albums), ("artists", artists)) if e.name in names}
        assert fed == expected, e.name


#: Curated tables no endpoint feeds: the run's own facts, and the listener's hand-kept exclusions file.
NOT_FED = {"quarantine", "data_quality", "exclusions"}


def test_the_fed_tables_are_the_curated_tables():
    assert set(endpoints.FED_TABLES) == {t.name for t in TABLES} - NOT_FED


def test_the_record_count_view_lists_every_curated_table():
    committed = (REPO / tables_doc.RECORD_COUNTS_VIEW).read_text(encoding="utf-8")
    assert committed == tables_doc.render_record_counts(), (
        f"regenerate: python -m spotify_lake.tables_doc record-counts > {tables_doc.RECORD_COUNTS_VIEW}"
    )
    assert re.findall(r"FROM (\w+)", committed) == [t.name for t in TABLES]


# --- import and the fuzzer ----------------------------------------------------------------------------------


def test_import_recognises_the_registrys_export_files():
    assert staging.export_kind("Streaming_History_Video_2019-2020_3.json") == "extended"
    assert staging.export_kind("endsong_4.json") == "legacy"
    assert staging.export_kind("StreamingHistory_podcast_0.json") == "account"
    assert staging.export_kind("StreamingHistory0.json") == "account"
    assert staging.export_kind("YourLibrary.json") is None  # staged beside the history, not as history
    for kind, pattern in fuzz.EXPORT_FORMATS.items():
        assert staging.export_kind(pattern.format(n=3)) == kind


def test_the_fuzzer_covers_every_api_endpoint():
    fuzzed = set(fuzz.API_ENDPOINTS) - {fuzz.UNKNOWN_ENDPOINT}
    assert fuzzed | fuzz.NOT_FUZZED == {e.name for e in endpoints.API_ENDPOINTS}
    assert fuzz.UNKNOWN_ENDPOINT not in endpoints.BY_NAME
