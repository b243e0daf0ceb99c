-- name: most_skipped_tracks
-- description: Tracks skipped most often (privacy-export plays only: the API does not report skips).
SELECT
    listener_id,
    track_name,
    artist_name,
    count_if(skipped) AS skips,
    count(*) AS plays_with_skip_info,
    round(avg(CASE WHEN skipped THEN CAST(ms_played AS double) / 1000 END), 1) AS avg_seconds_before_skip
FROM play_events
WHERE skipped IS NOT NULL AND track_name IS NOT NULL
GROUP BY listener_id, track_name, artist_name
HAVING count_if(skipped) > 0
ORDER BY skips DESC, track_name, artist_name, listener_id
LIMIT 20
