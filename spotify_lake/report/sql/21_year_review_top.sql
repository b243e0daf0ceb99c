-- Year in review: the top five artists, tracks, albums, shows and genres per scope and year, ranked by minutes
-- listened (then plays, then name), the order the page's highlights use; a track is its track id. A genre gets the minutes of every play
-- of an artist carrying it.
CREATE OR REPLACE TEMP VIEW year_review_top AS
WITH scoped AS (
    SELECT listener_id AS scope, year(local_date) AS year, * FROM report_plays
    UNION ALL
    SELECT '*' AS scope, year(local_date) AS year, * FROM report_plays
),
named AS (
    SELECT scope, year, 'artist' AS kind, artist_name AS key, artist_name AS name, ms FROM scoped
    WHERE artist_name IS NOT NULL
    UNION ALL
    SELECT scope, year, 'track', item_key, item_name || ' · ' || artist_name, ms FROM scoped
    WHERE content_type = 'track' AND artist_name IS NOT NULL
    UNION ALL
    SELECT scope, year, 'album', album_name || ' · ' || artist_name, album_name || ' · ' || artist_name, ms
    FROM scoped WHERE album_name IS NOT NULL
    UNION ALL
    SELECT scope, year, 'show', show_name, show_name, ms FROM scoped WHERE show_name IS NOT NULL
    UNION ALL
    SELECT scope, year, 'genre', genre, genre, ms FROM (SELECT scope, year, unnest(genres) AS genre, ms FROM scoped)
),
ranked AS (
    SELECT scope, year, kind, min(name) AS name, count(*) AS plays, CAST(round(sum(ms) / 60000) AS bigint) AS minutes,
        row_number() OVER (PARTITION BY scope, year, kind ORDER BY sum(ms) DESC, count(*) DESC, min(name)) AS rank
    FROM named
    GROUP BY scope, year, kind, key
)
SELECT * FROM ranked WHERE rank <= 5
