-- Recent releases (the last quarter: released within 3 months before the catalogue was last refreshed) against
-- older ones, by the average popularity of their tracks and albums (popularity: extended-quota apps only).
CREATE OR REPLACE VIEW release_recency_popularity AS
WITH reference AS (
    SELECT CAST(max(updated_at) AS date) AS as_of FROM albums
),
released AS (
    SELECT
        album_id,
        popularity,
        CASE release_date_precision
            WHEN 'day' THEN try_cast(release_date AS date)
            WHEN 'month' THEN try_cast(concat(release_date, '-01') AS date)
            WHEN 'year' THEN try_cast(concat(release_date, '-01-01') AS date)
        END AS released_on
    FROM albums
),
classified AS (
    SELECT
        r.album_id,
        r.popularity,
        CASE
            WHEN r.released_on > CAST(date_add('month', -3, ref.as_of) AS date) THEN 'last quarter'
            ELSE 'older'
        END AS release_period
    FROM released AS r
    CROSS JOIN reference AS ref
    WHERE r.released_on IS NOT NULL
),
album_side AS (
    SELECT release_period, count(*) AS albums, avg(popularity) AS avg_album_popularity
    FROM classified
    GROUP BY release_period
),
track_side AS (
    SELECT c.release_period, count(*) AS tracks, avg(t.popularity) AS avg_track_popularity
    FROM classified AS c
    JOIN tracks AS t ON t.album_id = c.album_id
    GROUP BY c.release_period
)
SELECT
    a.release_period,
    a.albums,
    coalesce(ts.tracks, 0) AS tracks,
    a.avg_album_popularity,
    ts.avg_track_popularity
FROM album_side AS a
LEFT JOIN track_side AS ts ON ts.release_period = a.release_period
