-- Genre share over time: per month, each genre's plays over the month's plays whose artist has genres.
CREATE OR REPLACE VIEW genre_share_by_month AS
WITH genre_plays AS (
    SELECT pe.listener_id, pe.local_month, pe.play_id, g.genre
    FROM play_events AS pe
    CROSS JOIN UNNEST(pe.artist_genres) AS g (genre)
),
known AS (
    SELECT listener_id, local_month, count(DISTINCT play_id) AS plays_with_genre
    FROM genre_plays
    GROUP BY listener_id, local_month
)
SELECT
    gp.listener_id,
    gp.local_month AS month,
    gp.genre,
    count(*) AS plays,
    CAST(count(*) AS double) / max(k.plays_with_genre) AS share
FROM genre_plays AS gp
JOIN known AS k ON k.listener_id = gp.listener_id AND k.local_month = gp.local_month
GROUP BY gp.listener_id, gp.local_month, gp.genre
