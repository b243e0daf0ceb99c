"""Tokens, sign-in, fault injection, the request log and the control endpoints."""

from __future__ import annotations

import base64
import hashlib
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import spotipy
from spotipy.cache_handler import MemoryCacheHandler
from spotipy.oauth2 import SpotifyClientCredentials, SpotifyOauthError

from spotify_lake.sources.emulator import Emulator, FaultSpecError
from spotify_lake.sources.emulator.faults import parse_faults


def _token(emu, refresh_token="emulator-refresh-token"):  # noqa: S107 - the emulator's public test token
    return requests.post(
        emu.token_url,
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
        auth=(emu.client_id, emu.client_secret),
        timeout=5,
    )


def test_access_token_expires_and_spotipy_refreshes():
    with Emulator(seed=2, days=5, token_ttl=1) as emu:
        answer = _token(emu).json()
        assert answer["expires_in"] == 1
        assert "refresh_token" not in answer  # refresh responses no longer rotate the refresh token
        headers = {"Authorization": f"Bearer {answer['access_token']}"}
        assert requests.get(emu.api_prefix + "me", headers=headers, timeout=5).status_code == 200
        time.sleep(1.1)
        expired = requests.get(emu.api_prefix + "me", headers=headers, timeout=5)
        assert expired.status_code == 401
        assert expired.json() == {"error": {"status": 401, "message": "The access token expired"}}


def test_spotipy_refresh_then_invalid_grant_after_revoke(make_client):
    with Emulator(seed=2, days=5, token_ttl=1) as emu:
        sp = make_client(emu)
        sp.me()
        time.sleep(1.1)
        sp.me()  # spotipy sees its token is stale and refreshes it against the emulator
        # spotipy refreshes whenever fewer than 60 s remain, so with a 1 s lifetime every call refreshes
        assert emu.request_log()[("POST /api/token", 200)] >= 2
        emu.revoke(emu.listeners[0].refresh_token)
        time.sleep(1.1)
        with pytest.raises(SpotifyOauthError) as revoked:
            sp.me()
        assert revoked.value.error == "invalid_grant"
        assert revoked.value.error_description == "Refresh token revoked"
        assert _token(emu).json() == {"error": "invalid_grant", "error_description": "Refresh token revoked"}


def test_client_credentials_reach_catalogue_only():
    with Emulator(seed=2, days=5) as emu:
        auth = SpotifyClientCredentials(
            client_id="emulator", client_secret="emulator", cache_handler=MemoryCacheHandler()
        )
        auth.OAUTH_TOKEN_URL = emu.token_url
        sp = spotipy.Spotify(auth_manager=auth, retries=0)
        sp.prefix = emu.api_prefix
        artist = emu.world.catalogue.artists[0]
        assert sp.artist(artist.id)["name"] == artist.name
        with pytest.raises(spotipy.SpotifyException) as denied:
            sp.me()
        assert denied.value.http_status == 401
        bad = requests.post(emu.token_url, data={"grant_type": "client_credentials"}, auth=("emulator", "x"), timeout=5)
        assert bad.status_code == 400
        assert bad.json()["error"] == "invalid_client"


def test_authorization_code_flow_with_pkce_and_redirect_rules():
    with Emulator(seed=2, days=5, listeners=2) as emu:
        verifier = "v" * 64
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
        redirect = "http://127.0.0.1:8765/callback"
        params = {
            "client_id": "emulator", "response_type": "code", "redirect_uri": redirect, "state": "xyz",
            "scope": "user-read-recently-played", "code_challenge_method": "S256", "code_challenge": challenge,
            "listener": "1",
        }  # fmt: skip
        answer = requests.get(emu.authorize_url, params=params, allow_redirects=False, timeout=5)
        assert answer.status_code == 303
        location = urlsplit(answer.headers["Location"])
        assert f"{location.scheme}://{location.netloc}{location.path}" == redirect
        query = parse_qs(location.query)
        assert query["state"] == ["xyz"]
        token = requests.post(
            emu.token_url,
            data={"grant_type": "authorization_code", "code": query["code"][0], "redirect_uri": redirect,
                  "client_id": "emulator", "code_verifier": verifier},
            timeout=5,
        ).json()  # fmt: skip
        assert token["refresh_token"]
        assert token["scope"] == "user-read-recently-played"
        me = requests.get(
            emu.api_prefix + "me", headers={"Authorization": f"Bearer {token['access_token']}"}, timeout=5
        )
        assert me.json()["id"] == emu.listeners[1].user_id
        top = requests.get(
            emu.api_prefix + "me/top/tracks", headers={"Authorization": f"Bearer {token['access_token']}"}, timeout=5
        )
        assert top.status_code == 403  # scope not granted
        for bad in ("http://localhost:8765/callback", "http://example.com/cb", "ftp://127.0.0.1/cb"):
            refused = requests.get(
                emu.authorize_url, params={**params, "redirect_uri": bad}, allow_redirects=False, timeout=5
            )
            assert refused.status_code == 400
            assert "INVALID_CLIENT" in refused.text


