-- Listening streaks: runs of consecutive local days with at least one play, longest first.
CREATE OR REPLACE VIEW listening_streaks AS
WITH days AS (
    SELECT DISTINCT listener_id, local_date FROM play_events
),
islands AS (
    SELECT
        listener_id,
        local_date,
        -- Consecutive days minus their row number land on the same date: one value per streak.
        CAST(date_add('day', -row_number() OVER (PARTITION BY listener_id ORDER BY local_date), local_date) AS date)
            AS island
    FROM days
),
streaks AS (
    SELECT listener_id, min(local_date) AS streak_start, max(local_date) AS streak_end, count(*) AS days
    FROM islands
    GROUP BY listener_id, island
)
SELECT
    listener_id,
    streak_start,
    streak_end,
    days,
    row_number() OVER (PARTITION BY listener_id ORDER BY days DESC, streak_end DESC) AS streak_rank,
    streak_end = max(streak_end) OVER (PARTITION BY listener_id) AS is_latest
FROM streaks
