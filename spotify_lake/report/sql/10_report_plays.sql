-- One row per play with the keys and flags the interactive page aggregates (a table: every page query reads
-- it). Local-only (DuckDB), run after the
-- Athena views: it reads play_events (times already in the report's zone) and adds the export-only fields
-- play_events leaves out (reason_start, shuffle, offline, show and episode names). Names are the keys, as in
-- the top_artists view: an artist is its name; an album is its name and its artist's name.
CREATE OR REPLACE TEMP TABLE report_plays AS
SELECT
    e.listener_id,
    e.local_date,
    e.local_hour,
    e.content_type,
    CASE
        WHEN e.content_type = 'episode'
            THEN 'episode:' || coalesce(p.show_name, '') || ':' || coalesce(p.episode_name, p.episode_uri, '')
        WHEN e.content_type = 'audiobook' THEN 'audiobook:' || coalesce(p.audiobook_title, p.audiobook_uri, '')
        ELSE 'track:' || coalesce(e.track_id, coalesce(e.artist_name, '') || ':' || coalesce(e.track_name, ''))
    END AS item_key,
    CASE e.content_type
        WHEN 'episode' THEN coalesce(p.episode_name, '(unnamed episode)')
        WHEN 'audiobook' THEN coalesce(p.audiobook_title, '(unnamed audiobook)')
        ELSE coalesce(e.track_name, '(unknown track)')
    END AS item_name,
    CASE WHEN e.content_type = 'track' THEN e.artist_name END AS artist_name,
    CASE WHEN e.content_type = 'track' AND e.artist_name IS NOT NULL THEN e.album_name END AS album_name,
    CASE WHEN e.content_type = 'episode' THEN p.show_name END AS show_name,
    e.album_release_year AS release_year,
    e.artist_genres AS genres,
    coalesce(e.ms_listened, 0) AS ms,
    p.skipped,
    p.shuffle,
    p.offline,
    p.reason_start,
    -- Chosen: the listener picked this item (a click, the play button, a remote device, going back to it);
    -- autoplayed: it followed the previous one (trackdone), came after a skip (fwdbtn) or resumed on app start.
    CASE
        WHEN p.reason_start IN ('clickrow', 'clickside', 'playbtn', 'remote', 'backbtn') THEN TRUE
        WHEN p.reason_start IS NOT NULL AND p.reason_start <> 'unknown' THEN FALSE
    END AS chosen
FROM play_events AS e
JOIN plays AS p ON p.play_id = e.play_id AND p.listener_id = e.listener_id
