-- Listener churn per calendar month between the first and the last month with plays: listeners active this month,
-- new (first month ever), retained (also active the month before), returning (back after a pause) and churned
-- (active the month before, not this month).
CREATE OR REPLACE VIEW listener_churn AS
WITH active AS (
    SELECT DISTINCT listener_id, local_month FROM play_events
),
first_month AS (
    SELECT listener_id, min(local_month) AS first_month FROM active GROUP BY listener_id
),
bounds AS (
    SELECT min(local_month) AS first_month, max(local_month) AS last_month FROM active
),
calendar AS (
    SELECT CAST(m.month AS date) AS month
    FROM bounds AS b
    CROSS JOIN UNNEST(sequence(b.first_month, b.last_month, INTERVAL '1' MONTH)) AS m (month)
),
status AS (
    SELECT
        c.month,
        l.listener_id,
        cur.listener_id IS NOT NULL AS is_active,
        prev.listener_id IS NOT NULL AS was_active,
        l.first_month = c.month AS is_new
    FROM calendar AS c
    CROSS JOIN first_month AS l
    LEFT JOIN active AS cur ON cur.listener_id = l.listener_id AND cur.local_month = c.month
    LEFT JOIN active AS prev
        ON prev.listener_id = l.listener_id AND prev.local_month = CAST(date_add('month', -1, c.month) AS date)
)
SELECT
    month,
    count_if(is_active) AS active_listeners,
    count_if(is_active AND is_new) AS new_listeners,
    count_if(is_active AND was_active) AS retained_listeners,
    count_if(is_active AND NOT was_active AND NOT is_new) AS returning_listeners,
    count_if(was_active AND NOT is_active) AS churned_listeners
FROM status
GROUP BY month