def test_throttle_keeps_retry_after_with_a_plain_session(make_client):
    with Emulator(seed=4, days=5, faults="throttle=1,retry_after=7") as emu:
        sp = make_client(emu, session=requests.Session())
        with pytest.raises(spotipy.SpotifyException) as throttled:
            sp.me()
        assert throttled.value.http_status == 429
        assert throttled.value.headers["Retry-After"] == "7"
        assert emu.request_log()[("GET /v1/me", 429)] == 1


def test_server_errors_and_dropped_connections(make_client):
    with Emulator(seed=4, days=5, faults="error=1") as emu:
        with pytest.raises(spotipy.SpotifyException) as failed:
            make_client(emu, session=requests.Session()).me()
        assert failed.value.http_status in (500, 502, 503)
        # spotipy's own retry adapter with retries off turns any 5xx into its "Max Retries" exception
        sp = make_client(emu, retries=0)
        with pytest.raises(spotipy.SpotifyException, match="Max Retries"):
            sp.me()
        emu.set_faults("reset=1")
        with pytest.raises(requests.exceptions.ConnectionError):
            sp.me()
        emu.set_faults("")
        assert sp.me()["id"] == emu.listeners[0].user_id
        log = emu.request_log()
        assert log[("GET /v1/me", 0)] == 1
        assert sum(c for (e, s), c in log.items() if e == "GET /v1/me" and s >= 500) == 2
        assert log[("GET /v1/me", 200)] == 1


def test_spotipy_default_retries_ride_through_some_faults(make_client):
    with Emulator(seed=9, days=5, faults="throttle=0.2,error=0.2,retry_after=0") as emu:
        sp = make_client(emu, retries=10)
        for _ in range(10):
            assert sp.me()["id"] == emu.listeners[0].user_id
        log = emu.request_log()
        assert log[("GET /v1/me", 200)] == 10
        assert sum(c for (e, s), c in log.items() if e == "GET /v1/me" and s != 200) > 0


def test_fault_sequence_is_reproducible():
    faults = parse_faults("throttle=0.2,error=0.1,reset=0.05")
    first = [faults.decide(1, n) for n in range(1, 2001)]
    assert first == [faults.decide(1, n) for n in range(1, 2001)]
    assert first != [faults.decide(2, n) for n in range(1, 2001)]
    throttled = sum(1 for f in first if f and f[0] == "throttle")
    assert 320 < throttled < 480  # about 20 % of 2,000


@pytest.mark.parametrize(
    "spec", ["throttle=2", "bogus=0.1", "throttle", "error=x", "throttle=0.6,error=0.6", "retry_after=1.5"]
)
def test_bad_fault_specs_are_rejected(spec):
    with pytest.raises(FaultSpecError):
        parse_faults(spec)


def test_control_endpoints():
    with Emulator(seed=4, days=5) as emu:
        control = emu.base_url + "/_emulator/"
        _token(emu)
        assert requests.get(control + "state", timeout=5).json()["now"] == "2026-11-01T00:00:00.000Z"
        moved = requests.post(control + "clock", json={"advance_seconds": 3600}, timeout=5).json()
        assert moved == {"now": "2026-11-01T01:00:00.000Z"}
        logged = requests.get(control + "requests", timeout=5).json()["requests"]
        assert logged == [{"endpoint": "POST /api/token", "status": 200, "count": 1}]
        requests.post(control + "reset-log", timeout=5)
        assert emu.request_log() == {}
        requests.post(control + "revoke", json={"refresh_token": "emulator-refresh-token"}, timeout=5)
        assert _token(emu).json()["error"] == "invalid_grant"
        requests.post(control + "faults", json={"spec": "throttle=1"}, timeout=5)
        assert requests.get(control + "state", timeout=5).status_code == 200  # never faulted
        assert requests.get(emu.api_prefix + "me", timeout=5).status_code == 429
        assert requests.post(control + "faults", json={"spec": "nope=1"}, timeout=5).status_code == 400
