-- Engagement across listeners by connection country and local hour: listeners, plays and plays per listener.
CREATE OR REPLACE VIEW engagement_by_country_hour AS
SELECT
    coalesce(conn_country, 'unknown') AS country,
    local_hour AS hour,
    count(DISTINCT listener_id) AS listeners,
    count(*) AS plays,
    round(sum(CAST(ms_listened AS double)) / 60000, 1) AS minutes,
    CAST(count(*) AS double) / count(DISTINCT listener_id) AS plays_per_listener
FROM play_events
GROUP BY coalesce(conn_country, 'unknown'), local_hour
