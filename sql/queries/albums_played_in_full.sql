-- name: albums_played_in_full
-- description: Albums of which every track has been played at least once, most played first.
SELECT listener_id, album_name, artist_name, distinct_tracks, album_total_tracks, plays, minutes
FROM albums_on_repeat
WHERE album_total_tracks IS NOT NULL AND distinct_tracks >= album_total_tracks
ORDER BY plays DESC, album_name, artist_name, listener_id
