"""The small-runs section's poll: the emulator's clock advanced until its listener has the plays the poll wants."""

from spotify_lake import pipeline
from spotify_lake.bench.small_runs import advance_until_new_plays
from spotify_lake.demo_lake import POLL_OPTIONS
from spotify_lake.sources.emulator import Emulator


def test_advance_until_fifty_new_plays_then_one_poll_takes_them(tmp_path):
    with Emulator(seed=7, days=30, listeners=1, mode="extended") as emu:
        pipeline.extract_from_emulator(emu, tmp_path / "lake", POLL_OPTIONS)  # the cursor: every play so far
        before = len(emu.visible_plays(0))
        new = advance_until_new_plays(emu, 50, step_minutes=5)
        assert new == len(emu.visible_plays(0)) - before
        # At most the plays of one 5-minute step past 50 (a play lasts over 30 s, so at most 10 of them).
        assert 50 <= new <= 60
        poll = pipeline.extract_from_emulator(emu, tmp_path / "lake", POLL_OPTIONS)
    assert poll.sources["recently_played"].items_written == min(new, 50)


def test_the_demo_command_defaults_to_the_world_the_benchmark_times():
    import argparse

    from spotify_lake import demo_lake
    from spotify_lake.commands import demo

    parser = argparse.ArgumentParser()
    demo.configure(parser)  # the command keeps literal defaults: the CLI does not import the emulator to build its help
    args = parser.parse_args([])
    assert (args.days, args.mode, args.listeners) == (demo_lake.DAYS, demo_lake.MODE, 1)
