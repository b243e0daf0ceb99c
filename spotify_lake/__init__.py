"""spotify-lake local toolkit: CLI, Spotify emulator, synthetic exports, local runner, report."""
