"""Simulated listeners and their listening history, generated lazily day by day.

Each (seed, listener, lane, local day) has its own random stream, so any window of history can be
generated on its own and always yields the same plays: the emulator (which looks at the last days
before "now") and the export generator (which writes months or years) agree play for play, and the
clock can advance without regenerating the past. A day's play count is the first draw of its stream,
so counting plays over a long window costs almost nothing (used by ``iter_plays(plays=N)``).

A play is a small tuple (:class:`Play`); no per-play dicts or datetimes are built here.
"""

from __future__ import annotations

import bisect
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import NamedTuple

from spotify_lake.sources.emulator.catalogue import MAINSTREAM_THRESHOLD, Catalogue, catalogue_for, spotify_id

DEFAULT_NOW = datetime(2026, 11, 1, tzinfo=UTC)
MAX_LISTENERS = 5
DAY_MS = 86_400_000
MIN_VISIBLE_MS = 30_000  # Spotify lists a play in recently-played only when more than 30 s were played

#: (country, UTC offset in hours, display name): listener i gets row i.
_PEOPLE = (
    ("SE", 1, "Alva Lindqvist"),
    ("US", -5, "Jordan Reyes"),
    ("JP", 9, "Haruto Sato"),
    ("BR", -3, "Luiza Costa"),
    ("DE", 1, "Jonas Becker"),
)
PLATFORMS = ("android", "ios", "windows", "osx", "web_player", "linux")
#: reason_start/reason_end vocabulary as seen in real exports
REASON_START = ("clickrow", "trackdone", "fwdbtn", "backbtn", "appload", "playbtn", "remote")
REASON_END = ("trackdone", "fwdbtn", "endplay", "logout", "backbtn", "unexpected-exit-while-paused")

# Hour-of-day preference (local time): a commute bump, lunch, and an evening peak; weekends start later.
_WEEKDAY_HOURS = (0.3, 0.1, 0.05, 0.02, 0.02, 0.1, 0.6, 1.6, 2.2, 1.2, 0.9, 1.0,
                  1.5, 1.2, 1.0, 1.0, 1.3, 2.0, 2.6, 3.2, 3.6, 3.4, 2.4, 1.1)  # fmt: skip
_WEEKEND_HOURS = (0.8, 0.5, 0.3, 0.1, 0.05, 0.05, 0.1, 0.2, 0.5, 1.0, 1.6, 2.0,
                  2.2, 2.0, 1.9, 1.9, 2.0, 2.3, 2.6, 3.0, 3.3, 3.2, 2.6, 1.6)  # fmt: skip


def _cumulative(weights) -> list[float]:
    out, total = [], 0.0
    for w in weights:
        total += w
        out.append(total)
    return out


_WEEKDAY_CUM = _cumulative(_WEEKDAY_HOURS)
_WEEKEND_CUM = _cumulative(_WEEKEND_HOURS)

# Taste drifts from mainstream to niche over the year before the default anchor (fixed calendar dates,
# so it does not depend on the window asked for).
_DRIFT_START_DAY = (datetime(2025, 11, 1, tzinfo=UTC) - datetime(1970, 1, 1, tzinfo=UTC)).days
_DRIFT_DAYS = 365
_DAY_OPENS_MS = 5 * 3_600_000
_DAY_CLOSES_MS = 29 * 3_600_000


class Play(NamedTuple):
    """One stream. ``end_ms`` is when it ended (the export's ``ts``, the API's ``played_at``)."""

    end_ms: int
    track: int  # index into catalogue.tracks, -1 for podcast episodes
    episode: int  # index into catalogue.episodes, -1 for music
    ms_played: int
    reason_start: str
    reason_end: str
    shuffle: bool
    skipped: bool
    offline: bool
    offline_ts: int  # epoch seconds the offline session started, 0 when online
    incognito: bool
    platform: str
    conn_country: str
    context: int  # 0 none, 1 album, 2 artist, 3 + k the listener's playlist k

    @property
    def is_podcast(self) -> bool:
        return self.track < 0

    @property
    def api_visible(self) -> bool:
        """Whether Spotify's recently-played would ever list it."""
        return self.track >= 0 and self.ms_played > MIN_VISIBLE_MS and not self.incognito


