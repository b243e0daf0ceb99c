-- Listener KPIs per month across all listeners: active listeners (at least one play), plays, streams (>= 30 s)
-- and streams and minutes per active listener.
CREATE OR REPLACE VIEW monthly_active_listeners AS
SELECT
    local_month AS month,
    count(DISTINCT listener_id) AS active_listeners,
    count(*) AS plays,
    count_if(is_stream) AS streams,
    CAST(count_if(is_stream) AS double) / count(DISTINCT listener_id) AS streams_per_listener,
    round(sum(CAST(ms_listened AS double)) / 60000 / count(DISTINCT listener_id), 1) AS minutes_per_listener
FROM play_events
GROUP BY local_month
