-- Hit score by genre: the average popularity of the tracks the latest catalogue search of each genre returned
-- (searches like genre:pop). Track popularity: extended-quota apps only.
CREATE OR REPLACE VIEW genre_hit_scores AS
WITH latest AS (
    SELECT query, max(snapshot_date) AS snapshot_date FROM search_results GROUP BY query
)
SELECT
    s.genre,
    max(s.snapshot_date) AS snapshot_date,
    count(DISTINCT s.item_id) AS tracks,
    avg(t.popularity) AS hit_score,
    max(t.popularity) AS top_popularity
FROM search_results AS s
JOIN latest AS l ON l.query = s.query AND l.snapshot_date = s.snapshot_date
LEFT JOIN tracks AS t ON t.track_id = s.item_id
WHERE s.item_type = 'track' AND s.genre IS NOT NULL
GROUP BY s.genre
