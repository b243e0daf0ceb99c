"""Explicit Spark schemas of what curation reads: raw envelopes, Spotify API items and export rows.

Nothing is inferred. Only the fields curation uses are declared; unknown fields are ignored by ``from_json``.
Export fields are all read as strings so that a wrong type (``"ms_played": "abc"``) cannot null out the
whole file: the transforms cast them and quarantine the record with a reason instead.
"""

from __future__ import annotations

from pyspark.sql import types as T

from lake_contract import endpoints


def _s(*names: str) -> list[T.StructField]:
    return [T.StructField(n, T.StringType()) for n in names]


def _struct(*fields: T.StructField) -> T.StructType:
    return T.StructType(list(fields))


def _f(name: str, data_type: T.DataType) -> T.StructField:
    return T.StructField(name, data_type)


LONG = T.LongType()
BOOL = T.BooleanType()

IMAGE = _struct(*_s("url"), _f("height", LONG), _f("width", LONG))
SIMPLIFIED_ARTIST = _struct(*_s("id", "name", "uri", "type"))
SIMPLIFIED_ALBUM = _struct(
    *_s("id", "name", "uri", "album_type", "release_date", "release_date_precision", "label"),
    _f("total_tracks", LONG),
    _f("popularity", LONG),
    _f("images", T.ArrayType(IMAGE)),
    _f("artists", T.ArrayType(SIMPLIFIED_ARTIST)),
    _f("external_ids", _struct(*_s("upc"))),
)
TRACK = _struct(
    *_s("id", "name", "uri", "type"),
    _f("duration_ms", LONG),
    _f("explicit", BOOL),
    _f("disc_number", LONG),
    _f("track_number", LONG),
    _f("is_local", BOOL),
    _f("popularity", LONG),
    _f("external_ids", _struct(*_s("isrc"))),
    _f("linked_from", _struct(*_s("id"))),
    _f("album", SIMPLIFIED_ALBUM),
    _f("artists", T.ArrayType(SIMPLIFIED_ARTIST)),
    # Episodes share the playlist-item slot with tracks.
    _f("show", _struct(*_s("name"))),
)
ARTIST = _struct(
    *_s("id", "name", "uri", "type"),
    _f("images", T.ArrayType(IMAGE)),
    _f("genres", T.ArrayType(T.StringType())),
    _f("popularity", LONG),
    _f("followers", _struct(_f("total", LONG))),
)
#: Search results mix tracks, artists and albums; one struct covers the three.
SEARCH_ITEM = _struct(
    *_s("id", "name", "uri", "type"),
)
PLAY_HISTORY = _struct(_f("track", TRACK), *_s("played_at"), _f("context", _struct(*_s("type", "uri"))))
SAVED_TRACK = _struct(*_s("added_at"), _f("track", TRACK))
PLAYLIST = _struct(
    *_s("id", "name", "description", "snapshot_id"),
    _f("owner", _struct(*_s("id"))),
    _f("collaborative", BOOL),
    _f("public", BOOL),
    _f("items", _struct(_f("total", LONG))),
    _f("tracks", _struct(_f("total", LONG))),
)
PLAYLIST_ITEM = _struct(
    *_s("added_at"),
    _f("added_by", _struct(*_s("id"))),
    _f("is_local", BOOL),
    _f("item", TRACK),
    _f("track", TRACK),  # before the 2026 rename the item sat under "track"
)

#: One raw line. ``item`` stays JSON text here and is parsed with the endpoint's schema afterwards.
ENVELOPE = _struct(
    *_s("listener_id", "endpoint", "extracted_at", "run_id", "mode", "item"),
    _f("request", _struct(*_s("path"), _f("params", _struct(*_s("time_range", "q", "type"))))),
    _f("parent", _struct(*_s("playlist_id"))),
    _f("position", LONG),
)

#: The Spotify objects raw API lines hold, by the name the endpoint registry gives them (``Endpoint.item``).
ITEMS: dict[str, T.StructType] = {
    "play_history": PLAY_HISTORY,
    "artist": ARTIST,
    "track": TRACK,
    "saved_track": SAVED_TRACK,
    "playlist": PLAYLIST,
    "playlist_item": PLAYLIST_ITEM,
    "album": SIMPLIFIED_ALBUM,
    "search_item": SEARCH_ITEM,
}
#: The item schema of every API endpoint curation knows; lines of any other endpoint are quarantined.
ITEM_SCHEMAS: dict[str, T.StructType] = {e.name: ITEMS[e.item] for e in endpoints.API_ENDPOINTS}

#: Every field any export kind carries (extended, legacy endsong, account data), as strings.
EXPORT_ROW = _struct(
    *_s(
        # extended and legacy
        "ts",
        "username",
        "platform",
        "ms_played",
        "conn_country",
        "master_metadata_track_name",
        "master_metadata_album_artist_name",
        "master_metadata_album_album_name",
        "spotify_track_uri",
        "episode_name",
        "episode_show_name",
        "spotify_episode_uri",
        "audiobook_title",
        "audiobook_uri",
        "audiobook_chapter_uri",
        "audiobook_chapter_title",
        "reason_start",
        "reason_end",
        "shuffle",
        "skipped",
        "offline",
        "offline_timestamp",
        "incognito_mode",
        # account data
        "endTime",
        "artistName",
        "trackName",
        "msPlayed",
        "podcastName",
        "episodeName",
        "audiobookName",
        "chapterName",
        "authorName",
    )
)
EXPORT_FILE = T.ArrayType(EXPORT_ROW)
