-- Where and on what the listener plays: connection country by platform family. The API records neither platform
-- nor connection country per play (API plays carry the listener's account country, platform "not recorded").
CREATE OR REPLACE VIEW plays_by_country_platform AS
WITH classified AS (
    SELECT
        listener_id,
        coalesce(conn_country, 'unknown') AS country,
        CASE
            WHEN platform IS NULL THEN 'not recorded'
            -- Web first: web-player strings also name the operating system they run on.
            WHEN lower(platform) LIKE '%web%' THEN 'Web player'
            WHEN lower(platform) LIKE '%android%' THEN 'Android'
            WHEN lower(platform) LIKE '%ios%' OR lower(platform) LIKE '%iphone%' OR lower(platform) LIKE '%ipad%'
                THEN 'iOS'
            WHEN lower(platform) LIKE '%windows%' THEN 'Windows'
            WHEN lower(platform) LIKE '%os x%' OR lower(platform) LIKE '%osx%' OR lower(platform) LIKE '%mac%'
                THEN 'macOS'
            WHEN lower(platform) LIKE '%linux%' THEN 'Linux'
            WHEN lower(platform) LIKE '%cast%' OR lower(platform) LIKE '%partner%' OR lower(platform) LIKE '%tv%'
                THEN 'Speakers and TVs'
            ELSE 'Other'
        END AS platform_family,
        ms_listened
    FROM play_events
)
SELECT
    listener_id,
    country,
    platform_family,
    count(*) AS plays,
    round(sum(CAST(ms_listened AS double)) / 60000, 1) AS minutes
FROM classified
GROUP BY listener_id, country, platform_family
