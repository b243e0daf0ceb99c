-- Listening sessions: a new session starts when more than 10 minutes pass between the end of one play and the
-- start of the next (start = end minus ms played, or minus the track length for API plays).
CREATE OR REPLACE VIEW listening_sessions AS
WITH ordered AS (
    SELECT
        listener_id,
        play_id,
        started_at,
        played_at,
        ms_listened,
        lag(played_at) OVER (PARTITION BY listener_id ORDER BY played_at, play_id) AS previous_end
    FROM play_events
),
flagged AS (
    SELECT
        *,
        CASE WHEN previous_end IS NULL OR date_diff('millisecond', previous_end, started_at) > 600000 THEN 1 ELSE 0 END
            AS starts_session
    FROM ordered
),
numbered AS (
    SELECT
        *,
        sum(starts_session) OVER (
            PARTITION BY listener_id ORDER BY played_at, play_id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
        ) AS session_number
    FROM flagged
),
sessions AS (
    SELECT
        listener_id,
        session_number,
        min(started_at) AS session_start,
        max(played_at) AS session_end,
        count(*) AS plays,
        sum(CAST(ms_listened AS double)) / 60000 AS minutes_listened
    FROM numbered
    GROUP BY listener_id, session_number
)
SELECT
    listener_id,
    session_number,
    session_start,
    session_end,
    CAST(at_timezone(with_timezone(session_start, 'UTC'), '${time_zone}') AS timestamp) AS session_start_local,
    CAST(CAST(at_timezone(with_timezone(session_start, 'UTC'), '${time_zone}') AS timestamp) AS date) AS session_date,
    plays,
    round(minutes_listened, 1) AS minutes_listened,
    round(CAST(date_diff('millisecond', session_start, session_end) AS double) / 60000, 1) AS session_minutes
FROM sessions
