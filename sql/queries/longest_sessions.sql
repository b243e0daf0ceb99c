-- name: longest_sessions
-- description: The ten longest listening sessions (a gap of more than 10 minutes ends a session).
SELECT listener_id, session_start_local, session_minutes, plays, minutes_listened
FROM listening_sessions
ORDER BY session_minutes DESC, session_start, listener_id
LIMIT 10
