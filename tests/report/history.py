"""A synthetic curated lake of any size (no Spark): listeners with years of export-like plays, podcasts included.

Every play carries what an extended privacy export carries (ms_played, reason_start, shuffle, skipped, offline),
the catalogue has release years and genres, so every figure of the report has something to show. The browser
test uses a small one; docs/REPORT.md's size and speed figures come from the 150,000-play decade:

    .venv/bin/python -m tests.report.history out/decade_lake --plays 150000 --years 10
"""

from __future__ import annotations

import argparse
import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from tests.support.lake_builder import write_table

GENRES = ["indie pop", "techno", "jazz", "hip hop", "folk", "rock", "ambient", "soul", "k-pop", "metal"]
REASONS = ["clickrow", "trackdone", "trackdone", "trackdone", "fwdbtn", "playbtn", "appload", "backbtn", "remote"]
SHOWS = ["The Daily Loop", "Deep Cuts Radio", "Café Français"]
UPDATED = datetime(2026, 11, 1, tzinfo=UTC)


def _catalogue(rng: random.Random, n_artists: int) -> tuple[list[dict], list[dict], list[dict]]:
    artists, albums, tracks = [], [], []
    for a in range(n_artists):
        name = f"{rng.choice(['The ', '', '', 'DJ '])}{rng.choice(['Blue', 'Neon', 'Quiet', 'Ø', 'Wild', 'Lunar'])} "
        name += f"{rng.choice(['Foxes', 'Echo', 'Harbour', 'Static', 'Élan', 'Pines'])} {a}"
        genres = rng.sample(GENRES, rng.choice([0, 1, 1, 2]))
        artists.append(
            {"artist_id": f"ar{a:04d}", "name": name, "genres": genres, "popularity": 50, "updated_at": UPDATED}
        )
        for b in range(rng.randint(1, 3)):
            year = rng.randint(1968, 2026)
            album_id = f"al{a:04d}{b}"
            albums.append(
                {
                    "album_id": album_id,
                    "name": f"Album {a}.{b}",
                    "album_type": "album",
                    "release_date": str(year),
                    "release_date_precision": "year",
                    "release_year": year,
                    "total_tracks": 8,
                    "artist_ids": [f"ar{a:04d}"],
                    "updated_at": UPDATED,
                }
            )
            for t in range(rng.randint(4, 10)):
                tracks.append(
                    {
                        "track_id": f"t{a:04d}{b}{t:02d}",
                        "name": f"Song {a}.{b}.{t}",
                        "album_id": album_id,
                        "artist_ids": [f"ar{a:04d}"],
                        "artist_names": [name],
                        "duration_ms": rng.randint(120_000, 360_000),
                        "popularity": rng.randint(5, 95),
                        "updated_at": UPDATED,
                    }
                )
    return artists, albums, tracks


def build(
    lake: Path,
    *,
    listeners: tuple[str, ...] = ("3f1c0a9b5d2e7f41", "9a7e44c1b0d2f355"),
    plays: int = 6000,
    years: float = 2.5,
    end: date = date(2026, 10, 31),
    seed: int = 7,
) -> Path:
    """Write ``plays`` plays spread over ``years`` years ending on ``end`` across ``listeners``, with the catalogue."""
    rng = random.Random(seed)
    n_artists = max(30, min(1500, plays // 100))
    artists, albums, tracks = _catalogue(rng, n_artists)
    album_of = {a["album_id"]: a for a in albums}
    by_artist: dict[str, list[dict]] = {}
    for t in tracks:
        by_artist.setdefault(t["artist_ids"][0], []).append(t)
    days = int(years * 365)
    start = end - timedelta(days=days - 1)
    rows: list[dict] = []
    per_listener = plays // len(listeners)
    for li, listener in enumerate(listeners):
        # taste: a few dozen favourites that drift over the years, plus rare discoveries
        order = rng.sample(artists, len(artists))
        window = max(12, len(artists) // 8)
        active_days = sorted(rng.sample(range(days), k=min(days, int(days * (0.8 - 0.1 * li)))))
        weights = [rng.random() ** 2 + 0.05 for _ in active_days]
        scale = per_listener / sum(weights)
        for day_index, weight in zip(active_days, weights, strict=True):
            day = start + timedelta(days=day_index)
            count = max(1, round(weight * scale))
            drift = int(day_index / days * (len(order) - window))
            pool = order[drift : drift + window]
            clock = datetime(day.year, day.month, day.day, rng.choice([6, 7, 8, 12, 17, 18, 19, 20, 21]), tzinfo=UTC)
            clock += timedelta(minutes=rng.randint(0, 59))
            offline = rng.random() < 0.05
            shuffle = rng.random() < 0.4
            for _ in range(count):
                if rng.random() < 0.04:
                    show = rng.choice(SHOWS)
                    ms = rng.randint(300_000, 2_400_000)
                    clock += timedelta(milliseconds=ms)
                    rows.append(
                        _play(listener, clock, ms, rng, offline, shuffle, show=show, episode=rng.randint(1, 40))
                    )
                    continue
                artist = rng.choice(pool) if rng.random() < 0.93 else rng.choice(artists)
                track = rng.choice(by_artist[artist["artist_id"]])
                skipped = rng.random() < 0.18
                ms = rng.randint(2_000, 40_000) if skipped else track["duration_ms"]
                clock += timedelta(milliseconds=ms + rng.choice([0, 0, 1_000, 600_000]))
                rows.append(
                    _play(listener, clock, ms, rng, offline, shuffle, track=track, artist=artist,
                          album=album_of[track["album_id"]], skipped=skipped)
                )  # fmt: skip
    write_table(lake, "plays", rows)
    write_table(lake, "tracks", tracks)
    write_table(lake, "albums", albums)
    write_table(lake, "artists", artists)
    return lake


def _play(listener, clock, ms, rng, offline, shuffle, *, track=None, artist=None, album=None, skipped=None,
          show=None, episode=None) -> dict:  # fmt: skip
    row = {
        "play_id": f"{listener}-{clock.timestamp():.3f}-{rng.random():.6f}",
        "listener_id": listener,
        "played_at": clock,
        "ms_played": ms,
        "is_stream": ms >= 30_000,
        "reason_start": rng.choice(REASONS),
        "reason_end": "fwdbtn" if skipped else "trackdone",
        "shuffle": shuffle,
        "skipped": skipped,
        "offline": offline,
        "platform": "android",
        "conn_country": "DE",
        "source": "export_extended",
        "play_month": clock.strftime("%Y-%m"),
    }
    if show is not None:
        row.update(content_type="episode", show_name=show, episode_name=f"{show} #{episode}",
                   episode_uri=f"spotify:episode:ep{SHOWS.index(show)}n{episode:03d}")  # fmt: skip
        return row
    row.update(
        content_type="track",
        track_id=track["track_id"],
        track_uri=f"spotify:track:{track['track_id']}",
        track_name=track["name"],
        artist_name=artist["name"],
        album_name=album["name"],
        duration_ms=track["duration_ms"],
    )
    return row


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lake", type=Path)
    parser.add_argument("--plays", type=int, default=6000)
    parser.add_argument("--years", type=float, default=2.5)
    parser.add_argument("--listeners", type=int, default=1)
    args = parser.parse_args()
    ids = tuple(f"{i:x}" * 16 for i in range(10, 10 + args.listeners))
    build(args.lake, listeners=ids, plays=args.plays, years=args.years)
