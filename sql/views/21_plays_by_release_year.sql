-- Favourite tracks by release year: how the listener's plays spread over the years their albums came out.
CREATE OR REPLACE VIEW plays_by_release_year AS
SELECT
    listener_id,
    album_release_year AS release_year,
    count(*) AS plays,
    count(DISTINCT track_id) AS distinct_tracks,
    round(sum(CAST(ms_listened AS double)) / 60000, 1) AS minutes
FROM play_events
WHERE content_type = 'track' AND album_release_year IS NOT NULL
GROUP BY listener_id, album_release_year
