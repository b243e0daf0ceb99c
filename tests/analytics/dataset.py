"""The small hand-built lake the view tests run on; the expected answers in test_views.py are worked out by hand.

Two listeners. Listener A plays late on 2024-01-15 UTC, which is already 2024-01-16 in Europe/Berlin for three
of the plays, in one session spanning local midnight; the gaps between its plays are 3:40, exactly 10:00 (same
session) and 10:01 (new session). Export plays carry ms_played and skips, API plays only the track length,
one account-export play has no ids at all, and artist Three / track Four lack popularity, followers and genres as
in development mode. Listener B has API plays only, in January and March (churn and return).

Besides those 12 plays the lake holds 5 that the analyses leave out (EXCLUDED_PLAYS, with the EXCLUSIONS file):
two private-session plays of A (one also by an excluded artist: the private session is the reason given), one
play of A by the excluded artist "Artist, Four" (a comma inside the name, upper case in the file), and two of B
left out by B's own rules (a show, and every audiobook). Every other view's answer is the same as without them.

``build_spoken_word`` writes a second lake, one listener C with podcasts, audiobooks, music, a local file and
a play of unknown type, for the podcast and audiobook views (answers in test_views.py).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from tests.support.lake_builder import write_exclusions, write_table

A = "aaaaaaaaaaaaaaaa"
B = "bbbbbbbbbbbbbbbb"
UPDATED = datetime(2024, 6, 30, 12, 0, tzinfo=UTC)


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


TRACKS = {
    # id: (name, album, artist ids, artist names, duration, popularity)
    "t1": ("Song One", "al1", ["ar1"], ["Artist One"], 200_000, 80),
    "t2": ("Song Two", "al1", ["ar1", "ar2"], ["Artist One", "Artist Two"], 180_000, 20),
    "t3": ("Song Three", "al2", ["ar2"], ["Artist Two"], 240_000, 55),
    "t4": ("Song Four", "al3", ["ar3"], ["Artist Three"], 300_000, None),
}
ALBUM_NAMES = {"al1": "Album One", "al2": "Album Two", "al3": "Album Three"}


def _export_play(play_id, listener, played_at, track, ms, *, skipped, platform, country, source="export_extended"):
    name, album, _ids, names, _duration, _pop = TRACKS[track]
    return {
        "play_id": play_id,
        "listener_id": listener,
        "played_at": ts(played_at),
        "track_id": track,
        "track_uri": f"spotify:track:{track}",
        "content_type": "track",
        "track_name": name,
        "artist_name": names[0],
        "album_name": ALBUM_NAMES[album],
        "ms_played": ms,
        "is_stream": ms >= 30_000,
        "skipped": skipped,
        "platform": platform,
        "conn_country": country,
        "source": source,
        "play_month": played_at[:7],
    }


def _api_play(play_id, listener, played_at, track, country):
    name, album, ids, names, duration, _pop = TRACKS[track]
    return {
        "play_id": play_id,
        "listener_id": listener,
        "played_at": ts(played_at),
        "track_id": track,
        "track_uri": f"spotify:track:{track}",
        "content_type": "track",
        "track_name": name,
        "artist_name": names[0],
        "album_name": ALBUM_NAMES[album],
        "artist_id": ids[0],
        "album_id": album,
        "duration_ms": duration,
        "is_stream": True,
        "conn_country": country,
        "context_type": "album",
        "source": "api",
        "play_month": played_at[:7],
    }


PLAYS = [
    _export_play(
        "p3",
        A,
        "2024-01-15 22:58:00",
        "t3",
        242_000,
        skipped=None,
        platform="Windows 10 (10.0.19045; x64)",
        country="DE",
    ),
    _export_play(
        "p1",
        A,
        "2024-01-15 23:05:00",
        "t1",
        200_000,
        skipped=False,
        platform="Android OS 12 API 31 (Google, Pixel 6)",
        country="DE",
    ),
    _export_play(
        "p2", A, "2024-01-15 23:15:32", "t2", 32_000, skipped=True, platform="iOS 17.1 (iPhone14,2)", country="DE"
    ),
    _export_play(
        "p4", A, "2024-01-15 23:26:01", "t3", 28_000, skipped=True, platform="OS X 10.15.7 [x86 8]", country="SE"
    ),
    _api_play("p5", A, "2024-01-17 10:00:00", "t4", "DE"),
    _api_play("p6", A, "2024-01-17 10:05:00", "t1", "DE"),
    _export_play(
        "p7",
        A,
        "2024-02-20 12:00:00",
        "t1",
        200_000,
        skipped=False,
        platform="web_player osx 11.0.0;chrome 120",
        country="DE",
    ),
    {
        "play_id": "p9",
        "listener_id": A,
        "played_at": ts("2024-02-21 07:00:00"),
        "episode_uri": "spotify:episode:e1",
        "content_type": "episode",
        "episode_name": "Episode One",
        "show_name": "Show One",
        "ms_played": 1_200_000,
        "is_stream": True,
        "skipped": False,
        "platform": "Android OS 12 API 31 (Google, Pixel 6)",
        "conn_country": "DE",
        "source": "export_extended",
        "play_month": "2024-02",
    },
    {
        # Account-data export: names and ms only, no ids, no country, no platform.
        "play_id": "p8",
        "listener_id": A,
        "played_at": ts("2024-06-10 21:59:00"),
        "content_type": "track",
        "track_name": "Song Four",
        "artist_name": "Artist Three",
        "ms_played": 60_000,
        "is_stream": True,
        "source": "export_account",
        "play_month": "2024-06",
    },
    _api_play("q1", B, "2024-01-20 20:00:00", "t1", "SE"),
    _api_play("q2", B, "2024-01-21 20:00:00", "t3", "SE"),
    _api_play("q3", B, "2024-03-05 20:00:00", "t3", "SE"),
]

#: Plays the analyses leave out (play_events and every view on it skip them; the plays table keeps them).
EXCLUDED_PLAYS = [
    {
        **_export_play(
            "x1", A, "2024-02-20 13:00:00", "t1", 200_000, skipped=False, platform="iOS 17.1 (iPhone14,2)", country="DE"
        ),
        "incognito_mode": True,
    },
    {
        # private AND by an excluded artist: one reason is given, the private session
        "play_id": "x2",
        "listener_id": A,
        "played_at": ts("2024-02-20 13:10:00"),
        "content_type": "track",
        "track_name": "Song Five",
        "artist_name": "Artist, Four",
        "ms_played": 150_000,
        "is_stream": True,
        "incognito_mode": True,
        "source": "export_extended",
        "play_month": "2024-02",
    },
    {
        "play_id": "x3",
        "listener_id": A,
        "played_at": ts("2024-02-20 13:20:00"),
        "content_type": "track",
        "track_name": "Song Five",
        "artist_name": "Artist, Four",
        "ms_played": 90_000,
        "is_stream": True,
        "incognito_mode": False,
        "source": "export_extended",
        "play_month": "2024-02",
    },
    {
        "play_id": "x4",
        "listener_id": B,
        "played_at": ts("2024-01-22 08:00:00"),
        "episode_uri": "spotify:episode:ex4",
        "content_type": "episode",
        "episode_name": "Work Episode",
        "show_name": "Show Hidden",
        "ms_played": 600_000,
        "is_stream": True,
        "source": "export_extended",
        "play_month": "2024-01",
    },
    {
        "play_id": "x5",
        "listener_id": B,
        "played_at": ts("2024-01-22 09:00:00"),
        "audiobook_uri": "spotify:chapter:bx5",
        "content_type": "audiobook",
        "audiobook_title": "Book B",
        "audiobook_chapter_title": "Chapter 1",
        "ms_played": 300_000,
        "is_stream": True,
        "source": "export_extended",
        "play_month": "2024-01",
    },
]

#: The listener's exclusions file as a person would write it: spaces, any case, empty listener = everyone, a rule
#: that matches nothing, a quoted value with a comma and a quoted reason with a doubled quote.
EXCLUSIONS = f"""kind,value,listener_id,reason
artist,"ARTIST, FOUR",,"my kid's ""favourite"", not mine"
show, Show Hidden ,{B},work podcast
Content_Type,audiobook,{B},
track,Nonexistent Song,,
"""

ARTISTS = [
    {"artist_id": "ar1", "name": "Artist One", "genres": ["pop", "dance"], "popularity": 90, "followers": 1_000_000},
    {"artist_id": "ar2", "name": "Artist Two", "genres": ["rock"], "popularity": 40, "followers": 5_000},
    {"artist_id": "ar3", "name": "Artist Three", "genres": None, "popularity": None, "followers": None},
]

ALBUMS = [
    {
        "album_id": "al1",
        "name": "Album One",
        "release_date": "2020-05-01",
        "release_date_precision": "day",
        "release_year": 2020,
        "total_tracks": 2,
        "artist_ids": ["ar1"],
        "popularity": 60,
    },
    {
        "album_id": "al2",
        "name": "Album Two",
        "release_date": "2024-05",
        "release_date_precision": "month",
        "release_year": 2024,
        "total_tracks": 10,
        "artist_ids": ["ar2"],
        "popularity": 40,
    },
    {
        "album_id": "al3",
        "name": "Album Three",
        "release_date": "1999",
        "release_date_precision": "year",
        "release_year": 1999,
        "total_tracks": 12,
        "artist_ids": ["ar3"],
        "popularity": None,
    },
]


def _top(listener, day, time_range, item_type, rank, item_id, item_name):
    return {
        "listener_id": listener,
        "snapshot_date": day,
        "time_range": time_range,
        "item_type": item_type,
        "rank": rank,
        "item_id": item_id,
        "item_name": item_name,
        "snapshot_month": day.strftime("%Y-%m"),
    }


JUNE, MAY = date(2024, 6, 1), date(2024, 5, 1)
TOP_ITEMS = [
    _top(A, JUNE, "short_term", "track", 1, "t3", "Song Three"),
    _top(A, JUNE, "short_term", "track", 2, "t1", "Song One"),
    _top(A, MAY, "short_term", "track", 1, "t4", "Song Four"),  # older snapshot: not current
    _top(A, JUNE, "long_term", "track", 1, "t1", None),  # name from the tracks table
    _top(A, JUNE, "short_term", "artist", 1, "ar1", "Artist One"),  # an artist, not a track
]


def _item(playlist, day, position, track, item_type="track"):
    return {
        "listener_id": A,
        "playlist_id": playlist,
        "snapshot_date": day,
        "position": position,
        "item_type": item_type,
        "track_id": track,
        "snapshot_month": day.strftime("%Y-%m"),
    }


PLAYLIST_ITEMS = [
    _item("pl1", JUNE, 0, "t1"),
    _item("pl1", JUNE, 1, "t2"),
    _item("pl1", JUNE, 2, "t3"),
    _item("pl1", MAY, 0, "t4"),  # older snapshot of pl1: ignored
    _item("pl2", JUNE, 0, "t1"),  # the same song in a second playlist counts once
    _item("pl2", JUNE, 1, "t3"),
    _item("pl2", JUNE, 2, None, item_type="episode"),
]

PLAYLISTS = [
    {
        "listener_id": A,
        "playlist_id": p,
        "snapshot_date": JUNE,
        "name": p,
        "is_owner": True,
        "total_items": 3,
        "snapshot_month": "2024-06",
    }
    for p in ("pl1", "pl2")
]


def _search(query, genre, day, item_type, rank, item_id):
    return {
        "query": query,
        "genre": genre,
        "snapshot_date": day,
        "item_type": item_type,
        "rank": rank,
        "item_id": item_id,
        "snapshot_month": day.strftime("%Y-%m"),
    }


SEARCH_RESULTS = [
    _search("genre:pop", "pop", JUNE, "track", 1, "t1"),
    _search("genre:pop", "pop", JUNE, "track", 2, "t2"),
    _search("genre:pop", "pop", MAY, "track", 1, "t3"),  # older snapshot: ignored
    _search("genre:rock", "rock", JUNE, "track", 1, "t3"),
    _search("genre:rock", "rock", JUNE, "track", 2, "t4"),  # popularity unknown
    _search("Artist One", None, JUNE, "artist", 1, "ar1"),
]

QUARANTINE = [
    {
        "run_id": "curate-1",
        "source_object": "raw/source=export/x.json",
        "record_index": 7,
        "listener_id": A,
        "reason": "unparseable ts",
        "raw_text": "{}",
        "quarantined_at": ts("2024-06-30 12:00:00"),
    },
]


def build(lake: Path, *, development_mode: bool = False) -> Path:
    """Write the dataset under ``lake``; ``development_mode`` blanks every field such apps no longer get."""
    tracks = [
        {
            "track_id": t,
            "track_uri": f"spotify:track:{t}",
            "name": n,
            "album_id": al,
            "artist_ids": ids,
            "artist_names": names,
            "duration_ms": d,
            "popularity": None if development_mode else p,
            "updated_at": UPDATED,
        }
        for t, (n, al, ids, names, d, p) in TRACKS.items()
    ]
    artists = [
        {**a, "updated_at": UPDATED}
        | ({"genres": None, "popularity": None, "followers": None} if development_mode else {})
        for a in ARTISTS
    ]
    albums = [{**a, "updated_at": UPDATED} | ({"popularity": None} if development_mode else {}) for a in ALBUMS]
    write_table(lake, "plays", PLAYS + EXCLUDED_PLAYS)
    write_exclusions(lake, EXCLUSIONS)
    write_table(lake, "tracks", tracks)
    write_table(lake, "artists", artists)
    write_table(lake, "albums", albums)
    write_table(lake, "top_items", TOP_ITEMS)
    write_table(lake, "playlists", PLAYLISTS)
    write_table(lake, "playlist_items", PLAYLIST_ITEMS)
    write_table(lake, "search_results", SEARCH_RESULTS)
    write_table(lake, "quarantine", QUARANTINE)
    # artist_snapshots, saved_tracks and data_quality stay empty: the loader must give typed empty tables.
    return lake


# -- the podcast and audiobook lake ----------------------------------------------------------------------------

C = "cccccccccccccccc"


def _spoken(play_id, played_at, content_type, ms, *, reason_end=None, source="export_extended", **names):
    return {
        "play_id": play_id,
        "listener_id": C,
        "played_at": ts(played_at),
        "content_type": content_type,
        "ms_played": ms,
        "is_stream": ms >= 30_000,
        "reason_end": reason_end,
        "source": source,
        "play_month": played_at[:7],
        **names,
    }


def _episode(play_id, played_at, ms, show, episode, uri=None, **kwargs):
    return _spoken(play_id, played_at, "episode", ms, show_name=show, episode_name=episode, episode_uri=uri, **kwargs)


def _chapter(play_id, played_at, ms, book, chapter, uri=None, **kwargs):
    return _spoken(
        play_id, played_at, "audiobook", ms, audiobook_title=book, audiobook_chapter_title=chapter, audiobook_uri=uri,
        **kwargs,
    )  # fmt: skip


ACCOUNT = {"source": "export_account"}  # account data: names and ms only, no URIs, no reason_end
SPOKEN_PLAYS = [
    # Show One, Episode One in two sittings: the second reaches the end
    _episode(
        "s1", "2024-03-01 08:00:00", 1_200_000, "Show One", "Episode One", "spotify:episode:e1", reason_end="endplay"
    ),
    _episode(
        "s2", "2024-03-02 08:00:00", 600_000, "Show One", "Episode One", "spotify:episode:e1", reason_end="trackdone"
    ),
    # Episode Two never finished; its second play is in a private session, which listener C keeps
    _episode(
        "s3", "2024-03-03 08:00:00", 300_000, "Show One", "Episode Two", "spotify:episode:e2", reason_end="endplay"
    ),
    {
        **_episode(
            "s4", "2024-03-04 08:00:00", 100_000, "Show One", "Episode Two", "spotify:episode:e2", reason_end="endplay"
        ),
        "incognito_mode": True,
    },
    # account data: how the play ended is not known
    _episode("s5", "2024-04-01 08:00:00", 900_000, "Show Two", "Episode Z", **ACCOUNT),
    # Book Q: chapter 1 finished, chapter 2 finished in a second sitting, chapter 3 started
    _chapter("s6", "2024-03-05 22:00:00", 600_000, "Book Q", "Chapter 1", "spotify:chapter:q1", reason_end="trackdone"),
    _chapter("s7", "2024-03-06 22:00:00", 300_000, "Book Q", "Chapter 2", "spotify:chapter:q2", reason_end="endplay"),
    _chapter("s8", "2024-03-07 22:00:00", 400_000, "Book Q", "Chapter 2", "spotify:chapter:q2", reason_end="trackdone"),
    _chapter("s9", "2024-03-08 22:00:00", 50_000, "Book Q", "Chapter 3", "spotify:chapter:q3", reason_end="endplay"),
    _chapter("s10", "2024-04-02 21:00:00", 1_000_000, "Book R", "Chapter 1", **ACCOUNT),
    # music, a local file (music too) and a play the export could not type
    _spoken(
        "s11",
        "2024-03-01 09:00:00",
        "track",
        200_000,
        reason_end="trackdone",
        track_id="t1",
        track_name="Song One",
        artist_name="Artist One",
    ),
    _spoken("s12", "2024-04-03 10:00:00", "local", 120_000, track_name="Home Demo", artist_name="Me"),
    _spoken("s13", "2024-04-03 10:05:00", "unknown", 10_000),
    # a show listener C left out
    _episode("s14", "2024-03-08 08:00:00", 500_000, "Show Banned", "Nope", "spotify:episode:e9", reason_end="endplay"),
]
SPOKEN_EXCLUSIONS = f"""kind,value,listener_id,reason
private_sessions,keep,{C},count them
show,show banned,,
"""


def build_spoken_word(lake: Path) -> Path:
    """One listener's podcasts, audiobooks and a little music (see the module docstring)."""
    write_table(lake, "plays", SPOKEN_PLAYS)
    write_exclusions(lake, SPOKEN_EXCLUSIONS)
    return lake
