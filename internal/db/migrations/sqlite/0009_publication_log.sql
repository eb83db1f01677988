-- The publication log: every channel a video reached, one entry each. The site and the feeds
-- write it when a video is published and first served, the beacon when an embedding site is
-- first seen, officers by hand (a YouTube channel, a newsletter), and federation its deliveries.
-- once_key makes an entry that may be written only once per video and channel (a feed's URL, an
-- embedding domain); entries that may repeat (a publication after a withdrawal, a hand-recorded
-- post) leave it NULL, which a unique index never compares equal.
CREATE TABLE publication_log (
    id          INTEGER PRIMARY KEY,
    video_id    BIGINT NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
    channel     TEXT NOT NULL CHECK (channel IN ('site', 'feed', 'embed', 'fediverse', 'partner', 'manual')),
    name        TEXT NOT NULL,
    lang        TEXT NOT NULL DEFAULT '',
    url         TEXT NOT NULL DEFAULT '',
    reached_at  TIMESTAMP NOT NULL,
    status      TEXT NOT NULL DEFAULT 'ok' CHECK (status IN ('ok', 'pending', 'failed')),
    detail      TEXT NOT NULL DEFAULT '',
    counted     BIGINT,
    recorded_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    once_key    TEXT,
    created_at  TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX publication_log_once ON publication_log (video_id, channel, once_key);
CREATE INDEX publication_log_video ON publication_log (video_id, reached_at);
