-- Skip rate and seconds played before a skip, per month. Only privacy exports record skips (and ms played), so
-- only plays whose `skipped` is known count; API plays never do.
CREATE OR REPLACE VIEW skip_stats_by_month AS
SELECT
    listener_id,
    local_month AS month,
    count(*) AS plays_with_skip_info,
    count_if(skipped) AS skips,
    CAST(count_if(skipped) AS double) / count(*) AS skip_rate,
    avg(CASE WHEN skipped THEN CAST(ms_played AS double) / 1000 END) AS avg_seconds_before_skip
FROM play_events
WHERE skipped IS NOT NULL AND content_type = 'track'
GROUP BY listener_id, local_month
