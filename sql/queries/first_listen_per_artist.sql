-- name: first_listen_per_artist
-- description: When I first and last played each artist, with total plays, most played first.
SELECT
    listener_id,
    artist_name,
    min(played_at_local) AS first_played,
    max(played_at_local) AS last_played,
    count(*) AS plays
FROM play_events
WHERE artist_name IS NOT NULL
GROUP BY listener_id, artist_name
ORDER BY plays DESC, artist_name, listener_id
