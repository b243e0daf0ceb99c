"""The emulator answers unmodified spotipy on the endpoints every extractor needs."""

from spotify_lake.sources.emulator import Emulator


def test_spotipy_reads_profile_and_recent_plays(emu, sp):
    me = sp.me()
    assert me["id"] == emu.listeners[0].user_id
    recent = sp.current_user_recently_played(limit=50)
    assert len(recent["items"]) == 50
    truth = emu.visible_plays(0)
    # newest first, and the newest is the last API-visible play before "now"
    assert recent["items"][0]["played_at"] == truth[-1]["played_at"]
    assert recent["items"][0]["track"]["id"] == truth[-1]["track_id"]


def test_emulator_context_manager_exposes_urls():
    with Emulator(seed=1, days=3) as emu:
        assert emu.api_prefix == emu.base_url + "/v1/"
        assert emu.token_url.endswith("/api/token")
        assert emu.listeners[0].refresh_token == "emulator-refresh-token"
        assert emu.now.isoformat() == "2026-11-01T00:00:00+00:00"
