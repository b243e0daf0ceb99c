-- Average release year of what was played, per month: a rising line means newer music.
CREATE OR REPLACE VIEW release_year_by_month AS
SELECT
    listener_id,
    local_month AS month,
    avg(album_release_year) AS avg_release_year,
    count(album_release_year) AS plays_with_release_year
FROM play_events
WHERE content_type = 'track' AND album_release_year IS NOT NULL
GROUP BY listener_id, local_month
