-- Viewing figures, counted from the players' beacons: numbers only. Nothing here names a
-- viewer: no address, no user agent, no cookie, no time finer than the day (UTC).
-- channel 'site' is the watch page (domain ''); 'embed' an embedding site, by its host as the
-- embed page saw it in document.referrer, or 'unknown'. q25…q100: page loads that played a
-- quarter, half, three quarters and all of the video.
CREATE TABLE video_views (
    video_id BIGINT NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
    day      TEXT NOT NULL,
    channel  TEXT NOT NULL CHECK (channel IN ('site', 'embed')),
    domain   TEXT NOT NULL DEFAULT '',
    views    BIGINT NOT NULL DEFAULT 0,
    q25      BIGINT NOT NULL DEFAULT 0,
    q50      BIGINT NOT NULL DEFAULT 0,
    q75      BIGINT NOT NULL DEFAULT 0,
    q100     BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (video_id, day, channel, domain)
);

-- Page loads that showed a subtitle language (a BCP 47 tag, or 'off' for none), per day.
CREATE TABLE video_view_subtitles (
    video_id BIGINT NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
    day      TEXT NOT NULL,
    lang     TEXT NOT NULL,
    views    BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (video_id, day, lang)
);
