-- The five artists with the most songs in the listener's playlists (latest snapshot of each playlist; a song in
-- several playlists counts once; the track's first credited artist counts).
CREATE OR REPLACE VIEW playlist_top_artists AS
WITH latest AS (
    SELECT listener_id, playlist_id, max(snapshot_date) AS snapshot_date
    FROM playlist_items
    GROUP BY listener_id, playlist_id
),
songs AS (
    SELECT DISTINCT i.listener_id, i.track_id
    FROM playlist_items AS i
    JOIN latest AS l
        ON l.listener_id = i.listener_id AND l.playlist_id = i.playlist_id AND l.snapshot_date = i.snapshot_date
    WHERE i.track_id IS NOT NULL
),
counted AS (
    SELECT
        s.listener_id,
        element_at(t.artist_ids, 1) AS artist_id,
        element_at(t.artist_names, 1) AS artist_name,
        count(*) AS songs
    FROM songs AS s
    JOIN tracks AS t ON t.track_id = s.track_id
    WHERE element_at(t.artist_names, 1) IS NOT NULL
    GROUP BY s.listener_id, element_at(t.artist_ids, 1), element_at(t.artist_names, 1)
),
ranked AS (
    SELECT *, row_number() OVER (PARTITION BY listener_id ORDER BY songs DESC, artist_name) AS rank FROM counted
)
SELECT listener_id, rank, artist_id, artist_name, songs FROM ranked WHERE rank <= 5
