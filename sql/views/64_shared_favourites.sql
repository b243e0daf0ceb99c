-- Shared favourites: artists in the all-time top 20 (by plays) of two listeners. One row per listener and other
-- listener and artist, in both directions, so filtering by listener_id shows whom that listener shares taste with.
CREATE OR REPLACE VIEW shared_favourites AS
WITH favourites AS (
    SELECT listener_id, artist_name, plays, rank_by_plays
    FROM top_artists
    WHERE period = 'all_time' AND rank_by_plays <= 20
)
SELECT
    a.listener_id,
    b.listener_id AS other_listener_id,
    a.artist_name,
    a.plays AS plays,
    b.plays AS other_plays,
    a.rank_by_plays AS rank,
    b.rank_by_plays AS other_rank
FROM favourites AS a
JOIN favourites AS b ON b.artist_name = a.artist_name AND b.listener_id <> a.listener_id
