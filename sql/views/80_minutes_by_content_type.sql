-- Music, podcasts and audiobooks: plays and minutes per month and kind of content. Local files count as music;
-- plays the export could not type (no URI, no names) are `other`.
CREATE OR REPLACE VIEW minutes_by_content_type AS
WITH typed AS (
    SELECT
        listener_id,
        local_month,
        CASE content_type
            WHEN 'track' THEN 'music'
            WHEN 'local' THEN 'music'
            WHEN 'episode' THEN 'podcast'
            WHEN 'audiobook' THEN 'audiobook'
            ELSE 'other'
        END AS content,
        ms_listened
    FROM play_events
)
SELECT
    listener_id,
    local_month AS month,
    content,
    count(*) AS plays,
    round(sum(CAST(ms_listened AS double)) / 60000, 1) AS minutes
FROM typed
GROUP BY listener_id, local_month, content
