"""Reliability scenarios for the whole pipeline: faults, crashes, bad input, re-runs, concurrency,
authorization and secrets. ``tests/reliability/`` and ``python -m spotify_lake reliability`` share them;
docs/RELIABILITY.md lists the guarantees and the figures."""