@dataclass(frozen=True, slots=True)
class Listener:
    index: int
    user_id: str
    display_name: str
    country: str
    utc_offset_hours: int
    refresh_token: str
    email: str
    product: str
    plays_per_day: float
    podcast_rate: float
    platforms: tuple[str, ...]

    @property
    def uri(self) -> str:
        return f"spotify:user:{self.user_id}"


def make_listener(seed: int, index: int) -> Listener:
    if not 0 <= index < MAX_LISTENERS:
        raise ValueError(f"listener index must be in 0..{MAX_LISTENERS - 1}")
    rng = random.Random(f"listener:{seed}:{index}")
    country, offset, name = _PEOPLE[index]
    user_id = spotify_id(seed, "user", index)[:10].lower() + f"{index}"
    return Listener(
        index=index,
        user_id=user_id,
        display_name=name,
        country=country,
        utc_offset_hours=offset,
        refresh_token="emulator-refresh-token" if index == 0 else f"emulator-refresh-token-{index}",
        email=f"{name.split()[0].lower()}@example.com",
        product="premium",
        plays_per_day=rng.uniform(38, 62),
        podcast_rate=rng.uniform(0.02, 0.07),
        platforms=tuple(rng.sample(PLATFORMS, 3)),
    )


@dataclass(frozen=True, slots=True)
class Taste:
    """Two weighted pools of track indexes: what the listener plays in mainstream and in niche moods."""

    main_tracks: list[int]
    main_cum: list[float]
    niche_tracks: list[int]
    niche_cum: list[float]
    playlists: tuple[tuple[int, ...], ...]  # track indexes of the listener's own playlists


@lru_cache(maxsize=32)
def taste_for(seed: int, listener_index: int) -> Taste:
    cat = catalogue_for(seed)
    rng = random.Random(f"taste:{seed}:{listener_index}")
    genres = list(cat.genre_mainstream)
    affinity = {g: rng.uniform(0.2, 1.0) for g in genres}
    for g in rng.sample(genres, 4):  # a few favourite genres
        affinity[g] *= 4
    main_w, niche_w = [], []
    main_t, niche_t = [], []
    for t in cat.tracks:
        artist = cat.artists[t.artist_indexes[0]]
        a = max(affinity[g] for g in artist.genres)
        if artist.mainstream >= MAINSTREAM_THRESHOLD:
            main_t.append(t.index)
            main_w.append(a * (t.popularity + 1) ** 2)
        else:
            niche_t.append(t.index)
            niche_w.append(a * (101 - t.popularity) * (artist.index % 7 + 1))
    taste = Taste(main_t, _cumulative(main_w), niche_t, _cumulative(niche_w), ())
    playlists = []
    for k in range(4):
        size = (85, 30, 12, 64)[k]
        playlists.append(tuple(pick_track(rng, taste, 0.25 + 0.2 * k) for _ in range(size)))
    return Taste(main_t, taste.main_cum, niche_t, taste.niche_cum, tuple(playlists))


def pick_track(rng: random.Random, taste: Taste, p_niche: float) -> int:
    if rng.random() < p_niche:
        return taste.niche_tracks[bisect.bisect(taste.niche_cum, rng.random() * taste.niche_cum[-1])]
    return taste.main_tracks[bisect.bisect(taste.main_cum, rng.random() * taste.main_cum[-1])]


def niche_share(day: int, listener_index: int) -> float:
    """Probability that a play comes from the niche pool on a given day (epoch day number)."""
    progress = min(1.0, max(0.0, (day - _DRIFT_START_DAY) / _DRIFT_DAYS))
    return 0.12 + 0.03 * listener_index + 0.6 * progress


def _day_rng(seed: int, listener: int, lane: int, day: int) -> random.Random:
    return random.Random(((seed * 1_000_003 + listener * 7_919 + lane * 104_729) << 24) ^ (day + 500_000))


