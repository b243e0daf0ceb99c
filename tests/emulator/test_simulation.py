"""The simulated listener behaves like a person: rhythm, skips, drift, and it is reproducible."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from itertools import pairwise

import pytest

from spotify_lake.sources.emulator import World, iter_plays
from spotify_lake.sources.emulator.catalogue import catalogue_for, is_valid_id


@pytest.fixture(scope="module")
def year():
    world = World(seed=7, days=365)
    return world, list(world.iter_plays(0))


def test_rhythm_evenings_and_weekends(year):
    world, plays = year
    offset = world.listeners[0].utc_offset_hours
    hours = Counter((datetime.fromtimestamp(p.end_ms / 1000, tz=UTC).hour + offset) % 24 for p in plays)
    assert hours[20] + hours[21] > 3 * (hours[3] + hours[4])
    days = Counter(datetime.fromtimestamp(p.end_ms / 1000, tz=UTC).date() for p in plays)
    weekend = [n for d, n in days.items() if d.weekday() >= 5]
    weekday = [n for d, n in days.items() if d.weekday() < 5]
    assert sum(weekend) / len(weekend) > 1.15 * sum(weekday) / len(weekday)
    assert all(a.end_ms <= b.end_ms for a, b in pairwise(plays))


def test_skips_short_plays_repeats_and_hidden_plays(year):
    _, plays = year
    music = [p for p in plays if p.track >= 0]
    short = sum(p.ms_played < 30_000 for p in music) / len(music)
    assert 0.05 < short < 0.2
    assert sum(p.skipped for p in music) / len(music) > short
    assert any(a.track == b.track for a, b in pairwise(music))
    assert any(p.incognito for p in music)
    assert any(p.track < 0 for p in plays)  # podcasts


def test_taste_drifts_towards_niche(year):
    world, plays = year
    cat = world.catalogue
    first, last = plays[: len(plays) // 6], plays[-len(plays) // 6 :]

    def mainstream(part):
        music = [p for p in part if p.track >= 0]
        return sum(cat.artists[cat.tracks[p.track].artist_indexes[0]].mainstream for p in music) / len(music)

    assert mainstream(first) > mainstream(last) + 0.1


def test_ids_and_release_dates():
    cat = catalogue_for(7)
    assert all(is_valid_id(x.id) for x in (*cat.artists, *cat.albums, *cat.tracks))
    assert len({t.id for t in cat.tracks}) == len(cat.tracks)
    assert {a.release_date_precision for a in cat.albums} == {"year", "month", "day"}
    years = [a.release_year for a in cat.albums]
    assert min(years) < 1975
    assert max(years) >= 2024


def test_iter_plays_is_exact_sorted_and_reproducible():
    plays = list(iter_plays(3, days=30, plays=5_000))
    assert len(plays) == 5_000
    assert all(a.end_ms <= b.end_ms for a, b in pairwise(plays))
    assert plays == list(iter_plays(3, days=30, plays=5_000))
    assert plays[-1].end_ms <= datetime(2026, 11, 1, tzinfo=UTC).timestamp() * 1000
    natural = list(iter_plays(3, days=30))
    assert set(natural[-100:]) <= set(plays)  # lane 0 is the listener the emulator serves
