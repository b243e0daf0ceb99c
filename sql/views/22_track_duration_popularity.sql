-- Track length against popularity for every track the listener played (popularity: extended-quota apps only).
CREATE OR REPLACE VIEW track_duration_popularity AS
SELECT
    listener_id,
    track_id,
    max(track_name) AS track_name,
    max(artist_name) AS artist_name,
    max(track_duration_ms) AS duration_ms,
    max(track_popularity) AS popularity,
    count(*) AS plays
FROM play_events
WHERE content_type = 'track' AND track_id IS NOT NULL
GROUP BY listener_id, track_id
