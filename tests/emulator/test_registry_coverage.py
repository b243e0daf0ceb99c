"""Every API path of the endpoint registry is served by the emulator and defined by Spotify's OpenAPI spec.

The extractor calls exactly the registry's paths (lake_contract.endpoints), so an endpoint added to the
registry fails here until the emulator serves it and Spotify documents it."""

from __future__ import annotations

import re

import pytest

from lake_contract import endpoints
from spotify_lake.sources.emulator import Emulator
from spotify_lake.sources.emulator.server import ALL_SCOPES
from tests.emulator.test_openapi import _spec

#: Stands in for ``{id}`` in a registry path: a Spotify-shaped id.
SAMPLE_ID = "4uLU6hMCjMI75M1A2tKUQC"
REGISTRY_PATHS = sorted({(e.name, path) for e in endpoints.API_ENDPOINTS for path in e.paths})
#: Registry paths the emulator does not serve yet, with why; strict, so serving one fails until it is removed.
NOT_EMULATED: dict[str, str] = {}


def _concrete(path: str) -> str:
    return path.replace("{id}", SAMPLE_ID)


def _template_regex(template: str) -> re.Pattern[str]:
    """An OpenAPI path template (``/playlists/{playlist_id}/items``) as a regex over concrete paths."""
    return re.compile("^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + "$")


@pytest.fixture(scope="module")
def routes() -> list[tuple[str, re.Pattern[str]]]:
    emu = Emulator(seed=7, days=2)  # the routes exist before the server starts
    return [(method, regex) for method, regex, _template, _handler in emu.app.routes]


@pytest.mark.parametrize(
    ("endpoint", "path"),
    [
        pytest.param(*p, marks=pytest.mark.xfail(reason=NOT_EMULATED[p[1]], strict=True)) if p[1] in NOT_EMULATED else p
        for p in REGISTRY_PATHS
    ],
)
def test_the_emulator_serves_every_registry_path(routes, endpoint, path):
    concrete = _concrete(path)
    assert any(method == "GET" and regex.match(concrete) for method, regex in routes), (
        f"{endpoint}: the emulator has no GET route for {path}"
    )


def test_the_emulators_listeners_grant_every_registry_scope():
    assert set(endpoints.SCOPES) <= set(ALL_SCOPES.split())


@pytest.mark.parametrize(("endpoint", "path"), REGISTRY_PATHS)
def test_spotify_defines_every_registry_path(endpoint, path):
    spec = _spec()
    base = spec["servers"][0]["url"].split("api.spotify.com", 1)[1]  # "/v1"
    assert path.startswith(base + "/"), f"{endpoint}: {path} is not under {base}"
    concrete = _concrete(path.removeprefix(base))
    defined = [t for t, ops in spec["paths"].items() if "get" in ops and _template_regex(t).match(concrete)]
    assert defined, f"{endpoint}: Spotify's OpenAPI definition has no GET {path}"
