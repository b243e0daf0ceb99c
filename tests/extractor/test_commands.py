"""`authorize` against the emulator's sign-in page, `extract` end to end, and quarantine of a bad body."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

from extraction.identity import listener_id
from lake_contract.settings import ExtractorSettings
from spotify_lake.cli import main
from spotify_lake.sources.emulator import Emulator

from .conftest import emulator_env, raw_records, run_handler


def test_authorize_stores_a_working_refresh_token(tmp_path, capsys):
    secret = tmp_path / "secret.json"
    with Emulator(seed=31, days=10, listeners=2) as emu:
        code = main(
            [
                "authorize",
                "--local",
                "--secret-file",
                str(secret),
                "--emulator-url",
                emu.base_url,
                "--listener",
                "1",
                "--port",
                "0",
                "--timeout",
                "20",
            ]
        )
        assert code == 0
        document = json.loads(secret.read_text())
        assert document["client_id"] == "emulator"
        [entry] = document["listeners"]
        assert entry["listener_id"] == listener_id(emu.listeners[1].user_id)
        assert oct(secret.stat().st_mode & 0o777) == "0o600"
        assert entry["refresh_token"] not in capsys.readouterr().out
        # the stored token works for the extractor
        summary = run_handler(
            emulator_env(emu, tmp_path / "lake", secret, sources=("recently_played",)), clock=lambda: emu.now
        )
    assert summary["listeners"][0]["listener_id"] == listener_id(emu.listeners[1].user_id)
    assert summary["sources"]["recently_played"]["items_written"] > 0


def test_extract_command_writes_raw_zone_and_run_summary(tmp_path, capsys):
    lake = tmp_path / "lake"
    code = main(["extract", "--source", "emulator", "--lake", str(lake), "--days", "20", "--search", "genre:rock"])
    out = capsys.readouterr().out
    assert code == 0
    [run_file] = list((lake / "_runs").glob("extract-*.json"))
    summary = json.loads(run_file.read_text())
    assert summary["status"] == "finished"
    assert f"run {summary['run_id']}: finished" in out
    for endpoint in ("recently_played", "top_artists", "top_tracks", "saved_tracks", "playlists", "artists", "search"):
        assert summary["sources"][{"search": "search"}.get(endpoint, endpoint)]["items_written"] > 0, endpoint
    assert all(
        len(r["request"]["params"]) and r["request"]["params"]["limit"] == 10 for r in raw_records(lake, "search")
    )


class _HalfBrokenApi(BaseHTTPRequestHandler):
    """Answers /v1/me properly and recently-played with a truncated body, as a flaky proxy might."""

    protocol_version = "HTTP/1.1"

    def do_GET(self):
        if self.path.startswith("/v1/me/player/recently-played"):
            self._send(b'{"items": [{"played_at": "2026-11-01T00:00:00.000Z", "track": {"id": ')
        elif self.path.startswith("/v1/me"):
            self._send(json.dumps({"id": "broken-user", "type": "user"}).encode())
        else:
            self._send(b"{}", status=404)

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self._send(
            json.dumps(
                {
                    "access_token": "t-broken",
                    "token_type": "Bearer",
                    "expires_in": 3600,
                    "scope": "user-read-recently-played",
                }
            ).encode()
        )

    def _send(self, body: bytes, status: int = 200):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        return


def test_malformed_body_is_quarantined_as_received_and_the_cursor_stays(tmp_path):
    server = HTTPServer(("127.0.0.1", 0), _HalfBrokenApi)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    secret = tmp_path / "secret.json"
    secret.write_text(
        json.dumps({"client_id": "c", "client_secret": "s", "listeners": [{"refresh_token": "r-broken"}]})
    )
    try:
        env = ExtractorSettings(
            lake_dir=str(tmp_path / "lake"),
            secret_file=str(secret),
            api_prefix=f"{base}/v1/",
            token_url=f"{base}/api/token",
            sources=("recently_played",),
        ).to_environment()
        summary = run_handler(env)
    finally:
        server.shutdown()
        server.server_close()
    unit = next(u for u in summary["units"] if u["source"] == "recently_played")
    assert unit["status"] == "failed"
    assert unit["error"].startswith("quarantined")
    [key] = unit["quarantined"]
    assert key.startswith("raw/_quarantine/endpoint=recently_played/")
    document = json.loads((tmp_path / "lake" / key).read_text())
    assert document["body"].endswith('"track": {"id": ')
    assert document["status"] == 200
    assert document["request"] == {"path": "/v1/me/player/recently-played", "params": {"limit": 50}}
    assert summary["quarantined"] == 1
    assert not list((tmp_path / "lake").glob("_state/**/recently_played.json"))
