-- Where and on what the listener plays: connection country by platform family. The API records neither platform
-- nor connection country per play (API plays carry the listener's account country, platform "not recorded").
-- The CASE is generated from curation/rules.py PLATFORM_FAMILIES (documented in docs/CURATION.md); a test keeps
-- them equal. Plays count every play; minutes are wall-clock minutes.
CREATE OR REPLACE VIEW plays_by_country_platform AS
WITH classified AS (
    SELECT
        listener_id,
        coalesce(conn_country, 'unknown') AS country,
        CASE
            WHEN platform IS NULL THEN 'not recorded'
            WHEN regexp_like(lower(platform), 'android_tv|;aft[a-z]|fire ?tv|smart_tv|tizen|webos|roku|apple ?tv|tvos|chromecast|google_tv|\btv\b') THEN 'TV'
            WHEN regexp_like(lower(platform), 'playstation|ps4|ps5|xbox|nintendo') THEN 'Console'
            WHEN regexp_like(lower(platform), 'android_auto|carplay|\bauto\b|\bcar\b|tesla|volvo|polestar|bmw|mercedes|\baudi\b|\bford\b|stellantis') THEN 'Car'
            WHEN regexp_like(lower(platform), 'sonos|cast_audio|google_home|nest|alexa|echo|amazon_speaker|bose|denon|yamaha|speaker|\bcast\b') THEN 'Speaker'
            WHEN regexp_like(lower(platform), 'web_player|web player|webplayer|\bweb\b') THEN 'Web'
            WHEN regexp_like(lower(platform), 'windows|os x|osx|macos|mac os|linux|desktop') THEN 'Desktop'
            WHEN regexp_like(lower(platform), 'android|ios|iphone|ipad|ipod|mobile') THEN 'Mobile'
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
