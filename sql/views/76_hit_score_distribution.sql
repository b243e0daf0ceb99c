-- Hit score distribution: how many catalogue tracks fall in each popularity band of 10 points (90-100 on top).
CREATE OR REPLACE VIEW hit_score_distribution AS
WITH banded AS (
    -- x - x % n instead of x / n: integer division differs between Trino and DuckDB.
    SELECT least(popularity - popularity % 10, 90) AS band_start FROM tracks WHERE popularity IS NOT NULL
)
SELECT
    band_start,
    CASE
        WHEN band_start = 90 THEN '90-100'
        ELSE concat(CAST(band_start AS varchar), '-', CAST(band_start + 9 AS varchar))
    END AS popularity_band,
    count(*) AS tracks
FROM banded
GROUP BY band_start
