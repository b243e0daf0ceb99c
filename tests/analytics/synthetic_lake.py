"""A richer synthetic curated lake (three listeners, a year of plays, an extended-mode catalogue) for the README's
report images when the full demo pipeline is not at hand. Not used by the tests; run:

    .venv/bin/python -m tests.analytics.synthetic_lake out/synthetic_lake
"""

from __future__ import annotations

import random
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from tests.support.lake_builder import write_table

GENRES = ["indie pop", "techno", "jazz", "hip hop", "folk", "rock", "ambient", "soul"]
PLATFORMS = [
    "Android OS 13 API 33 (Google, Pixel 7)",
    "iOS 17.4 (iPhone15,2)",
    "Windows 10 (10.0.19045; x64)",
    "OS X 14.2.1 [arm 2]",
    "web_player linux;firefox 121",
]
NOW = datetime(2026, 11, 1, tzinfo=UTC)


def build(lake: Path, seed: int = 11) -> Path:
    rng = random.Random(seed)
    artists, albums, tracks = [], [], []
    for a in range(40):
        genre = GENRES[a % len(GENRES)]
        popularity = max(5, min(98, int(rng.gauss(55, 20))))
        artists.append(
            {
                "artist_id": f"ar{a}",
                "name": f"{genre.title()} Artist {a}",
                "popularity": popularity,
                "followers": int(10 ** (2 + popularity / 20 + rng.random())),
                "genres": [genre] + ([GENRES[(a + 3) % 8]] if a % 3 == 0 else []),
                "updated_at": NOW,
            }
        )
        for b in range(2):
            year = rng.randint(1975, 2026)
            released = date(year, rng.randint(1, 12), rng.randint(1, 28))
            if b == 1 and a % 4 == 0:
                released = (NOW - timedelta(days=rng.randint(5, 80))).date()
            album_id = f"al{a}_{b}"
            n_tracks = rng.randint(6, 12)
            albums.append(
                {
                    "album_id": album_id,
                    "name": f"Album {a}.{b}",
                    "album_type": "album",
                    "release_date": released.isoformat(),
                    "release_date_precision": "day",
                    "release_year": released.year,
                    "total_tracks": n_tracks,
                    "artist_ids": [f"ar{a}"],
                    "popularity": max(0, popularity - rng.randint(0, 15)),
                    "updated_at": NOW,
                }
            )
            for t in range(n_tracks):
                tracks.append(
                    {
                        "track_id": f"t{a}_{b}_{t}",
                        "name": f"Song {a}.{b}.{t}",
                        "album_id": album_id,
                        "artist_ids": [f"ar{a}"],
                        "artist_names": [artists[-1]["name"]],
                        "duration_ms": rng.randint(130_000, 380_000),
                        "popularity": max(0, min(100, popularity + rng.randint(-25, 15))),
                        "updated_at": NOW,
                    }
                )
    by_artist: dict[str, list[dict]] = {}
    for t in tracks:
        by_artist.setdefault(t["artist_ids"][0], []).append(t)
    album_names = {a["album_id"]: a["name"] for a in albums}
    names = {a["artist_id"]: a["name"] for a in artists}

    plays = []
    for listener_index, (listener, country, days) in enumerate(
        [("3f1c0a9b5d2e7f41", "DE", 365), ("9a7e44c1b0d2f355", "SE", 300), ("c0ffee12ab34cd56", "US", 200)]
    ):
        favourites = rng.sample(artists, 14)
        for day in range(days):
            when = NOW - timedelta(days=day)
            if rng.random() < 0.12:
                continue
            # taste drifts: later days lean on the second half of the favourites
            pool = favourites[:9] if day > days / 2 else favourites[5:]
            hour = rng.choice([7, 8, 8, 12, 17, 18, 19, 20, 21, 21, 22, 23])
            clock = when.replace(hour=hour, minute=rng.randint(0, 59), second=0)
            for _ in range(rng.randint(3, 28)):
                artist = rng.choice(pool)
                track = rng.choice(by_artist[artist["artist_id"]])
                export = day > 40
                skipped = export and rng.random() < 0.22
                ms = rng.randint(4_000, 60_000) if skipped else track["duration_ms"]
                clock += timedelta(milliseconds=ms + rng.choice([0, 0, 0, 2_000, 15 * 60_000]))
                plays.append(
                    {
                        "play_id": f"{listener}-{len(plays)}",
                        "listener_id": listener,
                        "played_at": clock,
                        "track_id": track["track_id"],
                        "content_type": "track",
                        "track_name": track["name"],
                        "artist_name": names[artist["artist_id"]],
                        "album_name": album_names[track["album_id"]],
                        "artist_id": artist["artist_id"],
                        "album_id": track["album_id"],
                        "duration_ms": track["duration_ms"],
                        "ms_played": ms if export else None,
                        "is_stream": ms >= 30_000,
                        "skipped": skipped if export else None,
                        "platform": rng.choice(PLATFORMS[: 3 + listener_index]) if export else None,
                        "conn_country": country if rng.random() < 0.93 else rng.choice(["FR", "ES", "GB"]),
                        "source": "export_extended" if export else "api",
                        "play_month": clock.strftime("%Y-%m"),
                    }
                )
    snapshot = NOW.date()
    month = snapshot.strftime("%Y-%m")
    top_items, playlist_items, search = [], [], []
    for listener in {p["listener_id"] for p in plays}:
        for time_range in ("short_term", "medium_term", "long_term"):
            for rank, track in enumerate(rng.sample(tracks, 10), start=1):
                top_items.append(
                    {
                        "listener_id": listener,
                        "snapshot_date": snapshot,
                        "time_range": time_range,
                        "item_type": "track",
                        "rank": rank,
                        "item_id": track["track_id"],
                        "item_name": track["name"],
                        "snapshot_month": month,
                    }
                )
        for position, track in enumerate(rng.sample(tracks, 60)):
            playlist_items.append(
                {
                    "listener_id": listener,
                    "playlist_id": f"pl-{listener[:4]}-{position % 3}",
                    "snapshot_date": snapshot,
                    "position": position,
                    "item_type": "track",
                    "track_id": track["track_id"],
                    "snapshot_month": month,
                }
            )
    for genre in GENRES:
        hits = [t for t in tracks if genre in artists[int(t["artist_ids"][0][2:])]["genres"]]
        for rank, track in enumerate(sorted(hits, key=lambda t: -t["popularity"])[:10], start=1):
            search.append(
                {
                    "query": f"genre:{genre}",
                    "genre": genre,
                    "snapshot_date": snapshot,
                    "item_type": "track",
                    "rank": rank,
                    "item_id": track["track_id"],
                    "snapshot_month": month,
                }
            )
    write_table(lake, "plays", plays)
    write_table(lake, "tracks", tracks)
    write_table(lake, "albums", albums)
    write_table(lake, "artists", artists)
    write_table(lake, "top_items", top_items)
    write_table(lake, "playlist_items", playlist_items)
    write_table(lake, "search_results", search)
    return lake


if __name__ == "__main__":
    build(Path(sys.argv[1]))
