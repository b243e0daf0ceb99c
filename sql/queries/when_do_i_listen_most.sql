-- name: when_do_i_listen_most
-- description: The ten busiest weekday-and-hour slots, in the display time zone the views were created with.
SELECT listener_id, weekday_name, hour, plays, minutes
FROM listening_heatmap
ORDER BY minutes DESC, plays DESC, weekday, hour, listener_id
LIMIT 10
