-- Genre composition of the listener's plays: a play counts once for every genre of its artist, and the share is
-- relative to the plays whose artist has genres (artist genres: not returned to development-mode apps).
CREATE OR REPLACE VIEW genre_composition AS
WITH genre_plays AS (
    SELECT pe.listener_id, pe.play_id, pe.ms_listened, g.genre
    FROM play_events AS pe
    CROSS JOIN UNNEST(pe.artist_genres) AS g (genre)
),
known AS (
    SELECT listener_id, count(DISTINCT play_id) AS plays_with_genre FROM genre_plays GROUP BY listener_id
)
SELECT
    gp.listener_id,
    gp.genre,
    count(*) AS plays,
    round(sum(CAST(gp.ms_listened AS double)) / 60000, 1) AS minutes,
    CAST(count(*) AS double) / max(k.plays_with_genre) AS share_of_plays
FROM genre_plays AS gp
JOIN known AS k ON k.listener_id = gp.listener_id
GROUP BY gp.listener_id, gp.genre
