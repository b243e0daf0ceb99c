-- The listener's current top tracks as Spotify ranks them, from the latest top-items snapshot of each time range.
CREATE OR REPLACE VIEW current_top_tracks AS
WITH latest AS (
    SELECT listener_id, time_range, max(snapshot_date) AS snapshot_date
    FROM top_items
    WHERE item_type = 'track'
    GROUP BY listener_id, time_range
)
SELECT
    ti.listener_id,
    ti.time_range,
    ti.rank,
    ti.item_id AS track_id,
    coalesce(ti.item_name, t.name) AS track_name,
    element_at(t.artist_names, 1) AS artist_name,
    ti.snapshot_date
FROM top_items AS ti
JOIN latest AS l
    ON l.listener_id = ti.listener_id AND l.time_range = ti.time_range AND l.snapshot_date = ti.snapshot_date
LEFT JOIN tracks AS t ON t.track_id = ti.item_id
WHERE ti.item_type = 'track'
