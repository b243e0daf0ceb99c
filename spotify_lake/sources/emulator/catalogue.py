"""A deterministic music catalogue: artists, albums and tracks with Spotify-style ids.

Everything is derived from the seed alone, so two emulators (or an emulator and the export generator)
built with the same seed agree on every id, name and date. Entities are small slotted objects held in
lists; lookups by id go through dicts built once per seed (see :func:`catalogue_for`).
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from functools import lru_cache

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
ID_LENGTH = 22

#: (genre, mainstream score 0..1): mainstream genres carry popular artists, niche ones obscure artists.
GENRES: tuple[tuple[str, float], ...] = (
    ("pop", 0.95),
    ("dance pop", 0.9),
    ("hip hop", 0.9),
    ("rap", 0.85),
    ("edm", 0.8),
    ("r&b", 0.8),
    ("latin pop", 0.8),
    ("k-pop", 0.75),
    ("rock", 0.7),
    ("country", 0.7),
    ("modern rock", 0.6),
    ("indie pop", 0.5),
    ("indie rock", 0.45),
    ("afrobeats", 0.45),
    ("neo soul", 0.35),
    ("jazz", 0.3),
    ("drum and bass", 0.3),
    ("bedroom pop", 0.25),
    ("city pop", 0.2),
    ("dream pop", 0.2),
    ("shoegaze", 0.15),
    ("post-rock", 0.12),
    ("math rock", 0.1),
    ("krautrock", 0.08),
    ("ambient", 0.1),
    ("vaporwave", 0.06),
    ("hyperpop", 0.12),
    ("chamber folk", 0.07),
)
MAINSTREAM_THRESHOLD = 0.5

_SYLLABLES = (
    "ka", "lo", "mi", "ra", "ne", "so", "ta", "vi", "lu", "mar", "den", "fel", "gor", "hal", "jin", "kel",
    "lan", "mor", "nix", "ori", "pel", "quin", "ros", "sil", "tor", "ul", "ven", "wex", "yar", "zel", "bri",
    "cas", "dra", "el", "fio", "gal", "ish", "jo", "ky", "lys", "mu", "nor", "pha", "qua", "rin", "sto",
)  # fmt: skip
_WORDS = (
    "Midnight", "Glass", "Echo", "Velvet", "Summer", "Static", "Golden", "Neon", "River", "Paper", "Hollow",
    "Silver", "Wild", "Quiet", "Electric", "Northern", "Satellite", "Crystal", "Ocean", "Ghost", "Fever",
    "Lights", "Hearts", "Dreams", "Signals", "Waves", "Roads", "Fires", "Gardens", "Mirrors", "Skies",
    "Tokyo", "Bloom", "Drift", "Horizon", "Motel", "Orbit", "Parade", "Rain", "Shadow", "Thunder", "Youth",
)  # fmt: skip
_LABELS = (
    "Polar Records", "Northbound Music", "Sublime Frequencies", "Blue Harbor", "Tiny Engines", "Kuro Label",
    "Warm Static", "Oddity Sound", "Lantern Music Group", "Ferric Tapes", "Glasshouse", "Mercury Fields",
)  # fmt: skip
_COUNTRY_CODES = ("US", "GB", "DE", "SE", "JP", "BR", "FR", "KR", "NG", "CA", "AU", "ES", "MX", "NL")
MARKETS = ("AR", "AU", "BR", "CA", "DE", "ES", "FR", "GB", "JP", "KR", "MX", "NG", "NL", "SE", "US")


def spotify_id(seed: int, kind: str, index: int) -> str:
    """A 22-character base-62 id, a pure function of (seed, kind, index)."""
    number = int.from_bytes(hashlib.blake2b(f"{seed}:{kind}:{index}".encode(), digest_size=17).digest(), "big")
    chars = []
    for _ in range(ID_LENGTH):
        number, digit = divmod(number, 62)
        chars.append(BASE62[digit])
    return "".join(chars)


def is_valid_id(value: str) -> bool:
    return len(value) == ID_LENGTH and all(c in BASE62 for c in value)


@dataclass(slots=True)
class Artist:
    index: int
    id: str
    name: str
    genres: list[str]
    mainstream: float
    popularity: int
    followers: int
    image_hash: str | None
    album_indexes: list[int] = field(default_factory=list)
    track_indexes: list[int] = field(default_factory=list)


@dataclass(slots=True)
class Album:
    index: int
    id: str
    name: str
    album_type: str
    artist_index: int
    release_date: str
    release_date_precision: str
    release_year: int
    label: str
    upc: str
    popularity: int
    image_hash: str
    track_indexes: list[int] = field(default_factory=list)


@dataclass(slots=True)
class Track:
    index: int
    id: str
    name: str
    album_index: int
    artist_indexes: list[int]
    duration_ms: int
    explicit: bool
    isrc: str
    popularity: int
    disc_number: int
    track_number: int


@dataclass(slots=True)
class Show:
    index: int
    id: str
    name: str
    publisher: str


@dataclass(slots=True)
class Episode:
    index: int
    id: str
    name: str
    show_index: int
    duration_ms: int


@dataclass(slots=True)
class Catalogue:
    seed: int
    artists: list[Artist]
    albums: list[Album]
    tracks: list[Track]
    shows: list[Show]
    episodes: list[Episode]
    artist_by_id: dict[str, Artist]
    album_by_id: dict[str, Album]
    track_by_id: dict[str, Track]
    genre_mainstream: dict[str, float]


def _name(rng: random.Random, words: int) -> str:
    parts = []
    for _ in range(words):
        if rng.random() < 0.55:
            parts.append(rng.choice(_WORDS))
        else:
            parts.append("".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize())
    return " ".join(parts)


def _release(rng: random.Random, year: int) -> tuple[str, str]:
    # Old catalogue often carries only a year; modern releases a full day.
    roll = rng.random()
    if year < 1990 and roll < 0.6:
        return f"{year}", "year"
    if roll < 0.1:
        return f"{year}-{rng.randint(1, 12):02d}", "month"
    if roll < 0.15:
        return f"{year}", "year"
    return f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}", "day"


def build_catalogue(seed: int, n_artists: int = 360) -> Catalogue:
    """Build the whole catalogue for ``seed`` (about 360 artists, 1,100 albums, 9,000 tracks)."""
    rng = random.Random(f"catalogue:{seed}")
    genre_mainstream = dict(GENRES)
    genre_names = [g for g, _ in GENRES]
    artists: list[Artist] = []
    albums: list[Album] = []
    tracks: list[Track] = []
    for a in range(n_artists):
        primary = genre_names[a % len(genre_names)]
        genres = [primary]
        for _ in range(rng.choice((0, 1, 1, 2))):
            other = rng.choice(genre_names)
            if other not in genres and abs(genre_mainstream[other] - genre_mainstream[primary]) < 0.35:
                genres.append(other)
        mainstream = genre_mainstream[primary]
        popularity = max(0, min(100, int(rng.gauss(15 + 70 * mainstream, 12))))
        followers = int(10 ** (1.5 + popularity / 17.0) * rng.uniform(0.5, 1.5))
        image_hash = None if rng.random() < 0.03 else f"{rng.getrandbits(96):024x}"
        artist = Artist(
            a, spotify_id(seed, "artist", a), _name(rng, rng.choice((1, 2, 2))), genres, mainstream, popularity,
            followers, image_hash,
        )  # fmt: skip
        artists.append(artist)
        career_start = rng.randint(1962, 2024)
        for _ in range(rng.choice((1, 2, 3, 3, 4, 5, 6))):
            year = min(2026, career_start + rng.randint(0, 12))
            album_type = rng.choices(("album", "single", "compilation"), (0.55, 0.38, 0.07))[0]
            total = {"album": rng.randint(7, 16), "single": rng.randint(1, 3), "compilation": rng.randint(15, 24)}[
                album_type
            ]
            release_date, precision = _release(rng, year)
            b = len(albums)
            album = Album(
                b, spotify_id(seed, "album", b), _name(rng, rng.choice((1, 2, 3))), album_type, a, release_date,
                precision, year, rng.choice(_LABELS), f"{rng.randint(10**11, 10**12 - 1)}",
                max(0, min(100, popularity + rng.randint(-15, 8))), f"{rng.getrandbits(96):024x}",
            )  # fmt: skip
            albums.append(album)
            artist.album_indexes.append(b)
            two_discs = total > 18
            for n in range(total):
                t = len(tracks)
                disc, number = (2, n + 1 - (total + 1) // 2) if two_discs and n >= (total + 1) // 2 else (1, n + 1)
                featured = [rng.randrange(n_artists)] if rng.random() < 0.08 else []
                featured = [f for f in featured if f != a]
                explicit_rate = 0.55 if primary in ("hip hop", "rap") else 0.08
                track = Track(
                    t, spotify_id(seed, "track", t), _name(rng, rng.choice((1, 2, 2, 3))), b, [a, *featured],
                    max(45_000, int(rng.gauss(215_000, 55_000))), rng.random() < explicit_rate,
                    f"{rng.choice(_COUNTRY_CODES)}{rng.choice('ABCDEFGHJKLMNPRSTUVW')}{rng.randint(10, 99)}"
                    f"{year % 100:02d}{rng.randint(0, 99999):05d}",
                    max(0, min(100, popularity + rng.randint(-20, 10))), disc, number,
                )  # fmt: skip
                tracks.append(track)
                album.track_indexes.append(t)
                artist.track_indexes.append(t)
    shows = [Show(s, spotify_id(seed, "show", s), f"The {_name(rng, 1)} Podcast", _name(rng, 2)) for s in range(12)]
    episodes = []
    for s in shows:
        for k in range(30):
            e = len(episodes)
            episodes.append(
                Episode(e, spotify_id(seed, "episode", e), f"#{k + 1}: {_name(rng, 3)}", s.index,
                        rng.randint(18, 75) * 60_000)
            )  # fmt: skip
    return Catalogue(
        seed=seed,
        artists=artists,
        albums=albums,
        tracks=tracks,
        shows=shows,
        episodes=episodes,
        artist_by_id={x.id: x for x in artists},
        album_by_id={x.id: x for x in albums},
        track_by_id={x.id: x for x in tracks},
        genre_mainstream=genre_mainstream,
    )


@lru_cache(maxsize=8)
def catalogue_for(seed: int) -> Catalogue:
    """The (cached, read-only) catalogue for ``seed``."""
    return build_catalogue(seed)