def _count_from(rng: random.Random, listener: Listener, day: int) -> int:
    weekday = (day + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
    if rng.random() < 0.05:  # days without any music
        return 0
    scale = 1.35 if weekday >= 5 else 1.0
    return min(150, int(listener.plays_per_day * scale * rng.lognormvariate(0.0, 0.35)))


def day_count(seed: int, listener: Listener, lane: int, day: int) -> int:
    """Number of plays of a local day, without generating them."""
    return _count_from(_day_rng(seed, listener.index, lane, day), listener, day)


def _session_sizes(rng: random.Random, listener: Listener, n: int) -> list[int]:
    """Split a day's ``n`` plays into sessions (a negative size is a podcast session of that many episodes)."""
    rand = rng.random
    sizes = []
    remaining = n
    podcasts_left = 2
    while remaining > 0:
        if podcasts_left and rand() < listener.podcast_rate * 1.5:
            size = min(remaining, 1 + (rand() < 0.3))
            sizes.append(-size)  # negative: podcast session
            podcasts_left -= 1
        else:
            size = min(remaining, 1 + int(rng.expovariate(1 / 11)))
            sizes.append(size)
        remaining -= size
    return sizes


def _podcast_items(rng: random.Random, cat: Catalogue, episodes: int) -> list[tuple]:
    """The items of a podcast session: episodes played partly or to the end."""
    rand = rng.random
    items: list[tuple] = []  # (track, episode, played, reason_start, reason_end, shuffle, skipped, gap_after)
    for _ in range(episodes):
        episode = int(rand() * len(cat.episodes))
        duration = cat.episodes[episode].duration_ms
        played = int(duration * (0.15 + 0.85 * rand()))
        # The last tenth heard means the end was reached (the listener resumed a little way in or skipped
        # the intro): the export says trackdone, as it does for an episode finished in a later sitting.
        finished = played >= duration * 0.9
        end_reason = "trackdone" if finished else "endplay"
        items.append((-1, episode, played, "clickrow", end_reason, False, not finished, int(rand() * 5_000)))
    return items


def _track_sequence(
    rng: random.Random, cat: Catalogue, taste: Taste, p_niche: float, size: int
) -> tuple[list[int], int, bool]:
    """(track indexes, context, shuffle) of a music session: an album, an artist, a playlist or liked songs."""
    rand = rng.random
    mode = rand()
    if mode < 0.22:  # an album, in order, from the start or from a chosen track
        album = cat.albums[cat.tracks[pick_track(rng, taste, p_niche)].album_index]
        first = 0 if rand() < 0.7 else int(rand() * len(album.track_indexes))
        return [album.track_indexes[(first + k) % len(album.track_indexes)] for k in range(size)], 1, False
    if mode < 0.35:  # one artist's tracks
        artist = cat.artists[cat.tracks[pick_track(rng, taste, p_niche)].artist_indexes[0]]
        pool = artist.track_indexes
        sequence = [pool[int(rand() * len(pool))] for _ in range(size)]
        return sequence, 2, rand() < 0.7
    if mode < 0.55:  # one of the listener's playlists
        k = int(rand() * len(taste.playlists))
        pool = taste.playlists[k]
        sequence = [pool[int(rand() * len(pool))] for _ in range(size)]
        return sequence, 3 + k, rand() < 0.8
    # liked songs / radio-like shuffle across the taste pools
    sequence = [pick_track(rng, taste, p_niche) for _ in range(size)]
    return sequence, 0, rand() < 0.6


def _track_ending(rng: random.Random, duration: int, *, skip_rate: float, last: bool) -> tuple[int, str, bool]:
    """(played ms, reason_end, skipped) of one track: skipped, stopped at the session's end, or played out."""
    rand = rng.random
    if rand() < skip_rate:
        # Mostly a short play (under 30 s), else one past 30 s that still stops early.
        short = rand() < 0.6
        played = 1_500 + int(rand() * 28_000) if short else 30_001 + int(rand() * max(1, duration * 0.85 - 30_001))
        return played, "fwdbtn" if rand() < 0.9 else "backbtn", True
    if last and rand() < 0.35:
        played = 5_000 + int(rand() * (duration - 5_000))
        return played, "endplay" if rand() < 0.8 else ("logout" if rand() < 0.5 else REASON_END[5]), False
    return duration - int(rand() * 1_200), "trackdone", False


def _track_items(rng: random.Random, cat: Catalogue, sequence: list[int], shuffle: bool) -> list[tuple]:
    """The items of a music session: replays, skips, the session's end, and the gaps between tracks."""
    rand = rng.random
    items: list[tuple] = []  # (track, episode, played, reason_start, reason_end, shuffle, skipped, gap_after)
    reason_start = "clickrow" if rand() < 0.7 else ("appload" if rand() < 0.5 else "playbtn")
    skip_rate = 0.28 if shuffle else 0.14
    last = len(sequence) - 1
    previous = -1
    for k, track_index in enumerate(sequence):
        if previous >= 0 and rand() < 0.04:  # the listener replays the previous track
            track_index = previous
            reason_start = "backbtn" if rand() < 0.5 else "clickrow"
        duration = cat.tracks[track_index].duration_ms
        played, reason_end, skipped = _track_ending(rng, duration, skip_rate=skip_rate, last=k == last)
        # A short gap before the next track; now and then a pause shorter than a new session.
        gap = int(rand() * 1_500) if rand() < 0.95 else 60_000 + int(rand() * 240_000)
        items.append((track_index, -1, played, reason_start, reason_end, shuffle, skipped, gap))
        reason_start = (
            reason_end if reason_end in REASON_START else ("trackdone" if reason_end == "trackdone" else "clickrow")
        )
        previous = track_index
    return items


def generate_day(seed: int, listener: Listener, lane: int, day: int) -> list[Play]:
    """All plays of one local calendar day (sessions may run past midnight), sorted by end time."""
    rng = _day_rng(seed, listener.index, lane, day)
    n = _count_from(rng, listener, day)
    if n == 0:
        return []
    cat = catalogue_for(seed)
    taste = taste_for(seed, listener.index)
    p_niche = niche_share(day, listener.index)
    rand = rng.random
    weekday = (day + 3) % 7
    hours_cum = _WEEKEND_CUM if weekday >= 5 else _WEEKDAY_CUM
    local_midnight_ms = day * DAY_MS - listener.utc_offset_hours * 3_600_000
    country = listener.country if rand() > 0.02 else rng.choice(("ES", "FR", "IT", "PT", "GR"))

    # First the content of every session (what is played, for how long), then the timing.
    sessions: list[tuple[list[tuple], int, str, bool, bool]] = []
    for size in _session_sizes(rng, listener, n):
        platform = listener.platforms[0 if rand() < 0.6 else (1 if rand() < 0.7 else 2)]
        offline = rand() < 0.05
        incognito = rand() < 0.02
        if size < 0:
            sessions.append((_podcast_items(rng, cat, -size), 0, platform, offline, incognito))
            continue
        sequence, context, shuffle = _track_sequence(rng, cat, taste, p_niche, size)
        sessions.append((_track_items(rng, cat, sequence, shuffle), context, platform, offline, incognito))

    # Timing: sessions start at preferred local hours (05:00 to 29:00 of this day), at least 15 minutes
    # apart. If that would run past 29:00, lay them out back to back from 05:00 instead, so a day's plays
    # never interleave with the next day's and generating day by day stays in time order.
    lengths = [sum(item[2] + item[7] for item in s[0]) for s in sessions]
    preferred = sorted(
        (bisect.bisect(hours_cum, rand() * hours_cum[-1]) * 3_600_000 + int(rand() * 3_600_000)) for _ in sessions
    )
    preferred = sorted(s if s >= _DAY_OPENS_MS else s + DAY_MS for s in preferred)
    gaps = [15 * 60_000 + int(rand() * 30 * 60_000) for _ in sessions]
    starts = []
    clock = 0
    for pref, length, gap in zip(preferred, lengths, gaps, strict=True):
        begin = max(pref, clock + gap) if starts else pref
        starts.append(begin)
        clock = begin + length
    if clock > _DAY_CLOSES_MS:
        starts, clock = [], _DAY_OPENS_MS
        for length in lengths:
            starts.append(clock)
            clock += length + 15 * 60_000 + 1

    plays: list[Play] = []
    for (items, context, platform, offline, incognito), begin in zip(sessions, starts, strict=True):
        t = local_midnight_ms + begin
        offline_ts = t // 1000 if offline else 0
        for track_index, episode, played, r_start, r_end, shuffle, skipped, gap in items:
            t += played
            plays.append(
                Play(t, track_index, episode, played, r_start, r_end, shuffle, skipped, offline, offline_ts,
                     incognito, platform, country, context)
            )  # fmt: skip
            t += gap
    return plays


def epoch_day(ms: int, listener: Listener) -> int:
    """The local calendar day (days since 1970-01-01) an epoch-ms instant falls on for a listener."""
    return (ms + listener.utc_offset_hours * 3_600_000) // DAY_MS


def to_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def iter_window(seed: int, listener: Listener, start_ms: int, end_ms: int, lane: int = 0) -> Iterator[Play]:
    """Plays with ``start_ms < end_ms(play) <= end_ms``, in time order, generated a day at a time.

    A day's sessions may run up to ~30 h after its local midnight, so one extra day is looked at on each side.
    """
    first = epoch_day(start_ms, listener) - 2
    last = epoch_day(end_ms, listener) + 1
    for day in range(first, last + 1):
        for play in generate_day(seed, listener, lane, day):
            if start_ms < play.end_ms <= end_ms:
                yield play


def iter_window_reverse(seed: int, listener: Listener, end_ms: int, stop_ms: int) -> Iterator[Play]:
    """Plays ending at or before ``end_ms`` and after ``stop_ms``, newest first."""
    day = epoch_day(end_ms, listener) + 1
    last_day = epoch_day(stop_ms, listener) - 2
    while day >= last_day:
        for play in reversed(generate_day(seed, listener, 0, day)):
            if stop_ms < play.end_ms <= end_ms:
                yield play
        day -= 1


def _plays_in_window(
    seed: int, listener: Listener, lanes: int, days: range, start_ms: int, end_ms: int, edge_days: set[int]
) -> int:
    """How many plays of ``lanes`` lanes end in ``(start_ms, end_ms]``, generating only the window's edge days."""
    total = 0
    for lane in range(lanes):
        for day in days:
            if day in edge_days:  # only days at the window's edges need generating to count exactly
                total += sum(1 for p in generate_day(seed, listener, lane, day) if start_ms < p.end_ms <= end_ms)
            else:
                total += day_count(seed, listener, lane, day)
    return total


def _merged_plays(
    seed: int, listener: Listener, lanes: int, days: range, start_ms: int, end_ms: int, skip: int
) -> Iterator[Play]:
    """The plays of ``lanes`` lanes merged in time order, in ``(start_ms, end_ms]``, after the first ``skip``."""
    to_skip = skip
    for day in days:
        merged = []
        for lane in range(lanes):
            merged.extend(generate_day(seed, listener, lane, day))
        if lanes > 1:
            merged.sort()
        for play in merged:
            if start_ms < play.end_ms <= end_ms:
                if to_skip:
                    to_skip -= 1
                    continue
                yield play


def plan_plays(
    *, seed: int, listener: Listener, start_ms: int, end_ms: int, plays: int | None = None
) -> tuple[Iterator[Play], int, int]:
    """(plays oldest first, how many, lanes): the plays in ``(start_ms, end_ms]``, or exactly ``plays`` of them."""
    first_day, last_day = epoch_day(start_ms, listener) - 2, epoch_day(end_ms, listener) + 1
    days = range(first_day, last_day + 1)
    edge_days = {*range(first_day, first_day + 4), *range(last_day - 3, last_day + 1)}

    def count(lanes: int) -> int:
        return _plays_in_window(seed, listener, lanes, days, start_ms, end_ms, edge_days)

    lanes, available = 1, count(1)
    if plays is not None and available < plays:
        lanes = max(2, math.ceil(plays / max(available, 1)))
        available = count(lanes)
        while available < plays:
            lanes += 1
            available = count(lanes)
    skip = 0 if plays is None else available - plays
    return _merged_plays(seed, listener, lanes, days, start_ms, end_ms, skip), available - skip, lanes


def iter_plays(
    seed: int,
    *,
    listener_index: int = 0,
    days: int | None = None,
    plays: int | None = None,
    now: datetime | None = None,
) -> Iterator[Play]:
    """Stream a listener's plays, oldest first, ending at ``now``: the last ``days`` days (default 365),
    or exactly ``plays`` plays within them (adding lanes when one listener's history is too short)."""
    listener = make_listener(seed, listener_index)
    end_ms = to_ms(now or DEFAULT_NOW)
    start_ms = end_ms - (365 if days is None else days) * DAY_MS
    stream, _, _ = plan_plays(seed=seed, listener=listener, start_ms=start_ms, end_ms=end_ms, plays=plays)
    return stream
