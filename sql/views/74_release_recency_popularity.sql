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
)
SELECT
    c.release_period,
    count(DISTINCT c.album_id) AS albums,
    count(t.track_id) AS tracks,
    avg(c.popularity) AS avg_album_popularity,
    avg(t.popularity) AS avg_track_popularity
FROM classified AS c
LEFT JOIN tracks AS t ON t.album_id = c.album_id
GROUP BY c.release_period
