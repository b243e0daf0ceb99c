-- Mainstream vs niche per month: the share of plays of tracks with popularity >= 70 (mainstream) and <= 30 (niche),
-- among plays whose popularity is known (track popularity: extended-quota apps only).
CREATE OR REPLACE VIEW mainstream_share_by_month AS
SELECT
    listener_id,
    local_month AS month,
    count(*) AS plays,
    count(track_popularity) AS plays_with_popularity,
    count_if(track_popularity >= 70) AS mainstream_plays,
    count_if(track_popularity <= 30) AS niche_plays,
    CAST(count_if(track_popularity >= 70) AS double) / nullif(count(track_popularity), 0) AS mainstream_share,
    CAST(count_if(track_popularity <= 30) AS double) / nullif(count(track_popularity), 0) AS niche_share,
    avg(track_popularity) AS avg_popularity
FROM play_events
WHERE content_type = 'track'
GROUP BY listener_id, local_month
