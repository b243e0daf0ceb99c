-- Per catalogue artist: popularity and followers, the average popularity and length of the tracks that credit them,
-- how many tracks credit them (appearances) and the total track count of the albums they are an album artist of.
CREATE OR REPLACE VIEW artist_metrics AS
WITH credits AS (
    SELECT c.artist_id, t.track_id, t.popularity, t.duration_ms
    FROM tracks AS t
    CROSS JOIN UNNEST(t.artist_ids) AS c (artist_id)
),
track_stats AS (
    SELECT
        artist_id,
        count(DISTINCT track_id) AS track_appearances,
        avg(popularity) AS avg_track_popularity,
        avg(duration_ms) AS avg_track_duration_ms
    FROM credits
    GROUP BY artist_id
),
album_stats AS (
    SELECT a.artist_id, count(DISTINCT al.album_id) AS albums, sum(al.total_tracks) AS album_total_tracks
    FROM albums AS al
    CROSS JOIN UNNEST(al.artist_ids) AS a (artist_id)
    GROUP BY a.artist_id
)
SELECT
    ar.artist_id,
    ar.name AS artist_name,
    ar.popularity,
    ar.followers,
    ts.avg_track_popularity,
    ts.avg_track_duration_ms,
    coalesce(ts.track_appearances, 0) AS track_appearances,
    coalesce(als.albums, 0) AS albums,
    coalesce(als.album_total_tracks, 0) AS album_total_tracks
FROM artists AS ar
LEFT JOIN track_stats AS ts ON ts.artist_id = ar.artist_id
LEFT JOIN album_stats AS als ON als.artist_id = ar.artist_id
