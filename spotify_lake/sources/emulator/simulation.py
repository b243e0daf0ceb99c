"""The simulated world behind the emulator: catalogue, listeners, a clock, and what each listener did.

``World`` is pure Python with no HTTP in it, so tests and the export generator can ask it for ground
truth directly. History starts ``days`` before the initial "now" and keeps accruing as the clock moves.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from spotify_lake.sources.emulator.catalogue import Catalogue, catalogue_for, spotify_id
from spotify_lake.sources.emulator.listening import (
    DAY_MS,
    DEFAULT_NOW,
    MAX_LISTENERS,
    Listener,
    Play,
    iter_window,
    iter_window_reverse,
    make_listener,
    pick_track,
    taste_for,
    to_ms,
)

RECENTLY_PLAYED_REACH = 50  # Spotify never lists more than the 50 most recent plays
TOP_RANGES_DAYS = {"short_term": 28, "medium_term": 182}  # long_term: the whole simulated history
TOP_MAX_ITEMS = 100


def iso_ms(ms: int) -> str:
    """Epoch milliseconds as Spotify's ``played_at`` (``2026-10-31T21:14:03.123Z``)."""
    moment = datetime.fromtimestamp(ms / 1000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def iso_s(ms: int) -> str:
    """Epoch milliseconds as a second-precision UTC timestamp (``2026-10-31T21:14:03Z``)."""
    return datetime.fromtimestamp(ms // 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_now(value: datetime | str | None) -> datetime:
    """An aware UTC datetime from a datetime, an ISO-8601 string or None (the fixed default anchor)."""
    if value is None:
        return DEFAULT_NOW
    if isinstance(value, str):
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Playlist:
    id: str
    name: str
    description: str
    owner_id: str
    owner_name: str
    owned_by_listener: bool
    collaborative: bool
    public: bool
    tracks: tuple[int, ...]
    added_at_ms: tuple[int, ...]
    snapshot_id: str
    #: Entries that are not catalogue tracks, as real playlists hold them: (position, "local" | "episode",
    #: index into LOCAL_FILES or the catalogue's episodes), in position order.
    specials: tuple[tuple[int, str, int], ...] = ()

    @property
    def size(self) -> int:
        """Number of entries: tracks plus local files and episodes."""
        return len(self.tracks) + len(self.specials)

    def entries(self) -> list[tuple[str, int, int]]:
        """(kind, index, added_at_ms) per position: kind ``track`` (catalogue index), ``local`` or ``episode``."""
        special = {position: (kind, index) for position, kind, index in self.specials}
        out: list[tuple[str, int, int]] = []
        tracks = iter(zip(self.tracks, self.added_at_ms, strict=True))
        last_added = self.added_at_ms[0] if self.added_at_ms else 0
        for position in range(self.size):
            if position in special:
                kind, index = special[position]
                out.append((kind, index, last_added))  # added in the same session as the entry before it
            else:
                track, last_added = next(tracks)
                out.append(("track", track, last_added))
        return out


#: Local files (``spotify:local:...``) that listeners put in their playlists: (name, artist, album, ms).
LOCAL_FILES = (("Demo take 3", "Garage Band", "Rehearsals", 187_000),)


class World:
    """Catalogue + listeners + clock. Thread-safe for the emulator's concurrent requests."""

    def __init__(self, *, seed: int = 7, days: int = 365, listeners: int = 1, now: datetime | str | None = None):
        if days < 0:
            raise ValueError("days must be >= 0")
        if not 1 <= listeners <= MAX_LISTENERS:
            raise ValueError(f"listeners must be between 1 and {MAX_LISTENERS} (Spotify's development-mode cap)")
        self.seed = seed
        self.days = days
        self.catalogue: Catalogue = catalogue_for(seed)
        self.listeners: list[Listener] = [make_listener(seed, i) for i in range(listeners)]
        initial = parse_now(now)
        self.initial_now_ms = to_ms(initial)
        self.history_start_ms = self.initial_now_ms - days * DAY_MS
        self._now_ms = self.initial_now_ms
        self._lock = threading.Lock()
        self._top_cache: dict[tuple, list[int]] = {}

    # -- clock ---------------------------------------------------------------------------------
    @property
    def now_ms(self) -> int:
        with self._lock:
            return self._now_ms

    @property
    def now(self) -> datetime:
        return datetime.fromtimestamp(self.now_ms / 1000, tz=UTC)

    def advance(self, *, hours: float = 0, minutes: float = 0, seconds: float = 0) -> datetime:
        delta = timedelta(hours=hours, minutes=minutes, seconds=seconds)
        if delta < timedelta(0):
            raise ValueError("the simulated clock only moves forward")
        with self._lock:
            self._now_ms += int(delta.total_seconds() * 1000)
            self._top_cache.clear()
        return self.now

    # -- history -------------------------------------------------------------------------------
    def listener(self, index: int) -> Listener:
        if not 0 <= index < len(self.listeners):
            raise IndexError(f"no listener {index}: this world has {len(self.listeners)}")
        return self.listeners[index]

    def iter_plays(self, listener_index: int = 0, start_ms: int | None = None, end_ms: int | None = None):
        """Every play (music, podcasts, short and private ones) in ``(start, end]``, oldest first."""
        start = self.history_start_ms if start_ms is None else max(start_ms, self.history_start_ms)
        end = self.now_ms if end_ms is None else end_ms
        return iter_window(self.seed, self.listener(listener_index), start, end)

    def recent_visible(self, listener_index: int = 0, reach: int = RECENTLY_PLAYED_REACH) -> list[Play]:
        """The ``reach`` most recent plays recently-played can list, newest first."""
        out = []
        listener = self.listener(listener_index)
        for play in iter_window_reverse(self.seed, listener, self.now_ms, self.history_start_ms):
            if play.api_visible:
                out.append(play)
                if len(out) == reach:
                    break
        return out

    def top(self, listener_index: int, kind: str, time_range: str) -> list[int]:
        """Indexes of the top artists or tracks, by plays over 30 s in the range (ties by index)."""
        now_ms = self.now_ms
        key = (listener_index, kind, time_range, now_ms)
        with self._lock:
            cached = self._top_cache.get(key)
        if cached is not None:
            return cached
        days = TOP_RANGES_DAYS.get(time_range)
        start = self.history_start_ms if days is None else now_ms - days * DAY_MS
        counts: Counter[int] = Counter()
        tracks = self.catalogue.tracks
        for play in self.iter_plays(listener_index, start, now_ms):
            if play.api_visible:
                counts[tracks[play.track].artist_indexes[0] if kind == "artists" else play.track] += 1
        ranked = sorted(counts, key=lambda i: (-counts[i], i))[:TOP_MAX_ITEMS]
        with self._lock:
            self._top_cache[key] = ranked
        return ranked

    def saved_tracks(self, listener_index: int = 0) -> list[tuple[int, int]]:
        """(added_at_ms, track index) of the listener's Liked Songs saved up to now, newest first."""
        now_ms = self.now_ms
        return [item for item in _saved(self.seed, listener_index, self.initial_now_ms) if item[0] <= now_ms]

    def playlists(self, listener_index: int = 0) -> list[Playlist]:
        return _playlists(self.seed, listener_index, self.initial_now_ms)

    def playlist(self, playlist_id: str) -> tuple[int, Playlist] | None:
        """(listener index, playlist) for a playlist some listener owns or follows."""
        for listener in self.listeners:
            for playlist in self.playlists(listener.index):
                if playlist.id == playlist_id:
                    return listener.index, playlist
        return None

    def play_dicts(self, listener_index: int = 0, *, visible_only: bool = True) -> Iterator[dict]:
        """Ground truth as dicts: plays up to now (``visible_only``: only those recently-played can list)."""
        listener = self.listener(listener_index)
        cat = self.catalogue
        for play in self.iter_plays(listener_index):
            if visible_only and not play.api_visible:
                continue
            track = cat.tracks[play.track] if play.track >= 0 else None
            yield {
                "listener_index": listener_index,
                "user_id": listener.user_id,
                "played_at": iso_ms(play.end_ms),
                "played_at_ms": play.end_ms,
                "track_id": track.id if track else None,
                "track_uri": f"spotify:track:{track.id}" if track else None,
                "episode_uri": None if track else f"spotify:episode:{cat.episodes[play.episode].id}",
                "ms_played": play.ms_played,
                "skipped": play.skipped,
                "shuffle": play.shuffle,
                "incognito": play.incognito,
                "api_visible": play.api_visible,
                "platform": play.platform,
                "conn_country": play.conn_country,
            }


@lru_cache(maxsize=32)
def _saved(seed: int, listener_index: int, initial_now_ms: int) -> tuple[tuple[int, int], ...]:
    rng = random.Random(f"saved:{seed}:{listener_index}")
    taste = taste_for(seed, listener_index)
    chosen: dict[int, int] = {}
    span = 3 * 365 * DAY_MS
    for _ in range(rng.randint(140, 230)):
        track = pick_track(rng, taste, 0.2 + 0.5 * rng.random())
        if track not in chosen:
            chosen[track] = initial_now_ms - int(rng.random() ** 1.5 * span) - 3_600_000
    # Spotify returns Liked Songs newest first; added_at has second precision.
    return tuple(sorted(((ms // 1000 * 1000, t) for t, ms in chosen.items()), reverse=True))


@lru_cache(maxsize=32)
def _playlists(seed: int, listener_index: int, initial_now_ms: int) -> list[Playlist]:
    rng = random.Random(f"playlists:{seed}:{listener_index}")
    taste = taste_for(seed, listener_index)
    listener = make_listener(seed, listener_index)
    catalogue = catalogue_for(seed)
    names = ("Everyday", "Late night drive", "Focus", "Discoveries 2026")
    out = []

    def added(n: int) -> tuple[int, ...]:
        first = initial_now_ms - rng.randint(60, 900) * DAY_MS
        return tuple(sorted(first + int(rng.random() * (initial_now_ms - first - DAY_MS)) // 1000 * 1000
                            for _ in range(n)))  # fmt: skip

    for k, tracks in enumerate(taste.playlists):
        out.append(
            Playlist(
                id=spotify_id(seed, "playlist", listener_index * 100 + k),
                name=names[k],
                description="" if k % 2 else f"{names[k]} by {listener.display_name.split()[0]}",
                owner_id=listener.user_id,
                owner_name=listener.display_name,
                owned_by_listener=True,
                collaborative=False,
                public=k != 2,
                tracks=tracks,
                added_at_ms=added(len(tracks)),
                snapshot_id=spotify_id(seed, "snapshot", listener_index * 100 + k) * 2,
                # The first playlist holds a local file and a podcast episode, as real ones often do.
                specials=((2, "local", 0), (5, "episode", listener_index % len(catalogue.episodes))) if k == 0 else (),
            )
        )
    # Playlists owned by other users: one the listener collaborates on (items readable), two the
    # listener merely follows (GET /playlists/{id}/items answers 403 since February 2026).
    others = (("Road trip (shared)", True), ("Friday Feelings", False), ("Indie Gems Weekly", False))
    for j, (name, collaborative) in enumerate(others):
        k = len(taste.playlists) + j
        owner = f"curator{rng.randint(1000, 9999)}"
        size = rng.randint(25, 70)
        tracks = tuple(rng.randrange(len(catalogue.tracks)) for _ in range(size))
        out.append(
            Playlist(
                id=spotify_id(seed, "playlist", listener_index * 100 + k),
                name=name,
                description=f"Curated by {owner}",
                owner_id=owner,
                owner_name=owner.capitalize(),
                owned_by_listener=False,
                collaborative=collaborative,
                public=not collaborative,
                tracks=tracks,
                added_at_ms=added(size),
                snapshot_id=spotify_id(seed, "snapshot", listener_index * 100 + k) * 2,
            )
        )
    return out
