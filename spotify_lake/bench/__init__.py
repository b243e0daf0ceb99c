"""Benchmarks: transform, scaling, queries, API calls and the cost model (`python -m spotify_lake bench`)."""
