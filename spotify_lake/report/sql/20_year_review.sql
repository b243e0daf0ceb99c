-- Year in review: one row per scope (a listener, or '*' for all listeners together) and local calendar year.
-- Minutes, plays, how listening started (chosen or autoplayed), shuffle, skips and offline shares over the plays
-- whose export says so, the biggest day, the longest streak of consecutive days with a play, the artists
-- discovered (first ever play in that year) and the listening age (release years the listener favours).
CREATE OR REPLACE TEMP VIEW year_review AS
WITH scoped AS (
    SELECT listener_id AS scope, * FROM report_plays
    UNION ALL
    SELECT '*' AS scope, * FROM report_plays
),
yearly AS (
    SELECT *, year(local_date) AS year FROM scoped
),
totals AS (
    SELECT
        scope,
        year,
        count(*) AS plays,
        CAST(round(sum(ms) / 60000) AS bigint) AS minutes,
        count(DISTINCT artist_name) AS artists,
        count(DISTINCT item_key) FILTER (WHERE content_type = 'track') AS tracks,
        count(chosen) AS reason_known,
        count(*) FILTER (WHERE chosen) AS chosen,
        count(*) FILTER (WHERE NOT chosen) AS autoplayed,
        count(shuffle) AS shuffle_known,
        count(*) FILTER (WHERE shuffle) AS shuffled,
        count(skipped) AS skip_known,
        count(*) FILTER (WHERE skipped) AS skipped,
        count(offline) AS offline_known,
        count(*) FILTER (WHERE offline) AS offline
    FROM yearly
    GROUP BY scope, year
),
days AS (
    SELECT scope, year, local_date, sum(ms) AS ms, count(*) AS plays FROM yearly GROUP BY scope, year, local_date
),
biggest AS (
    SELECT scope, year, local_date AS biggest_day, CAST(round(ms / 60000) AS bigint) AS biggest_day_minutes
    FROM (
        SELECT *, row_number() OVER (PARTITION BY scope, year ORDER BY ms DESC, local_date) AS r FROM days
    )
    WHERE r = 1
),
islands AS (
    SELECT scope, year, local_date,
        local_date - CAST(row_number() OVER (PARTITION BY scope, year ORDER BY local_date) AS integer) AS island
    FROM days
),
streaks AS (
    SELECT scope, year, min(local_date) AS streak_start, max(local_date) AS streak_end, count(*) AS streak_days
    FROM islands
    GROUP BY scope, year, island
),
longest AS (
    SELECT scope, year, streak_start, streak_end, streak_days
    FROM (
        SELECT *, row_number() OVER (PARTITION BY scope, year ORDER BY streak_days DESC, streak_start) AS r
        FROM streaks
    )
    WHERE r = 1
),
first_plays AS (
    SELECT scope, artist_name, min(local_date) AS first_day FROM scoped
    WHERE artist_name IS NOT NULL GROUP BY scope, artist_name
),
discovered AS (
    SELECT scope, year(first_day) AS year, count(*) AS artists_discovered FROM first_plays GROUP BY ALL
),
ages AS (
    SELECT
        scope,
        year,
        CAST(quantile_disc(release_year, 0.5) AS integer) AS median_release_year,
        count(release_year) AS plays_with_release_year
    FROM yearly
    WHERE release_year IS NOT NULL AND content_type = 'track'
    GROUP BY scope, year
),
eras AS (
    SELECT scope, year, era_start AS favourite_era_start
    FROM (
        SELECT scope, year, release_year // 5 * 5 AS era_start, count(*) AS n,
            row_number() OVER (PARTITION BY scope, year ORDER BY count(*) DESC, release_year // 5 * 5 DESC) AS r
        FROM yearly
        WHERE release_year IS NOT NULL AND content_type = 'track'
        GROUP BY scope, year, release_year // 5 * 5
    )
    WHERE r = 1
)
SELECT
    t.*,
    b.biggest_day,
    b.biggest_day_minutes,
    l.streak_start,
    l.streak_end,
    l.streak_days,
    coalesce(d.artists_discovered, 0) AS artists_discovered,
    a.median_release_year,
    a.plays_with_release_year,
    e.favourite_era_start
FROM totals AS t
JOIN biggest AS b USING (scope, year)
JOIN longest AS l USING (scope, year)
LEFT JOIN discovered AS d USING (scope, year)
LEFT JOIN ages AS a USING (scope, year)
LEFT JOIN eras AS e USING (scope, year)
