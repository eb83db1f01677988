-- Citizens' messages, continued (issue 18): short video messages, the curated order of a
-- call's page, and compilations of video messages into one draft video.
--
-- A message's video is an ordinary video (state draft, never listed) that the pipeline probes
-- and encodes; the sender uploads its source once, with a capability kept only as a hash and
-- cleared when the upload begins.
ALTER TABLE message_calls ADD COLUMN accepts_video BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE message_calls ADD COLUMN max_video_bytes INTEGER NOT NULL DEFAULT 52428800;
ALTER TABLE message_calls ADD COLUMN max_video_seconds INTEGER NOT NULL DEFAULT 60;
-- curated: the call's page shows the approved messages in the editors' order (position), not
-- the newest first.
ALTER TABLE message_calls ADD COLUMN curated BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE citizen_messages ADD COLUMN video_id INTEGER REFERENCES videos (id) ON DELETE SET NULL;
ALTER TABLE citizen_messages ADD COLUMN upload_token_hash TEXT;
ALTER TABLE citizen_messages ADD COLUMN position INTEGER NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX citizen_messages_upload_token ON citizen_messages (upload_token_hash);

-- A compilation: the messages an editor picked, in order, and the draft video made of them.
-- stale names the message whose consent was withdrawn after the compilation was made.
CREATE TABLE message_compilations (
    id            INTEGER PRIMARY KEY,
    call_id       INTEGER NOT NULL REFERENCES message_calls (id) ON DELETE CASCADE,
    video_id      INTEGER REFERENCES videos (id) ON DELETE SET NULL,
    status        TEXT NOT NULL CHECK (status IN ('waiting', 'ready', 'failed')),
    failure       TEXT NOT NULL DEFAULT '',
    stale_message INTEGER,
    created_at    TIMESTAMP NOT NULL
);

CREATE TABLE message_compilation_items (
    compilation_id INTEGER NOT NULL REFERENCES message_compilations (id) ON DELETE CASCADE,
    message_id     INTEGER NOT NULL REFERENCES citizen_messages (id) ON DELETE CASCADE,
    position       INTEGER NOT NULL,
    PRIMARY KEY (compilation_id, message_id)
);
