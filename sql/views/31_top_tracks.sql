-- Top tracks by streams (plays of 30 s or more, column `plays`) and by minutes
-- over the last 4 weeks, the last 6 months and all time (periods end at the
-- listener's latest play). Tracks are keyed by name and artist so account-export plays without URIs count too.
CREATE OR REPLACE VIEW top_tracks AS
WITH periods AS (
    SELECT period, days FROM (VALUES ('last_4_weeks', 28), ('last_6_months', 182), ('all_time', NULL)) AS v (period, days)
),
latest AS (
    SELECT listener_id, max(played_at) AS last_played_at FROM play_events GROUP BY listener_id
),
totals AS (
    SELECT
        pe.listener_id,
        pr.period,
        pe.track_name,
        pe.artist_name,
        max(pe.track_id) AS track_id,
        count(*) AS plays,
        round(sum(CAST(pe.ms_listened AS double)) / 60000, 1) AS minutes
    FROM play_events AS pe
    JOIN latest AS l ON l.listener_id = pe.listener_id
    CROSS JOIN periods AS pr
    WHERE pe.content_type = 'track'
      AND pe.is_stream  -- charts count streams (>= 30 s), as Spotify does; skips are in skip_stats_by_month
      AND pe.track_name IS NOT NULL
      AND (pr.days IS NULL OR pe.played_at > date_add('day', -pr.days, l.last_played_at))
    GROUP BY pe.listener_id, pr.period, pe.track_name, pe.artist_name
),
ranked AS (
    SELECT
        *,
        row_number() OVER (
            PARTITION BY listener_id, period ORDER BY plays DESC, minutes DESC, track_name, artist_name
        ) AS rank_by_plays,
        row_number() OVER (
            PARTITION BY listener_id, period ORDER BY minutes DESC, plays DESC, track_name, artist_name
        ) AS rank_by_minutes
    FROM totals
)
SELECT listener_id, period, track_name, artist_name, track_id, plays, minutes, rank_by_plays, rank_by_minutes
FROM ranked
WHERE rank_by_plays <= 50 OR rank_by_minutes <= 50
