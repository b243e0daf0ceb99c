-- Did I finish the episodes I started? One row per episode. No curated table knows an episode's length (the API
-- lists no podcast plays, exports carry only ms played), so "finished" is what the export says: a play of the
-- episode ended because it reached its end (reason_end trackdone). NULL when no play says how it ended (account
-- data); minutes_heard adds up every sitting.
CREATE OR REPLACE VIEW episode_completion AS
SELECT
    listener_id,
    show_name,
    coalesce(episode_name, episode_uri) AS episode,
    count(*) AS plays,
    round(sum(CAST(ms_listened AS double)) / 60000, 1) AS minutes_heard,
    count(reason_end) AS plays_with_end_reason,
    CASE WHEN count(reason_end) > 0 THEN count_if(reason_end = 'trackdone') > 0 END AS finished,
    min(local_date) AS first_played,
    max(local_date) AS last_played
FROM play_events
WHERE content_type = 'episode' AND coalesce(episode_name, episode_uri) IS NOT NULL
GROUP BY listener_id, show_name, coalesce(episode_name, episode_uri)
