-- Albums the listener keeps coming back to: plays, minutes and how many of the album's tracks were played.
CREATE OR REPLACE VIEW albums_on_repeat AS
SELECT
    listener_id,
    album_name,
    artist_name,
    max(album_id) AS album_id,
    count(*) AS plays,
    round(sum(CAST(ms_listened AS double)) / 60000, 1) AS minutes,
    count(DISTINCT coalesce(track_id, track_name)) AS distinct_tracks,
    max(album_total_tracks) AS album_total_tracks
FROM play_events
WHERE content_type = 'track' AND album_name IS NOT NULL AND is_stream  -- streams (>= 30 s) only
GROUP BY listener_id, album_name, artist_name
