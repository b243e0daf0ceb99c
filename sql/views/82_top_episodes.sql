-- Top podcast episodes by minutes, all time (an episode heard in several sittings adds them up). Keyed by show
-- and episode name, as top_tracks is by track and artist name.
CREATE OR REPLACE VIEW top_episodes AS
WITH totals AS (
    SELECT
        listener_id,
        show_name,
        episode_name,
        max(episode_uri) AS episode_uri,
        count(*) AS plays,
        round(sum(CAST(ms_listened AS double)) / 60000, 1) AS minutes
    FROM play_events
    WHERE content_type = 'episode' AND episode_name IS NOT NULL
    GROUP BY listener_id, show_name, episode_name
),
ranked AS (
    SELECT
        *,
        row_number() OVER (
            PARTITION BY listener_id ORDER BY minutes DESC, plays DESC, show_name, episode_name
        ) AS rank_by_minutes
    FROM totals
)
SELECT listener_id, show_name, episode_name, episode_uri, plays, minutes, rank_by_minutes
FROM ranked
WHERE rank_by_minutes <= 50
