-- ActivityPub: the remote actors this instance has fetched (their keys verify signed requests),
-- the city actor's followers, the likes and announces of its videos, and the replies kept for
-- the office to read. The city actor's own key and its settings live in the settings table.
-- Remote strings are stored cut to a bound (see internal/fed) and escaped when shown.
CREATE TABLE fed_remote_actors (
    id           TEXT PRIMARY KEY,
    host         TEXT NOT NULL,
    inbox        TEXT NOT NULL,
    shared_inbox TEXT NOT NULL DEFAULT '',
    key_id       TEXT NOT NULL,
    public_key   TEXT NOT NULL,
    username     TEXT NOT NULL DEFAULT '',
    name         TEXT NOT NULL DEFAULT '',
    fetched_at   TIMESTAMP NOT NULL
);
CREATE INDEX fed_remote_actors_key ON fed_remote_actors (key_id);

-- state: pending until the office approves (manuallyApprovesFollowers), then accepted.
CREATE TABLE fed_followers (
    actor_id     TEXT PRIMARY KEY,
    follow_id    TEXT NOT NULL,
    inbox        TEXT NOT NULL,
    shared_inbox TEXT NOT NULL DEFAULT '',
    state        TEXT NOT NULL CHECK (state IN ('pending', 'accepted')),
    created_at   TIMESTAMP NOT NULL
);

-- Likes and announces of our objects (videos are {base}/ap/videos/{id}), by the activity's id so
-- that an Undo finds it and a repeated delivery counts once.
CREATE TABLE fed_reactions (
    activity_id TEXT PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('like', 'announce')),
    actor_id    TEXT NOT NULL,
    object_id   TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX fed_reactions_object ON fed_reactions (object_id, kind);
CREATE INDEX fed_reactions_actor ON fed_reactions (actor_id);

-- Replies to our objects: never public; the office reads them in the admin.
CREATE TABLE fed_replies (
    note_id     TEXT PRIMARY KEY,
    actor_id    TEXT NOT NULL,
    in_reply_to TEXT NOT NULL,
    content     TEXT NOT NULL,
    url         TEXT NOT NULL DEFAULT '',
    received_at TIMESTAMP NOT NULL
);
CREATE INDEX fed_replies_actor ON fed_replies (actor_id);
CREATE INDEX fed_replies_object ON fed_replies (in_reply_to, received_at);

-- Remote hosts our deliveries failed to reach: after a week of failures a host is skipped until
-- it answers again (as Mastodon does).
CREATE TABLE fed_hosts (
    host              TEXT PRIMARY KEY,
    failing_since     TIMESTAMP,
    unreachable       BOOLEAN NOT NULL DEFAULT FALSE
);
