-- Subtitle and caption tracks of a video. A track's cues are kept as normalised WebVTT in the
-- row itself, so an edit, a translation or an import is one row written in one transaction:
-- nothing half-saved, nothing in a separate file to lose. plain_text is the cue text without
-- markup, shown as the transcript;
-- search_text is it in lower case, for the transcript search of the public index.
CREATE TABLE subtitle_tracks (
    id              INTEGER PRIMARY KEY,
    video_id        BIGINT NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
    lang            TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('subtitles', 'captions', 'descriptions', 'chapters')),
    label           TEXT NOT NULL DEFAULT '',
    is_default      INTEGER NOT NULL DEFAULT 0,
    status          TEXT NOT NULL CHECK (status IN ('draft', 'in_review', 'approved')),
    source_track_id BIGINT REFERENCES subtitle_tracks (id) ON DELETE SET NULL,
    translator_id   BIGINT REFERENCES users (id) ON DELETE SET NULL,
    origin          TEXT NOT NULL DEFAULT '',
    vtt             TEXT NOT NULL,
    plain_text      TEXT NOT NULL DEFAULT '',
    search_text     TEXT NOT NULL DEFAULT '',
    cue_count       INTEGER NOT NULL DEFAULT 0,
    done_count      INTEGER NOT NULL DEFAULT 0,
    review_comment  TEXT NOT NULL DEFAULT '',
    version         BIGINT NOT NULL DEFAULT 1,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL
);
CREATE INDEX subtitle_tracks_video ON subtitle_tracks (video_id);
CREATE INDEX subtitle_tracks_translator ON subtitle_tracks (translator_id);

-- The review history of a track: each submission, approval and sending back, with its comment.
CREATE TABLE subtitle_reviews (
    id         INTEGER PRIMARY KEY,
    track_id   BIGINT NOT NULL REFERENCES subtitle_tracks (id) ON DELETE CASCADE,
    user_id    BIGINT REFERENCES users (id) ON DELETE SET NULL,
    action     TEXT NOT NULL,
    comment    TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX subtitle_reviews_track ON subtitle_reviews (track_id);

-- Burned-in language versions: an MP4 with a track's subtitles rendered into the picture. One
-- per track; track_version says which text of the track it shows.
CREATE TABLE subtitle_burns (
    track_id      BIGINT PRIMARY KEY REFERENCES subtitle_tracks (id) ON DELETE CASCADE,
    track_version BIGINT NOT NULL,
    status        TEXT NOT NULL,
    progress      INTEGER NOT NULL DEFAULT 0,
    failure       TEXT NOT NULL DEFAULT '',
    storage_key   TEXT NOT NULL DEFAULT '',
    size          BIGINT NOT NULL DEFAULT 0,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL
);
