-- Popularity distribution per month: plays per popularity band of 20 points (80-100 is the top band).
CREATE OR REPLACE VIEW popularity_by_month AS
WITH banded AS (
    SELECT
        listener_id,
        local_month,
        -- x - x % n instead of x / n: integer division differs between Trino and DuckDB.
        least(track_popularity - track_popularity % 20, 80) AS band_start
    FROM play_events
    WHERE content_type = 'track' AND track_popularity IS NOT NULL
)
SELECT
    listener_id,
    local_month AS month,
    band_start,
    CASE
        WHEN band_start = 80 THEN '80-100'
        ELSE concat(CAST(band_start AS varchar), '-', CAST(band_start + 19 AS varchar))
    END AS popularity_band,
    count(*) AS plays
FROM banded
GROUP BY listener_id, local_month, band_start
