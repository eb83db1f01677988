-- Video messages: one row per video, its texts per language (any BCP 47 tag), the partnerships
-- and tags it is linked to, and its renditions. Rendition rows are written only once every
-- output file is stored, so a video never has half a set.
CREATE TABLE videos (
    id              INTEGER PRIMARY KEY,
    original_lang   TEXT NOT NULL,
    origin_city_id  BIGINT REFERENCES cities (id) ON DELETE SET NULL,
    state           TEXT NOT NULL,
    published_at    TIMESTAMP,
    scheduled_at    TIMESTAMP,
    duration_ms     BIGINT NOT NULL DEFAULT 0,
    source_key      TEXT NOT NULL DEFAULT '',
    source_info     TEXT NOT NULL DEFAULT '',
    poster_key      TEXT NOT NULL DEFAULT '',
    thumbnail_key   TEXT NOT NULL DEFAULT '',
    processing      TEXT NOT NULL DEFAULT 'none',
    progress        INTEGER NOT NULL DEFAULT 0,
    failure         TEXT NOT NULL DEFAULT '',
    demo_key        TEXT UNIQUE,
    version         BIGINT NOT NULL DEFAULT 1,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL
);
CREATE INDEX videos_state_published ON videos (state, published_at);

CREATE TABLE video_texts (
    video_id    BIGINT NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
    lang        TEXT NOT NULL,
    title       TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    credits     TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (video_id, lang)
);

CREATE TABLE video_partnerships (
    video_id       BIGINT NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
    partnership_id BIGINT NOT NULL REFERENCES partnerships (id) ON DELETE CASCADE,
    PRIMARY KEY (video_id, partnership_id)
);
CREATE INDEX video_partnerships_partnership ON video_partnerships (partnership_id);

CREATE TABLE video_tags (
    video_id BIGINT NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
    tag      TEXT NOT NULL,
    PRIMARY KEY (video_id, tag)
);

CREATE TABLE video_renditions (
    video_id    BIGINT NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
    height      INTEGER NOT NULL,
    width       INTEGER NOT NULL,
    lines       INTEGER NOT NULL,
    size        BIGINT NOT NULL,
    bitrate     BIGINT NOT NULL,
    storage_key TEXT NOT NULL,
    PRIMARY KEY (video_id, lines)
);
