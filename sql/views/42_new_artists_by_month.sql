-- New-artist discovery: per month, how many artists were played and how many of them for the first time ever.
CREATE OR REPLACE VIEW new_artists_by_month AS
WITH artist_months AS (
    SELECT DISTINCT listener_id, artist_name, local_month
    FROM play_events
    WHERE content_type = 'track' AND artist_name IS NOT NULL
),
first_heard AS (
    SELECT listener_id, artist_name, min(local_month) AS first_month FROM artist_months GROUP BY listener_id, artist_name
)
SELECT
    am.listener_id,
    am.local_month AS month,
    count(*) AS artists_played,
    count_if(am.local_month = f.first_month) AS new_artists
FROM artist_months AS am
JOIN first_heard AS f ON f.listener_id = am.listener_id AND f.artist_name = am.artist_name
GROUP BY am.listener_id, am.local_month
