-- Streams (plays of 30 s or more) and minutes per listener and month.
CREATE OR REPLACE VIEW streams_per_listener AS
SELECT
    listener_id,
    local_month AS month,
    count(*) AS plays,
    count_if(is_stream) AS streams,
    round(sum(CAST(ms_listened AS double)) / 60000, 1) AS minutes
FROM play_events
GROUP BY listener_id, local_month
