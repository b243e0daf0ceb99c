-- Every play the analyses count (not in excluded_plays: private sessions and the listener's exclusions), with its
-- catalogue context and its times in the display time zone; the base of the listening views.
-- `${time_zone}` is replaced with the configured IANA zone before this file runs (Athena: by the deployer).
CREATE OR REPLACE VIEW play_events AS
WITH enriched AS (
    SELECT
        p.listener_id,
        p.play_id,
        p.source,
        p.content_type,
        p.played_at,
        p.play_month,
        -- Wall-clock listening: an overlapping play on one device adds only the time not already covered
        -- (ms_wall_clock). The API has no ms_played: a listed API play ran to its end, so its length stands in.
        coalesce(p.ms_wall_clock, p.ms_played, p.duration_ms, t.duration_ms) AS ms_listened,
        p.ms_played,
        coalesce(p.overlaps_previous, false) AS overlaps_previous,
        -- The one place the views decide what a stream is (curation sets is_stream: ms_played >= 30 s, and
        -- every listed API play); the fallback covers rows curated before the column existed.
        coalesce(p.is_stream, coalesce(p.ms_played, p.duration_ms, t.duration_ms) >= 30000) AS is_stream,
        p.skipped,
        p.reason_end,
        p.platform,
        p.conn_country,
        coalesce(p.track_id, t.track_id) AS track_id,
        coalesce(p.track_name, t.name) AS track_name,
        coalesce(p.artist_id, element_at(t.artist_ids, 1)) AS artist_id,
        coalesce(p.artist_name, element_at(t.artist_names, 1)) AS artist_name,
        coalesce(p.album_id, t.album_id) AS album_id,
        p.album_name,
        coalesce(p.duration_ms, t.duration_ms) AS track_duration_ms,
        t.popularity AS track_popularity,
        p.episode_uri,
        p.episode_name,
        p.show_name,
        p.audiobook_uri,
        p.audiobook_title,
        p.audiobook_chapter_title,
        -- Lineage: the play record named no album (an exported play names only its track), and the catalogue's
        -- track (looked up by the extractor, for exports by its backfill) supplied album and artist.
        coalesce(p.album_id IS NULL AND t.album_id IS NOT NULL, false) AS ids_from_catalogue,
        CAST(at_timezone(with_timezone(p.played_at, 'UTC'), '${time_zone}') AS timestamp) AS played_at_local
    FROM plays AS p
    LEFT JOIN tracks AS t ON t.track_id = p.track_id
    -- Left out of every analysis; the month in the join lets Athena prune partitions on both sides.
    LEFT JOIN excluded_plays AS x ON x.play_id = p.play_id AND x.play_month = p.play_month
    WHERE x.play_id IS NULL
)
SELECT
    e.listener_id,
    e.play_id,
    e.source,
    e.content_type,
    e.played_at,
    -- The partition key (UTC month): filter on it too and Athena reads only those months.
    e.play_month,
    date_add('millisecond', -coalesce(e.ms_listened, 0), e.played_at) AS started_at,
    e.played_at_local,
    CAST(e.played_at_local AS date) AS local_date,
    CAST(date_trunc('month', e.played_at_local) AS date) AS local_month,
    hour(e.played_at_local) AS local_hour,
    day_of_week(e.played_at_local) AS local_weekday,
    e.ms_listened,
    CAST(e.ms_listened AS double) / 60000 AS minutes_listened,
    e.ms_played,
    e.overlaps_previous,
    e.is_stream,
    e.skipped,
    e.reason_end,
    e.platform,
    e.conn_country,
    e.track_id,
    e.track_name,
    coalesce(e.artist_id, ar.artist_id) AS artist_id,
    e.artist_name,
    e.album_id,
    coalesce(e.album_name, al.name) AS album_name,
    e.track_duration_ms,
    e.track_popularity,
    ar.popularity AS artist_popularity,
    ar.followers AS artist_followers,
    ar.genres AS artist_genres,
    al.release_year AS album_release_year,
    al.total_tracks AS album_total_tracks,
    e.episode_uri,
    e.episode_name,
    e.show_name,
    e.audiobook_uri,
    e.audiobook_title,
    e.audiobook_chapter_title,
    e.ids_from_catalogue
FROM enriched AS e
LEFT JOIN artists AS ar ON ar.artist_id = e.artist_id
LEFT JOIN albums AS al ON al.album_id = e.album_id
