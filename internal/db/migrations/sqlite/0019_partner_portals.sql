-- Sister portals. partner_actors names, per partnership, the partner city's instance actor
-- that this instance follows: the Follow's id (an Accept or Reject names it) and where the
-- follow stands. remote_videos are the partner's published videos as its Video objects gave
-- them: texts per language (JSON objects of language to title, and to description HTML already
-- sanitised), the renditions and subtitle tracks on the partner's server (JSON arrays: media is
-- streamed from there, never copied) and the poster cached here. A video belongs to its actor,
-- not to a partnership, so two partnerships with one city show the same videos once.
CREATE TABLE partner_actors (
    partnership_id BIGINT PRIMARY KEY REFERENCES partnerships (id) ON DELETE CASCADE,
    actor_id       TEXT NOT NULL,
    follow_id      TEXT NOT NULL UNIQUE,
    state          TEXT NOT NULL CHECK (state IN ('pending', 'accepted', 'rejected')),
    set_at         TIMESTAMP NOT NULL,
    accepted_at    TIMESTAMP
);
CREATE INDEX partner_actors_actor ON partner_actors (actor_id);

CREATE TABLE remote_videos (
    id           INTEGER PRIMARY KEY,
    object_id    TEXT NOT NULL UNIQUE,
    actor_id     TEXT NOT NULL,
    url          TEXT NOT NULL,
    lang         TEXT NOT NULL DEFAULT '',
    name         TEXT NOT NULL,
    names        TEXT NOT NULL,
    contents     TEXT NOT NULL,
    duration_s   BIGINT NOT NULL DEFAULT 0,
    media        TEXT NOT NULL,
    tracks       TEXT NOT NULL,
    poster_url   TEXT NOT NULL DEFAULT '',
    poster_key   TEXT NOT NULL DEFAULT '',
    published_at TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL,
    fetched_at   TIMESTAMP NOT NULL
);
CREATE INDEX remote_videos_actor ON remote_videos (actor_id, published_at);

-- A partner's Delete of a video, remembered so that a fetch of it begun before the Delete came
-- (its Create's or Update's, still running) does not store it again; a fetch begun after it (a
-- Create when the partner publishes it anew) stores it and clears this.
CREATE TABLE remote_video_deletions (
    object_id  TEXT PRIMARY KEY,
    actor_id   TEXT NOT NULL,
    deleted_at TIMESTAMP NOT NULL
);
