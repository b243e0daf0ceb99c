"""Synthetic sources: the offline Spotify Web API emulator and the privacy-export generator.

They stand in for Spotify; they know nothing of the pipeline, the report or the adapters.
"""
