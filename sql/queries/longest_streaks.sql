-- name: longest_streaks
-- description: My longest runs of consecutive days with music, and whether the latest one is still going.
SELECT listener_id, streak_start, streak_end, days, is_latest
FROM listening_streaks
WHERE streak_rank <= 5
ORDER BY listener_id, streak_rank
