"""spotipy 2.26, unmodified, reads every endpoint from the emulator with Spotify's shapes, paging and errors."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta

import pytest
import requests
import spotipy

from spotify_lake.sources.emulator import Emulator

REMOVED_TRACK_FIELDS = ("popularity", "available_markets", "external_ids")
REMOVED_ALBUM_FIELDS = ("popularity", "label", "external_ids")
REMOVED_ARTIST_FIELDS = ("followers", "popularity", "genres")


def test_saved_tracks_page_through_next(emu, sp):
    page = sp.current_user_saved_tracks(limit=50)
    seen = [item["track"]["id"] for item in page["items"]]
    pages = 1
    while page["next"]:
        assert page["next"].startswith(emu.api_prefix)  # absolute links on the emulator itself
        page = sp.next(page)
        seen += [item["track"]["id"] for item in page["items"]]
        pages += 1
    truth = emu.world.saved_tracks(0)
    assert pages == -(-len(truth) // 50)
    assert pages > 2
    assert seen == [emu.world.catalogue.tracks[t].id for _, t in truth]
    assert page["previous"] is not None
    assert page["offset"] == 50 * (pages - 1)


def test_recently_played_only_last_50_reachable(emu, sp):
    first = sp.current_user_recently_played(limit=30)
    assert len(first["items"]) == 30
    assert first["next"] is not None
    second = sp.next(first)
    assert len(second["items"]) == 20
    assert second["next"] is None
    assert int(second["cursors"]["after"]) < int(first["cursors"]["before"])
    truth = emu.visible_plays(0)[-50:][::-1]
    got = [(i["played_at"], i["track"]["id"]) for i in first["items"] + second["items"]]
    assert got == [(p["played_at"], p["track_id"]) for p in truth]
    older = sp.current_user_recently_played(limit=50, before=int(second["cursors"]["before"]))
    assert older["items"] == []
    assert older["cursors"] is None
    assert older["next"] is None
    # no short plays, private sessions or podcasts ever listed
    assert all(p["ms_played"] > 30_000 for p in truth)


def test_recently_played_after_cursor_returns_only_newer(emu, sp):
    everything = sp.current_user_recently_played(limit=50)["items"]
    played = [i["played_at"] for i in everything]
    pivot_ms = sp.current_user_recently_played(limit=11)["cursors"]["before"]
    newer = sp.current_user_recently_played(limit=50, after=int(pivot_ms))
    assert [i["played_at"] for i in newer["items"]] == played[:10]


def test_clock_advance_makes_new_plays_visible(make_client):
    with Emulator(seed=3, days=10) as emu:
        sp = make_client(emu)
        before = sp.current_user_recently_played(limit=50)
        newest = int(before["cursors"]["after"])
        assert sp.current_user_recently_played(limit=50, after=newest)["items"] == []
        emu.advance(hours=30)
        after = sp.current_user_recently_played(limit=50, after=newest)
        assert 0 < len(after["items"]) <= 50
        truth_new = [p for p in emu.visible_plays(0) if p["played_at_ms"] > newest]
        assert len(truth_new) > 50  # a heavy day: more plays than the API will ever show
        assert after["items"][0]["played_at"] == truth_new[-1]["played_at"]
        assert emu.now == emu.world.now
        assert emu.now.isoformat().startswith("2026-11-02T06:00")


def test_top_items_follow_history(emu, sp):
    truth = emu.visible_plays(0)
    cutoff = emu.now - timedelta(days=28)
    counts = Counter(p["track_id"] for p in truth if p["played_at"] > cutoff.strftime("%Y-%m-%dT%H:%M:%S"))
    top = sp.current_user_top_tracks(limit=10, time_range="short_term")
    ids = [t["id"] for t in top["items"]]
    assert counts[ids[0]] == max(counts.values())
    assert [counts[i] for i in ids] == sorted((counts[i] for i in ids), reverse=True)
    artists = sp.current_user_top_artists(limit=50, time_range="long_term")
    assert artists["total"] >= 50
    assert artists["next"] is not None
    more = sp.next(artists)
    assert more["offset"] == 50
    assert {a["id"] for a in more["items"]}.isdisjoint(a["id"] for a in artists["items"])


def test_playlists_and_items(emu, sp):
    playlists = sp.current_user_playlists(limit=50)["items"]
    me = emu.listeners[0].user_id
    owned = [p for p in playlists if p["owner"]["id"] == me]
    foreign = [p for p in playlists if p["owner"]["id"] != me and not p["collaborative"]]
    shared = [p for p in playlists if p["owner"]["id"] != me and p["collaborative"]]
    assert owned
    assert foreign
    assert shared
    big = max(owned, key=lambda p: p["items"]["total"])
    page = sp.playlist_items(big["id"], limit=50)
    items = page["items"]
    while page["next"]:
        page = sp.next(page)
        items += page["items"]
    assert len(items) == big["items"]["total"] > 50
    assert all(i["item"]["type"] in ("track", "episode") and "added_at" in i for i in items)
    assert sp.playlist_items(shared[0]["id"])["total"] == shared[0]["items"]["total"]
    with pytest.raises(spotipy.SpotifyException) as forbidden:
        sp.playlist_items(foreign[0]["id"])
    assert forbidden.value.http_status == 403


def test_catalogue_lookups_and_errors(emu, sp):
    track = sp.current_user_recently_played(limit=1)["items"][0]["track"]
    assert sp.track(track["id"])["id"] == track["id"]
    album = sp.album(track["album"]["id"])
    assert track["id"] in [t["id"] for t in album["tracks"]["items"]]
    assert album["release_date_precision"] in ("year", "month", "day")
    artist = sp.artist(track["artists"][0]["id"])
    assert artist["type"] == "artist"
    assert artist["images"]
    with pytest.raises(spotipy.SpotifyException) as missing:
        sp.track("0" * 22)
    assert missing.value.http_status == 404
    with pytest.raises(spotipy.SpotifyException) as malformed:
        sp.artist("not-an-id")
    assert malformed.value.http_status == 400


def test_development_mode_omits_removed_fields_and_blocks_batches(emu, sp):
    track = sp.current_user_recently_played(limit=1)["items"][0]["track"]
    full = sp.track(track["id"])
    assert not {*REMOVED_TRACK_FIELDS, "linked_from"} & set(full)
    assert not set(REMOVED_ALBUM_FIELDS) & set(sp.album(track["album"]["id"]))
    assert not set(REMOVED_ARTIST_FIELDS) & set(sp.artist(track["artists"][0]["id"]))
    for call in (sp.tracks, sp.artists):
        with pytest.raises(spotipy.SpotifyException) as forbidden:
            call([track["id"] if call is sp.tracks else track["artists"][0]["id"]])
        assert forbidden.value.http_status == 403
    with pytest.raises(spotipy.SpotifyException) as forbidden:
        sp.albums([track["album"]["id"]])
    assert forbidden.value.http_status == 403


def test_extended_mode_has_fields_and_batches(emu_extended, make_client):
    sp = make_client(emu_extended)
    track = sp.current_user_recently_played(limit=1)["items"][0]["track"]
    assert set(REMOVED_TRACK_FIELDS) <= set(track)
    assert track["external_ids"]["isrc"] == emu_extended.world.catalogue.track_by_id[track["id"]].isrc
    artist_id = track["artists"][0]["id"]
    artists = sp.artists([artist_id, "0" * 22])["artists"]
    assert set(REMOVED_ARTIST_FIELDS) <= set(artists[0])
    assert artists[1] is None
    assert set(REMOVED_ALBUM_FIELDS) <= set(sp.albums([track["album"]["id"]])["albums"][0])
    assert sp.tracks([track["id"]])["tracks"][0]["popularity"] == track["popularity"]


def test_search_genre_and_types(emu, emu_extended, sp, make_client):
    result = sp.search("genre:shoegaze", type="artist,track,album", limit=10)
    assert set(result) == {"artists", "tracks", "albums"}
    assert 0 < len(result["artists"]["items"]) <= 10
    ext = make_client(emu_extended).search("genre:shoegaze", type="artist", limit=10)
    assert all("shoegaze" in a["genres"] for a in ext["artists"]["items"])
    assert result["artists"]["total"] == ext["artists"]["total"]
    if result["tracks"]["next"]:
        nxt = sp.next(result["tracks"])
        assert nxt["tracks"]["offset"] == 10  # search pages come back wrapped by type, as on Spotify


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("me/tracks?limit=51", "Invalid limit"),
        ("me/tracks?limit=abc", "Invalid limit"),
        ("me/player/recently-played?after=1&before=2", "Only one of after and before can be specified"),
        ("search?q=a&type=track&limit=11", "Invalid limit"),
        ("search?q=a&type=bogus", "Bad search type field bogus"),
        ("me/top/tracks?time_range=forever", "Invalid time range"),
        ("me/top/genres", "Unsupported type"),
    ],
)
def test_bad_parameters_get_spotify_error_object(emu, sp, path, message):
    token = sp.auth_manager.get_access_token(as_dict=False)
    response = requests.get(emu.api_prefix + path, headers={"Authorization": f"Bearer {token}"}, timeout=5)
    assert response.status_code == 400
    assert response.json() == {"error": {"status": 400, "message": message}}


def _normalised(make_client, emu: Emulator, calls) -> list[str]:
    sp = make_client(emu)
    return [json.dumps(call(sp), sort_keys=True).replace(emu.base_url, "BASE") for call in calls]


def test_same_seed_same_responses(make_client):
    calls = [
        lambda sp: sp.me(),
        lambda sp: sp.current_user_recently_played(limit=50),
        lambda sp: sp.current_user_top_artists(limit=20, time_range="medium_term"),
        lambda sp: sp.current_user_saved_tracks(limit=20, offset=40),
        lambda sp: sp.current_user_playlists(),
        lambda sp: sp.search("genre:jazz", type="track", limit=5),
    ]
    with Emulator(seed=11, days=40) as a, Emulator(seed=11, days=40) as b, Emulator(seed=12, days=40) as c:
        first, second, other = (
            _normalised(make_client, a, calls),
            _normalised(make_client, b, calls),
            _normalised(make_client, c, calls),
        )
    assert first == second
    assert first[1] != other[1]


def test_listeners_have_own_identity_and_history(make_client):
    with Emulator(seed=5, days=15, listeners=3) as emu:
        users = [make_client(emu, i).me() for i in range(3)]
        assert len({u["id"] for u in users}) == 3
        assert len({u["country"] for u in users}) == 3
        recent = [make_client(emu, i).current_user_recently_played(limit=5)["items"] for i in range(3)]
        assert recent[0] != recent[1] != recent[2]
        assert next(x.refresh_token for x in emu.listeners) == "emulator-refresh-token"


def test_playlist_object_has_its_first_page_only_for_own_and_collaborative_playlists(
    emu, emu_extended, sp, make_client
):
    playlists = sp.current_user_playlists(limit=50)["items"]
    me = emu.listeners[0].user_id
    big = max((p for p in playlists if p["owner"]["id"] == me), key=lambda p: p["items"]["total"])
    shared = next(p for p in playlists if p["owner"]["id"] != me and p["collaborative"])
    foreign = next(p for p in playlists if p["owner"]["id"] != me and not p["collaborative"])

    whole = sp.playlist(big["id"])  # what a configured playlist (PLAYLIST_IDS) fetches
    summary = {k: v for k, v in big.items() if k not in ("items", "tracks")}
    assert {k: v for k, v in whole.items() if k not in ("items", "tracks")} == summary
    assert whole["items"] == sp.playlist_items(big["id"], limit=50)  # the first page, 50 entries
    assert len(whole["items"]["items"]) == 50 < whole["items"]["total"]
    assert "tracks" not in whole  # the deprecated page: development-mode apps lost /tracks
    assert sp.playlist(shared["id"])["items"]["total"] == shared["items"]["total"]
    other = sp.playlist(foreign["id"])  # readable, but not its entries (its /items is a 403)
    assert other["id"] == foreign["id"]
    assert "items" not in other
    assert "tracks" not in other
    with pytest.raises(spotipy.SpotifyException) as missing:
        sp.playlist("0" * 22)
    assert missing.value.http_status == 404

    ext = make_client(emu_extended)
    mine = next(p for p in ext.current_user_playlists(limit=50)["items"] if p["name"] == "Everyday")
    extended = ext.playlist(mine["id"])
    assert extended["tracks"] == _items_page(emu_extended, ext, mine["id"], "tracks", limit=100).json()
    assert extended["items"]["items"][0]["item"] == extended["tracks"]["items"][0]["track"]


def _items_page(emu, sp, playlist_id: str, path: str, **params) -> requests.Response:
    token = sp.auth_manager.get_access_token(as_dict=False)
    return requests.get(
        f"{emu.api_prefix}playlists/{playlist_id}/{path}",
        headers={"Authorization": f"Bearer {token}"},
        params=params,
        timeout=10,
    )


def test_playlist_holds_a_local_file_and_an_episode(emu, sp):
    everyday = next(p for p in sp.current_user_playlists(limit=50)["items"] if p["name"] == "Everyday")
    items = sp.playlist_items(everyday["id"], limit=10)["items"]
    local, episode = items[2], items[5]
    assert local["is_local"] is True
    assert (local["item"]["id"], local["item"]["href"], local["item"]["album"]["id"]) == (None, None, None)
    assert local["item"]["uri"] == "spotify:local:Garage+Band:Rehearsals:Demo+take+3:187"
    assert episode["is_local"] is False
    assert episode["item"]["type"] == "episode"
    assert episode["item"]["uri"].startswith("spotify:episode:")
    assert episode["item"]["show"]["type"] == "show"
    assert [i["item"]["type"] for i in items].count("track") == 9
    assert everyday["items"]["total"] == len(emu.world.playlists(0)[0].tracks) + 2


def test_deprecated_tracks_path_and_limit_100_answer_as_spotify_does(emu, emu_extended, sp, make_client):
    everyday = next(p for p in sp.current_user_playlists(limit=50)["items"] if p["name"] == "Everyday")
    forbidden = _items_page(emu, sp, everyday["id"], "tracks")  # development mode since February 2026
    assert (forbidden.status_code, forbidden.json()) == (403, {"error": {"status": 403, "message": "Forbidden"}})
    too_big = _items_page(emu, sp, everyday["id"], "items", limit=100)  # /items pages hold at most 50
    assert (too_big.status_code, too_big.json()["error"]["message"]) == (400, "Invalid limit")

    ext = make_client(emu_extended)
    mine = next(p for p in ext.current_user_playlists(limit=50)["items"] if p["name"] == "Everyday")
    old = _items_page(emu_extended, ext, mine["id"], "tracks", limit=100)  # extended quota keeps the old path
    body = old.json()
    assert old.status_code == 200
    assert body["limit"] == 100
    assert len(body["items"]) == min(100, mine["items"]["total"])
    assert all("track" in i and "item" not in i for i in body["items"])
    assert body["href"].endswith(f"/playlists/{mine['id']}/tracks?offset=0&limit=100")


def test_recently_played_has_null_contexts(emu, sp):
    items = sp.current_user_recently_played(limit=50)["items"]
    contexts = Counter(None if i["context"] is None else i["context"]["type"] for i in items)
    assert contexts[None] > 0  # search or queue plays carry no context
    assert set(contexts) <= {None, "album", "artist", "playlist", "collection"}
