-- When the listener listens: plays and minutes per local weekday (1 = Monday) and hour of day.
CREATE OR REPLACE VIEW listening_heatmap AS
SELECT
    listener_id,
    local_weekday AS weekday,
    CASE local_weekday
        WHEN 1 THEN 'Mon' WHEN 2 THEN 'Tue' WHEN 3 THEN 'Wed' WHEN 4 THEN 'Thu'
        WHEN 5 THEN 'Fri' WHEN 6 THEN 'Sat' ELSE 'Sun'
    END AS weekday_name,
    local_hour AS hour,
    count(*) AS plays,
    round(sum(CAST(ms_listened AS double)) / 60000, 1) AS minutes
FROM play_events
GROUP BY listener_id, local_weekday, local_hour
