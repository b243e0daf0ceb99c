-- Popularity against followers for the artists the listener played (both: extended-quota apps only).
CREATE OR REPLACE VIEW artist_popularity_followers AS
SELECT
    listener_id,
    artist_id,
    max(artist_name) AS artist_name,
    count(*) AS plays,
    max(artist_popularity) AS popularity,
    max(artist_followers) AS followers
FROM play_events
WHERE artist_id IS NOT NULL
GROUP BY listener_id, artist_id
