-- Top podcast shows by minutes, all time: how many episodes of each were played, how often, and when first and
-- last (local dates). Keyed by the show's name, which every export kind carries (account data has no URIs).
CREATE OR REPLACE VIEW top_shows AS
WITH totals AS (
    SELECT
        listener_id,
        show_name,
        count(DISTINCT coalesce(episode_name, episode_uri)) AS episodes,
        count(*) AS plays,
        round(sum(CAST(ms_listened AS double)) / 60000, 1) AS minutes,
        min(local_date) AS first_played,
        max(local_date) AS last_played
    FROM play_events
    WHERE content_type = 'episode' AND show_name IS NOT NULL
    GROUP BY listener_id, show_name
),
ranked AS (
    SELECT
        *,
        row_number() OVER (PARTITION BY listener_id ORDER BY minutes DESC, plays DESC, show_name) AS rank_by_minutes
    FROM totals
)
SELECT listener_id, show_name, episodes, plays, minutes, first_played, last_played, rank_by_minutes
FROM ranked
WHERE rank_by_minutes <= 50
