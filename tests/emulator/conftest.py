"""Shared fixtures: running emulators and spotipy clients pointed at them (spotipy itself unmodified)."""

from __future__ import annotations

import pytest
import spotipy
from spotipy.cache_handler import MemoryCacheHandler
from spotipy.oauth2 import SpotifyOAuth

from spotify_lake.sources.emulator import Emulator

SCOPES = "user-read-recently-played user-top-read user-library-read playlist-read-private user-read-private"


def user_client(emu: Emulator, listener_index: int = 0, *, retries: int = 0, session=None) -> spotipy.Spotify:
    """spotipy as an extractor would build it: an OAuth manager holding the listener's refresh token."""
    cache = MemoryCacheHandler(
        token_info={
            "access_token": "stale",
            "refresh_token": emu.listeners[listener_index].refresh_token,
            "expires_at": 0,  # forces a refresh on first use
            "scope": SCOPES,
        }
    )
    auth = SpotifyOAuth(
        client_id=emu.client_id,
        client_secret=emu.client_secret,
        redirect_uri="http://127.0.0.1:8080/callback",
        scope=SCOPES,
        cache_handler=cache,
        open_browser=False,
    )
    auth.OAUTH_TOKEN_URL = emu.token_url
    if session is not None:
        sp = spotipy.Spotify(auth_manager=auth, requests_session=session)
    else:
        sp = spotipy.Spotify(auth_manager=auth, retries=retries, status_retries=retries)
    sp.prefix = emu.api_prefix
    return sp


@pytest.fixture(scope="session")
def emu():
    with Emulator(seed=7, days=120) as running:
        yield running


@pytest.fixture(scope="session")
def emu_extended():
    with Emulator(seed=7, days=120, mode="extended") as running:
        yield running


@pytest.fixture
def sp(emu):
    return user_client(emu)


@pytest.fixture(scope="session")
def make_client():
    """The user_client factory, for tests that need several clients or special sessions."""
    return user_client
