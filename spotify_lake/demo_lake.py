"""The demo's raw lake: a simulated listener's year extracted, exported, imported and backfilled, not yet curated.

`python -m spotify_lake demo` builds it and then curates and reports; the benchmark's small-runs section builds
the same lake and times its curation, then one more poll and the incremental curation after it.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from spotify_lake import pipeline
from spotify_lake.sources.emulator import Emulator
from spotify_lake.sources.exportgen import write_export
from spotify_lake.staging import stage_export

POLLS = 3  # extractions an hour apart: shows the incremental cursor picking up only new plays
#: The demo's world unless told otherwise: a year of one listener, an app with extended quota.
DAYS = 365
MODE = "extended"

#: What the demo's extractions ask for (its catalogue searches).
DEMO_OPTIONS = pipeline.ExtractOptions(searches=pipeline.DEMO_SEARCHES)
#: What each later poll asks for: what the deployed 30-minute schedule asks for, new plays and new artists.
POLL_OPTIONS = replace(DEMO_OPTIONS, sources=pipeline.FREQUENT_SOURCES)


def stages(listeners: int) -> int:
    """How many progress stages :func:`build` shows."""
    return listeners + 3


def build(emu: Emulator, lake: Path, export_dir: Path, *, seed: int, days: int, progress: pipeline.Progress) -> None:
    """Extract every source, write and import each listener's privacy export, backfill the exported tracks'
    catalogue, then poll :data:`POLLS` - 1 more times an hour of simulated listening apart."""
    with progress.stage("First extraction (recently played, top items, library, playlists, artists)") as outcome:
        outcome.append(pipeline.describe_extract(pipeline.extract_from_emulator(emu, lake, DEMO_OPTIONS)))
    for index, listener in enumerate(emu.listeners):
        zip_path = export_dir / f"my_spotify_data_listener{index + 1}.zip"
        with progress.stage(f"Writing and importing listener {index + 1}'s privacy export") as outcome:
            written = write_export(zip_path, seed=seed, days=days, listener_index=index, now=emu.now)
            staged = stage_export(zip_path, lake, listener=listener.user_id, now=emu.now)
            outcome.append(f"{written.rows} rows in {len(staged.staged)} files")
    # The exported plays name tracks the catalogue never saw: look them up (most-played first, in budget).
    backfill = replace(DEMO_OPTIONS, sources=("backfill",))
    with progress.stage("Catalogue backfill of the exported tracks (release dates, artists)") as outcome:
        outcome.append(pipeline.describe_extract(pipeline.extract_from_emulator(emu, lake, backfill)))
    with progress.stage(f"{POLLS - 1} more polls, an hour of simulated listening apart") as outcome:
        for _ in range(POLLS - 1):
            emu.advance(hours=1)
            outcome.append(pipeline.describe_extract(pipeline.extract_from_emulator(emu, lake, POLL_OPTIONS)))
