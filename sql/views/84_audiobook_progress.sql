-- How far into each audiobook: chapters heard and finished (a play of the chapter reached its end, reason_end
-- trackdone; NULL when no play says how it ended), minutes, first and last listen, and the chapter heard last.
-- The lake does not know how many chapters a book has (no catalogue of audiobooks), so this is progress by
-- chapters heard, not a percentage.
CREATE OR REPLACE VIEW audiobook_progress AS
WITH chapters AS (
    SELECT
        listener_id,
        audiobook_title,
        coalesce(audiobook_chapter_title, audiobook_uri) AS chapter,
        played_at,
        local_date,
        ms_listened,
        reason_end
    FROM play_events
    WHERE content_type = 'audiobook' AND audiobook_title IS NOT NULL
)
SELECT
    listener_id,
    audiobook_title,
    count(DISTINCT chapter) AS chapters_heard,
    CASE WHEN count(reason_end) > 0 THEN count(DISTINCT CASE WHEN reason_end = 'trackdone' THEN chapter END) END
        AS chapters_finished,
    count(*) AS plays,
    round(sum(CAST(ms_listened AS double)) / 60000, 1) AS minutes,
    min(local_date) AS first_played,
    max(local_date) AS last_played,
    max_by(chapter, played_at) AS last_chapter
FROM chapters
GROUP BY listener_id, audiobook_title
