"""The play identity and merge rule, and the listener id: what makes two rows one play, and which row stays.

Curation builds its Spark expressions from these constants (``curation.plays``, ``curation.api``), and the
synthetic exports, the benchmark's baselines, the import and the extractor call the functions here, so
the rule exists once; ``tests/curation/test_identity_agrees.py`` checks on generated plays that Spark and
these functions agree. docs/CURATION.md states the rule with examples.

The functions take a play as a mapping of ``plays`` column names (plus the lineage fields ``_new``,
``raw_object`` and ``_record_index`` where the merge needs them), the shape of a curated row.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Literal

# --- listener -------------------------------------------------------------------------------------------

#: listener_id = the first LISTENER_ID_HEX hex digits of sha256(LISTENER_SALT + Spotify user id).
LISTENER_SALT = "spotify-user:"
LISTENER_ID_HEX = 16


def listener_id(spotify_user_id: str) -> str:
    """Stable pseudonym of a Spotify user (never the e-mail or display name), shared by the extractor, the
    export import and curation (which derives it in Spark from the same two constants)."""
    if not spotify_user_id:
        raise ValueError("a Spotify user id is required to derive a listener id")
    return hashlib.sha256(f"{LISTENER_SALT}{spotify_user_id}".encode()).hexdigest()[:LISTENER_ID_HEX]


# --- what a play is -------------------------------------------------------------------------------------

#: The URI prefixes of the kinds of content a play can be of; local files (``spotify:local:``) have no id.
TRACK_URI_PREFIX = "spotify:track:"
EPISODE_URI_PREFIX = "spotify:episode:"
AUDIOBOOK_URI_PREFIX = "spotify:audiobook:"
CHAPTER_URI_PREFIX = "spotify:chapter:"
LOCAL_URI_PREFIX = "spotify:local:"

#: Fields of an extended streaming-history record that name the played content, in the order a play's URI is
#: taken (the first present one). A chapter's URI is more precise than its audiobook's.
EXPORT_URI_FIELDS = ("spotify_track_uri", "spotify_episode_uri", "audiobook_chapter_uri", "audiobook_uri")
#: The ``plays`` columns that hold those URIs (``audiobook_uri`` holds the chapter's when there is one), in
#: the order a play's identity takes them.
URI_COLUMNS = ("track_uri", "episode_uri", "audiobook_uri")

#: Titles of a play, first present wins: track, episode, chapter, audiobook (``plays`` columns).
TITLE_COLUMNS = ("track_name", "episode_name", "audiobook_chapter_title", "audiobook_title")
#: Who a title is by, first present wins; a chapter is by its audiobook (:data:`CHAPTER_BY`).
BY_COLUMNS = ("artist_name", "show_name")
CHAPTER_COLUMN = "audiobook_chapter_title"
CHAPTER_BY = "audiobook_title"

#: Identity of a play without a URI: NAME_PREFIX + name key, plus ACCOUNT_MS_PREFIX + ms played for account data.
NAME_PREFIX = "name:"
ACCOUNT_MS_PREFIX = "|ms="

#: Spotify counts a play as a *stream* at 30 seconds or more (royalties, Wrapped), and the Web API lists
#: only plays longer than 30 s: an API play without ms played is a stream.
STREAM_MS = 30_000

# --- sources and families -------------------------------------------------------------------------------

API_SOURCE = "api"
EXTENDED_SOURCE = "export_extended"
LEGACY_SOURCE = "export_legacy"
ACCOUNT_SOURCE = "export_account"

Family = Literal["api", "export", "account"]
#: Sources that are a family of their own; every other source (extended, legacy export) is "export".
FAMILY_OF: dict[str, Family] = {API_SOURCE: "api", ACCOUNT_SOURCE: "account"}
OTHER_FAMILY: Family = "export"
FAMILIES: frozenset[str] = frozenset({"api", "export", "account"})

# --- the merge ------------------------------------------------------------------------------------------

#: Lower is richer: among true duplicates of one family and equal ms played, the row of the richer source
#: is kept (extended over legacy). Sources not listed rank after all of these (UNLISTED_PREFERENCE).
SOURCE_PREFERENCE: dict[str, int] = {EXTENDED_SOURCE: 0, LEGACY_SOURCE: 1, API_SOURCE: 2, ACCOUNT_SOURCE: 3}
UNLISTED_PREFERENCE = 9

#: Step 1, duplicates within a family (same play_id): the order that picks the row kept, first key first.
#: ("ms_played", "desc") = the longest listen; "source_preference" = :data:`SOURCE_PREFERENCE`; ("_new", "asc")
#: = the row already curated before this run's; then lineage order. Nulls always sort last.
DUPLICATE_ORDER: tuple[tuple[str, Literal["asc", "desc"]], ...] = (
    ("ms_played", "desc"),
    ("source_preference", "asc"),
    ("_new", "asc"),
    ("raw_object", "asc"),
    ("_record_index", "asc"),
)

#: Step 2: an API play and an export play of the same track URI ending at most this far apart are one play;
#: the export row stays (:data:`API_EXPORT_SURVIVOR`) and takes the API's ids and context.
API_EXPORT_TOLERANCE_S = 60
API_EXPORT_SURVIVOR: Family = "export"

#: Account data gives the end minute only ("2024-01-05 14:23"): the real end lies in [minute, minute + 60 s).
ACCOUNT_RESOLUTION_S = 60
#: Step 3: another play with the same names (and the same ms played, see :func:`account_ms_match`) is the
#: account row's play when it ends in this window around the account row's minute: the minute widened by the
#: tolerance on both sides, [-60 s, +120 s]; the nearest to the window's centre (endTime + 30 s) wins and the
#: other row stays (the account row is absorbed).
ACCOUNT_WINDOW_S = (-API_EXPORT_TOLERANCE_S, ACCOUNT_RESOLUTION_S + API_EXPORT_TOLERANCE_S)

#: How far from a new play's end a curated play can lie and still change fate in a merge with it, which
#: bounds the months an incremental run reads back. A new play meets a curated one directly within the wider
#: of the two cross-family windows (120 s, step 3), and through one intermediate row at most: a curated API
#: play absorbed into the new export play (step 2, 60 s) no longer competes for a curated account play within
#: 120 s of it (step 3). So: 60 s + 120 s = 180 s.
MERGE_REACH_S = API_EXPORT_TOLERANCE_S + max(-ACCOUNT_WINDOW_S[0], ACCOUNT_WINDOW_S[1])


def family_of_source(source: str) -> Family:
    """api | export (extended and legacy: seconds and URIs) | account (minutes, names only)."""
    return FAMILY_OF.get(source, OTHER_FAMILY)


def _norm(text: str) -> str:
    # Spark's trim() removes spaces only (not tabs or newlines), and the identity must be the same on both sides.
    return text.strip(" ").lower()


def name_key(play: Mapping[str, object]) -> str | None:
    """Lower-cased ``title|by``: track|artist, episode|show, chapter|audiobook or audiobook|; None without a title."""

    def first(columns: tuple[str, ...]) -> str | None:
        for c in columns:
            v = play.get(c)
            if v is not None:
                return str(v)
        return None

    title = first(TITLE_COLUMNS)
    if title is None:
        return None
    by = first(BY_COLUMNS)
    if by is None and play.get(CHAPTER_COLUMN) is not None:
        by = first((CHAPTER_BY,))
    return f"{_norm(title)}|{_norm(by or '')}"


def play_identity(play: Mapping[str, object]) -> str:
    """What a play *is* within its end second: its first URI (:data:`URI_COLUMNS`), else ``name:<title|by>``.

    Account data has no URIs and only the end minute, so a replay of one track in one minute differs from the
    first play only by its ms played: there the identity is ``name:<title|by>|ms=<ms>`` and two rows merge only
    when they are true repeats (same minute, names and ms played)."""
    for column in URI_COLUMNS:
        uri = play.get(column)
        if uri is not None:
            return str(uri)
    key = NAME_PREFIX + (name_key(play) or "")
    if play.get("source") == ACCOUNT_SOURCE:
        ms = play.get("ms_played")
        key += ACCOUNT_MS_PREFIX + ("" if ms is None else str(ms))
    return key


def play_id(listener: str, played_at: datetime, identity: str) -> str:
    """32 hex of sha256(listener | end time to the second, UTC | identity)."""
    if played_at.tzinfo is not None:
        played_at = played_at.astimezone(UTC)
    second = played_at.strftime("%Y-%m-%dT%H:%M:%S")
    return hashlib.sha256(f"{listener}|{second}|{identity}".encode()).hexdigest()[:32]


def export_row_play(row: Mapping[str, object]) -> dict[str, object]:
    """The identity-bearing ``plays`` columns of one raw export row (any of the three formats), as curation
    derives them: URIs of known kinds only (a ``spotify:local:`` track has none), names, source, ms played."""

    def s(*fields: str) -> str | None:
        for f in fields:
            v = row.get(f)
            if v:
                return str(v)
        return None

    track_uri = s(EXPORT_URI_FIELDS[0])
    ms = row.get("ms_played", row.get("msPlayed"))
    return {
        "track_uri": track_uri if track_uri and track_uri.startswith(TRACK_URI_PREFIX) else None,
        "episode_uri": s(EXPORT_URI_FIELDS[1]),
        "audiobook_uri": s(*EXPORT_URI_FIELDS[2:]),
        "track_name": s("master_metadata_track_name", "trackName"),
        "artist_name": s("master_metadata_album_artist_name", "artistName"),
        "episode_name": s("episode_name", "episodeName"),
        "show_name": s("episode_show_name", "podcastName"),
        "audiobook_chapter_title": s("audiobook_chapter_title", "chapterName"),
        "audiobook_title": s("audiobook_title", "audiobookName"),
        # The row's source (extended, legacy, account) is its object's; only account data has "endTime", and
        # only being account data matters to the identity.
        "source": ACCOUNT_SOURCE if "endTime" in row else None,
        "ms_played": int(ms) if isinstance(ms, int | float) else None,
    }


def export_row_identity(row: Mapping[str, object]) -> str:
    """:func:`play_identity` of one raw export row."""
    return play_identity(export_row_play(row))


# --- which row stays ------------------------------------------------------------------------------------


def source_preference(source: object) -> int:
    return SOURCE_PREFERENCE.get(str(source), UNLISTED_PREFERENCE) if source is not None else UNLISTED_PREFERENCE


def duplicate_rank(play: Mapping[str, object]) -> tuple[tuple[bool, object], ...]:
    """Sort key of :data:`DUPLICATE_ORDER`: the smallest rank among rows of one play_id and family is kept."""
    key: list[tuple[bool, object]] = []
    for field, direction in DUPLICATE_ORDER:
        value = source_preference(play.get("source")) if field == "source_preference" else play.get(field)
        if value is None:
            key.append((True, 0))
        elif direction == "desc":
            if not isinstance(value, int | float):
                raise TypeError(f"{field}: descending order needs a number, got {value!r}")
            key.append((False, -value))
        else:
            key.append((False, value))
    return tuple(key)


def duplicate_winner(a: Mapping[str, object], b: Mapping[str, object]) -> Mapping[str, object]:
    """Of two rows of one play (same play_id, same family), the one kept (step 1); ties keep ``a``."""
    return b if duplicate_rank(b) < duplicate_rank(a) else a


def _seconds(play: Mapping[str, object]) -> float:
    played_at = _as_datetime(play)
    return (played_at if played_at.tzinfo else played_at.replace(tzinfo=UTC)).timestamp()


def account_ms_match(account_ms: int | None, other_ms: int | None) -> bool:
    """Step 3's ms rule: the other row has the account row's ms played, or has none (an API play, which the
    API lists only from 30 s on) while the account row is a stream."""
    if other_ms is not None:
        return other_ms == account_ms
    return account_ms is not None and account_ms >= STREAM_MS


def pair_winner(a: Mapping[str, object], b: Mapping[str, object]) -> Mapping[str, object] | None:
    """Of two plays of one listener, the row kept when they are one play, or None when both stay.

    Exact for a pair (with more rows, steps 2 and 3 pair each row with its mutually nearest partner only)."""
    if a.get("listener_id") != b.get("listener_id"):
        return None
    fa, fb = family_of_source(str(a["source"])), family_of_source(str(b["source"]))
    if fa == fb:
        same = play_id(str(a["listener_id"]), _as_datetime(a), play_identity(a)) == play_id(
            str(b["listener_id"]), _as_datetime(b), play_identity(b)
        )
        return duplicate_winner(a, b) if same else None
    if {fa, fb} == {"api", "export"}:
        export, api = (a, b) if fa == API_EXPORT_SURVIVOR else (b, a)
        uri = export.get("track_uri")
        same_track = uri is not None and uri == api.get("track_uri")
        if same_track and abs(_seconds(api) - _seconds(export)) <= API_EXPORT_TOLERANCE_S:
            return export
        return None
    account, other = (a, b) if fa == "account" else (b, a)
    names = name_key(account)
    if names is None or names != name_key(other):
        return None
    lo, hi = ACCOUNT_WINDOW_S
    delta = _seconds(other) - _seconds(account)
    ms_a, ms_o = account.get("ms_played"), other.get("ms_played")
    if lo <= delta <= hi and account_ms_match(_as_int(ms_a), _as_int(ms_o)):
        return other
    return None


def _as_datetime(play: Mapping[str, object]) -> datetime:
    played_at = play["played_at"]
    if not isinstance(played_at, datetime):
        raise TypeError(f"played_at must be a datetime, got {played_at!r}")
    return played_at


def _as_int(value: object) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int):
        raise TypeError(f"ms_played must be an int, got {value!r}")
    return value
