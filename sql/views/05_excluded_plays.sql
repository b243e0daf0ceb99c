-- Plays the analyses leave out, one row per play with the one rule that left it out: private-session plays
-- (incognito_mode), unless the exclusions table says `private_sessions,keep`, and plays matching a row of the
-- exclusions table (artist, track, show, audiobook or content_type). play_events, and so every listening view,
-- skips these plays; the curated plays table keeps them. Athena's CSV SerDe reads an empty field as '' and DuckDB
-- as NULL, so every exclusions column is trimmed and emptied to NULL first.
CREATE OR REPLACE VIEW excluded_plays AS
WITH rules AS (
    SELECT
        lower(trim(kind)) AS kind,
        trim(value) AS value,
        lower(trim(value)) AS value_key,
        nullif(trim(listener_id), '') AS listener_id,
        nullif(trim(reason), '') AS reason
    FROM exclusions
    WHERE nullif(trim(value), '') IS NOT NULL
),
keep_private AS (
    -- Listeners whose private-session plays count (NULL: every listener). `leave_out` is the default and
    -- needs no row.
    SELECT DISTINCT listener_id
    FROM rules
    WHERE kind = 'private_sessions' AND value_key = 'keep'
),
named AS (
    SELECT
        p.listener_id,
        p.play_id,
        p.play_month,
        p.played_at,
        p.content_type,
        coalesce(p.incognito_mode, false) AS private_session,
        -- The same fallbacks to the catalogue as play_events, so a rule matches what the report shows.
        coalesce(p.track_id, t.track_id) AS track_id,
        lower(coalesce(p.track_name, t.name)) AS track_key,
        coalesce(p.artist_id, element_at(t.artist_ids, 1)) AS artist_id,
        lower(coalesce(p.artist_name, element_at(t.artist_names, 1))) AS artist_key,
        lower(p.show_name) AS show_key,
        lower(p.audiobook_title) AS audiobook_key,
        coalesce(p.ms_wall_clock, p.ms_played, p.duration_ms, t.duration_ms) AS ms_listened
    FROM plays AS p
    LEFT JOIN tracks AS t ON t.track_id = p.track_id
),
matches AS (
    SELECT
        n.listener_id,
        n.play_id,
        n.play_month,
        n.played_at,
        n.ms_listened,
        'private_session' AS excluded_by,
        CAST(NULL AS varchar) AS excluded_value,
        'private session (incognito mode): left out unless the exclusions say private_sessions,keep' AS reason,
        0 AS rule_order
    FROM named AS n
    WHERE
        n.private_session
        AND NOT EXISTS (SELECT 1 FROM keep_private AS k WHERE k.listener_id IS NULL)
        AND n.listener_id NOT IN (SELECT k.listener_id FROM keep_private AS k WHERE k.listener_id IS NOT NULL)
    UNION ALL
    SELECT
        n.listener_id,
        n.play_id,
        n.play_month,
        n.played_at,
        n.ms_listened,
        r.kind,
        r.value,
        r.reason,
        CASE r.kind WHEN 'content_type' THEN 1 WHEN 'artist' THEN 2 WHEN 'track' THEN 3 WHEN 'show' THEN 4 ELSE 5 END
    FROM named AS n
    JOIN rules AS r
        ON (r.listener_id IS NULL OR r.listener_id = n.listener_id)
        AND (
            (r.kind = 'content_type' AND r.value_key = n.content_type)
            OR (
                r.kind = 'artist'
                AND (r.value_key = n.artist_key OR r.value = n.artist_id OR r.value = 'spotify:artist:' || n.artist_id)
            )
            OR (
                r.kind = 'track'
                AND (r.value_key = n.track_key OR r.value = n.track_id OR r.value = 'spotify:track:' || n.track_id)
            )
            OR (r.kind = 'show' AND r.value_key = n.show_key)
            OR (r.kind = 'audiobook' AND r.value_key = n.audiobook_key)
        )
),
ranked AS (
    SELECT
        m.*,
        row_number() OVER (
            PARTITION BY m.play_id ORDER BY m.rule_order, m.excluded_value, coalesce(m.reason, '')
        ) AS nth_rule
    FROM matches AS m
)
SELECT
    listener_id,
    play_id,
    play_month,
    played_at,
    ms_listened,
    CAST(ms_listened AS double) / 60000 AS minutes_listened,
    excluded_by,
    excluded_value,
    reason
FROM ranked
WHERE nth_rule = 1
