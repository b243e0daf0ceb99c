-- Minutes listened per local day, with the 7-day rolling average (sum of the 7 days ending that day, divided by 7,
-- so days without plays count as zero).
CREATE OR REPLACE VIEW daily_minutes AS
WITH daily AS (
    SELECT listener_id, local_date, count(*) AS plays, sum(CAST(ms_listened AS double)) / 60000 AS minutes
    FROM play_events
    GROUP BY listener_id, local_date
)
SELECT
    d.listener_id,
    d.local_date,
    d.plays,
    round(d.minutes, 1) AS minutes,
    round(sum(w.minutes) / 7, 1) AS minutes_7d_avg
FROM daily AS d
JOIN daily AS w
    ON w.listener_id = d.listener_id
    AND w.local_date BETWEEN CAST(date_add('day', -6, d.local_date) AS date) AND d.local_date
GROUP BY d.listener_id, d.local_date, d.plays, d.minutes
