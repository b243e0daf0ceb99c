-- Records per curated table: what the lake holds.
CREATE OR REPLACE VIEW table_record_counts AS
SELECT 'plays' AS table_name, count(*) AS records FROM plays
UNION ALL SELECT 'tracks', count(*) FROM tracks
UNION ALL SELECT 'albums', count(*) FROM albums
UNION ALL SELECT 'artists', count(*) FROM artists
UNION ALL SELECT 'artist_snapshots', count(*) FROM artist_snapshots
UNION ALL SELECT 'top_items', count(*) FROM top_items
UNION ALL SELECT 'saved_tracks', count(*) FROM saved_tracks
UNION ALL SELECT 'playlists', count(*) FROM playlists
UNION ALL SELECT 'playlist_items', count(*) FROM playlist_items
UNION ALL SELECT 'search_results', count(*) FROM search_results
UNION ALL SELECT 'quarantine', count(*) FROM quarantine
UNION ALL SELECT 'data_quality', count(*) FROM data_quality
UNION ALL SELECT 'exclusions', count(*) FROM exclusions
