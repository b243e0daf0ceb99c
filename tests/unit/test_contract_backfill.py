"""The catalogue backfill's state documents (lake_contract.backfill): keys, counting, order, round trips."""

from __future__ import annotations

import pytest

from lake_contract.backfill import (
    CANDIDATES_KEY,
    STATE_KEY,
    BackfillCandidates,
    BackfillDocError,
    BackfillState,
    GoneTrack,
    by_value,
    count_track_plays,
    track_id,
)
from lake_contract.keys import StateKey


def test_keys_are_catalogue_state_documents():
    assert CANDIDATES_KEY.format() == "_state/catalogue/backfill_candidates.json"
    assert STATE_KEY.format() == "_state/catalogue/backfill.json"
    assert StateKey.parse(CANDIDATES_KEY.format()) == CANDIDATES_KEY


def test_only_track_uris_count():
    rows = [
        {"spotify_track_uri": "spotify:track:abc"},
        {"spotify_track_uri": "spotify:track:abc"},
        {"spotify_track_uri": "spotify:track:xyz"},
        {"spotify_track_uri": None, "spotify_episode_uri": "spotify:episode:e1"},
        {"spotify_track_uri": "spotify:local:Artist:Album:Song:200"},
        "not a row",
    ]
    assert count_track_plays(rows) == {"abc": 2, "xyz": 1}
    assert track_id("spotify:episode:e1") is None
    assert track_id("spotify:track:a/b") is None


def test_a_file_is_counted_once():
    candidates = BackfillCandidates()
    assert candidates.add_file("k1", {"a": 2, "b": 1})
    assert not candidates.add_file("k1", {"a": 2, "b": 1})
    assert candidates.add_file("k2", {"a": 1})
    assert candidates.plays == {"a": 3, "b": 1}
    again = BackfillCandidates.from_json(candidates.to_json())
    assert again == candidates
    assert candidates.to_json() == '{"files":["k1","k2"],"plays":{"a":3,"b":1},"updated_at":null}'


def test_most_played_first_ties_by_id_known_left_out():
    assert by_value({"c": 1, "b": 5, "a": 5, "d": 9}, {"d"}) == ["a", "b", "c"]


def test_state_round_trip_and_the_day_counter():
    state = BackfillState(gone={"x": GoneTrack("HTTP 404 for /v1/tracks/x", "extract-1")}, day="2026-12-01")
    state.requests_today, state.looked_up, state.requests, state.next_seq = 7, 9, 7, 2
    assert BackfillState.from_dict(state.to_dict()) == state
    assert state.spent_on("2026-12-01") == 7
    assert state.spent_on("2026-12-02") == 0
    assert BackfillState.from_dict({}) == BackfillState()


@pytest.mark.parametrize("text", ["[]", "{", '{"plays": {"a": "1"}}', '{"plays": {"a": true}}', '{"files": "k"}'])
def test_a_broken_candidates_document_is_refused(text):
    with pytest.raises(BackfillDocError):
        BackfillCandidates.from_json(text)
