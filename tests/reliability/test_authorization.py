"""Guarantee 6: an expired refresh token mid-run stops the run with AuthorizationExpired, keeps what was
written before, and the next authorized run continues from the cursor."""

from __future__ import annotations

from spotify_lake.reliability import scenarios


def test_revoked_refresh_token_mid_run_stops_cleanly_and_the_next_run_resumes(tmp_path):
    result = scenarios.authorization(tmp_path)
    assert result["first_run"] == "finished"
    assert result["stopped_with"] == "AuthorizationExpired"
    assert result["message_says_authorize"]
    assert result["objects_written_before_stop"] >= 1  # the revocation came after a write
    assert result["resumed_from"] == [result["cursor_after_stop"]]
    assert result["resumed_run"] == "finished"
    assert result["complete"]
    assert result["duplicate_plays"] == 0
    assert result["resumed"]
