-- name: top_artists_last_30_days
-- description: My top 10 artists of the last 30 days, by plays, with minutes listened.
SELECT
    listener_id,
    artist_name,
    count(*) AS plays,
    round(sum(CAST(ms_listened AS double)) / 60000, 1) AS minutes
FROM play_events
WHERE content_type = 'track' AND artist_name IS NOT NULL AND played_at >= date_add('day', -30, current_date)
    -- Redundant with the line above, but on the partition key: Athena then scans only the last two months.
    AND play_month >= date_format(date_add('day', -30, current_date), '%Y-%m')
GROUP BY listener_id, artist_name
ORDER BY plays DESC, minutes DESC, artist_name, listener_id
LIMIT 10
