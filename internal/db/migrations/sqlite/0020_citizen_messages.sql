-- Citizens' messages (issue 18). A call for messages belongs to an activity (a campaign); its
-- texts and consent wordings are per language, the wordings versioned: a message keeps the
-- exact wording, language and version each consent was given under. The sender's e-mail is
-- kept apart from the message and deleted when the call's retention ends. A sender reaches
-- their message by a private link whose token is stored only as a hash.
CREATE TABLE message_calls (
    id                INTEGER PRIMARY KEY,
    activity_id       INTEGER NOT NULL REFERENCES activities (id) ON DELETE CASCADE,
    opens_on          TEXT NOT NULL,
    closes_on         TEXT NOT NULL,
    accepts_photo     BOOLEAN NOT NULL DEFAULT FALSE,
    max_photo_bytes   INTEGER NOT NULL DEFAULT 5242880,
    retention_days    INTEGER NOT NULL DEFAULT 365,
    consent_version   INTEGER NOT NULL DEFAULT 1,
    version           INTEGER NOT NULL DEFAULT 1,
    created_at        TIMESTAMP NOT NULL,
    updated_at        TIMESTAMP NOT NULL
);

CREATE TABLE message_call_texts (
    call_id    INTEGER NOT NULL REFERENCES message_calls (id) ON DELETE CASCADE,
    lang       TEXT NOT NULL,
    title      TEXT NOT NULL,
    invitation TEXT NOT NULL DEFAULT '',
    rules      TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (call_id, lang)
);

-- purpose: publish (on the site), video (in the compiled video), partner (shared with the
-- partner city).
CREATE TABLE message_call_consents (
    call_id   INTEGER NOT NULL REFERENCES message_calls (id) ON DELETE CASCADE,
    version   INTEGER NOT NULL,
    lang      TEXT NOT NULL,
    purpose   TEXT NOT NULL CHECK (purpose IN ('publish', 'video', 'partner')),
    wording   TEXT NOT NULL,
    PRIMARY KEY (call_id, version, lang, purpose)
);

CREATE TABLE message_call_cities (
    call_id INTEGER NOT NULL REFERENCES message_calls (id) ON DELETE CASCADE,
    city_id INTEGER NOT NULL REFERENCES cities (id) ON DELETE CASCADE,
    PRIMARY KEY (call_id, city_id)
);

CREATE TABLE citizen_messages (
    id          INTEGER PRIMARY KEY,
    call_id     INTEGER NOT NULL REFERENCES message_calls (id) ON DELETE CASCADE,
    name        TEXT NOT NULL DEFAULT '',
    city        TEXT NOT NULL DEFAULT '',
    lang        TEXT NOT NULL,
    body        TEXT NOT NULL,
    photo_key   TEXT NOT NULL DEFAULT '',
    status      TEXT NOT NULL CHECK (status IN ('waiting', 'approved', 'rejected', 'withdrawn')),
    reason      TEXT NOT NULL DEFAULT '',
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  TIMESTAMP NOT NULL,
    decided_at  TIMESTAMP
);
CREATE INDEX citizen_messages_call ON citizen_messages (call_id, status, created_at);

CREATE TABLE citizen_message_consents (
    message_id INTEGER NOT NULL REFERENCES citizen_messages (id) ON DELETE CASCADE,
    purpose    TEXT NOT NULL CHECK (purpose IN ('publish', 'video', 'partner')),
    version    INTEGER NOT NULL,
    lang       TEXT NOT NULL,
    wording    TEXT NOT NULL,
    given_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (message_id, purpose)
);

CREATE TABLE citizen_message_translations (
    message_id INTEGER NOT NULL REFERENCES citizen_messages (id) ON DELETE CASCADE,
    lang       TEXT NOT NULL,
    body       TEXT NOT NULL DEFAULT '',
    state      TEXT NOT NULL CHECK (state IN ('requested', 'done')),
    PRIMARY KEY (message_id, lang)
);

CREATE TABLE citizen_message_contacts (
    message_id   INTEGER PRIMARY KEY REFERENCES citizen_messages (id) ON DELETE CASCADE,
    email        TEXT NOT NULL,
    delete_after TIMESTAMP NOT NULL
);

-- Proof-of-work challenges already used, until they expire: a solution is good once.
CREATE TABLE altcha_spent (
    signature  TEXT PRIMARY KEY,
    expires_at TIMESTAMP NOT NULL
);
