-- The city's videos on the fediverse. ap_videos gives each video that was ever federated the
-- stable uuid PeerTube's Video objects carry (written at its first Create and kept through a
-- withdrawal, so a publication again is the same object). ap_outbox is the outbox: one row per
-- Create, Update or Delete of a video, written in the transaction of the change, so a delivery
-- job (fedcore's) can fan it out later and the outbox collection lists what is live. A video's
-- last row says whether it is live on the fediverse (Create, Update) or a Tombstone (Delete).
-- No foreign key to videos: a Tombstone outlives a deleted video.
CREATE TABLE ap_videos (
    video_id   BIGINT PRIMARY KEY,
    uuid       TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE ap_outbox (
    id           INTEGER PRIMARY KEY,
    video_id     BIGINT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('Create', 'Update', 'Delete')),
    published_at TIMESTAMP NOT NULL
);
CREATE INDEX ap_outbox_video ON ap_outbox (video_id, id);
CREATE INDEX ap_outbox_kind ON ap_outbox (kind, id);

-- Videos public before this migration are live: they get their uuid and their Create.
INSERT INTO ap_videos (video_id, uuid, created_at)
SELECT id,
       lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' || substr(lower(hex(randomblob(2))), 2) || '-' ||
       substr('89ab', 1 + abs(random()) % 4, 1) || substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6))),
       COALESCE(published_at, updated_at)
FROM videos WHERE state IN ('published', 'unlisted');
INSERT INTO ap_outbox (video_id, kind, published_at)
SELECT id, 'Create', COALESCE(published_at, updated_at) FROM videos WHERE state IN ('published', 'unlisted') ORDER BY published_at, id;
