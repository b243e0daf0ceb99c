"""Offline Spotify Web API emulator: a simulated world served over loopback HTTP.

from spotify_lake.sources.emulator import Emulator
with Emulator(seed=7) as emu:
    sp = spotipy.Spotify(auth_manager=...)
    sp.prefix = emu.api_prefix
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import datetime

from spotify_lake.sources.emulator.faults import FaultSpecError, parse_faults
from spotify_lake.sources.emulator.listening import DEFAULT_NOW, MAX_LISTENERS, Listener, Play, iter_plays
from spotify_lake.sources.emulator.objects import DEVELOPMENT, EXTENDED, MODES
from spotify_lake.sources.emulator.server import CLIENT_ID, CLIENT_SECRET, EmulatorApp, make_server
from spotify_lake.sources.emulator.simulation import World

__all__ = [
    "DEFAULT_NOW",
    "DEVELOPMENT",
    "EXTENDED",
    "MAX_LISTENERS",
    "MODES",
    "Emulator",
    "FaultSpecError",
    "Listener",
    "Play",
    "World",
    "iter_plays",
]


class Emulator:
    """A running emulator on ``127.0.0.1``; use as a context manager (or call start/stop)."""

    def __init__(
        self,
        seed: int = 7,
        days: int = 365,
        listeners: int = 1,
        mode: str = DEVELOPMENT,
        faults: str = "",
        token_ttl: float = 3600,
        now: datetime | str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ):
        if token_ttl <= 0:
            raise ValueError("token_ttl must be > 0 seconds")
        self.world = World(seed=seed, days=days, listeners=listeners, now=now)
        self.app = EmulatorApp(self.world, mode=mode, faults=parse_faults(faults), token_ttl=token_ttl)
        self._host, self._port = host, port
        self._server = None
        self._thread: threading.Thread | None = None
        self.client_id = CLIENT_ID
        self.client_secret = CLIENT_SECRET

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self) -> Emulator:
        if self._server is None:
            self._server = make_server(self.app, self._host, self._port)
            self._thread = threading.Thread(target=self._server.serve_forever, name="spotify-emulator", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted (the CLI uses this)."""
        if self._server is None:
            self._server = make_server(self.app, self._host, self._port)
        try:
            self._server.serve_forever()
        finally:
            self._server.server_close()
            self._server = None

    def bind(self) -> None:
        """Open the listening socket without serving yet (so base_url is known)."""
        if self._server is None:
            self._server = make_server(self.app, self._host, self._port)

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- addresses -----------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        if not self.app.base_url:
            raise RuntimeError("the emulator is not started")
        return self.app.base_url

    @property
    def api_prefix(self) -> str:
        return self.base_url + "/v1/"

    @property
    def token_url(self) -> str:
        return self.base_url + "/api/token"

    @property
    def authorize_url(self) -> str:
        return self.base_url + "/authorize"

    # -- the simulated world -------------------------------------------------------------------
    @property
    def seed(self) -> int:
        return self.world.seed

    @property
    def mode(self) -> str:
        return self.app.mode

    @property
    def listeners(self) -> list[Listener]:
        return self.world.listeners

    @property
    def now(self) -> datetime:
        return self.world.now

    def advance(self, hours: float = 0, minutes: float = 0, seconds: float = 0) -> datetime:
        return self.world.advance(hours=hours, minutes=minutes, seconds=seconds)

    def visible_plays(self, listener_index: int = 0) -> list[dict]:
        """Ground truth: plays up to now that recently-played can list (over 30 s, not private, no podcasts)."""
        return list(self.world.play_dicts(listener_index, visible_only=True))

    def all_plays(self, listener_index: int = 0) -> list[dict]:
        """Every play up to now, including short, private-session and podcast plays."""
        return list(self.world.play_dicts(listener_index, visible_only=False))

    # -- control -------------------------------------------------------------------------------
    def request_log(self) -> Counter:
        """Counts keyed by (endpoint template, status); status 0 means the connection was dropped."""
        with self.app._lock:
            return Counter(self.app.state.log)

    def reset_request_log(self) -> None:
        with self.app._lock:
            self.app.state.log.clear()

    def revoke(self, refresh_token: str) -> None:
        self.app.revoke(refresh_token)

    def set_faults(self, spec: str) -> None:
        self.app.faults = parse_faults(spec)
