-- The exchange programme: activities linked to partnerships, with their texts per language,
-- participants, dates with time zones, status history, topics, minutes and checklists.
-- A moment is stored three ways: the local date (_on, always set when known), the UTC instant
-- (_at, NULL for an all-day entry) and the IANA zone it was given in (_tz).
CREATE TABLE activities (
    id               INTEGER PRIMARY KEY,
    kind             TEXT NOT NULL CHECK (kind IN ('outbound_visit', 'inbound_delegation', 'cultural_event',
                         'video_conference', 'video_message', 'campaign', 'business', 'youth', 'sports')),
    parent_id        BIGINT REFERENCES activities (id) ON DELETE SET NULL,
    organiser_kind   TEXT NOT NULL CHECK (organiser_kind IN ('city', 'foundation', 'other')),
    organiser_name   TEXT NOT NULL DEFAULT '',
    venue            TEXT NOT NULL DEFAULT '',
    mode             TEXT NOT NULL CHECK (mode IN ('in_person', 'online', 'hybrid')),
    first_mode       TEXT NOT NULL CHECK (first_mode IN ('in_person', 'online', 'hybrid')),
    status           TEXT NOT NULL CHECK (status IN ('planned', 'confirmed', 'held', 'postponed', 'cancelled', 'switched_online')),
    planned_start_on TEXT NOT NULL,
    planned_start_at TIMESTAMP,
    planned_start_tz TEXT NOT NULL DEFAULT '',
    planned_end_on   TEXT,
    planned_end_at   TIMESTAMP,
    planned_end_tz   TEXT NOT NULL DEFAULT '',
    actual_start_on  TEXT,
    actual_start_at  TIMESTAMP,
    actual_start_tz  TEXT NOT NULL DEFAULT '',
    actual_end_on    TEXT,
    actual_end_at    TIMESTAMP,
    actual_end_tz    TEXT NOT NULL DEFAULT '',
    version          BIGINT NOT NULL DEFAULT 1,
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL,
    CHECK (parent_id IS NULL OR parent_id <> id)
);
CREATE INDEX activities_parent ON activities (parent_id);
CREATE INDEX activities_planned_start ON activities (planned_start_on);

CREATE TABLE activity_texts (
    activity_id BIGINT NOT NULL REFERENCES activities (id) ON DELETE CASCADE,
    lang        TEXT NOT NULL,
    title       TEXT NOT NULL DEFAULT '',
    summary     TEXT NOT NULL DEFAULT '',
    outcomes    TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (activity_id, lang)
);

CREATE TABLE activity_partnerships (
    activity_id    BIGINT NOT NULL REFERENCES activities (id) ON DELETE CASCADE,
    partnership_id BIGINT NOT NULL REFERENCES partnerships (id) ON DELETE CASCADE,
    PRIMARY KEY (activity_id, partnership_id)
);
CREATE INDEX activity_partnerships_p ON activity_partnerships (partnership_id);

CREATE TABLE activity_participants (
    id           INTEGER PRIMARY KEY,
    activity_id  BIGINT NOT NULL REFERENCES activities (id) ON DELETE CASCADE,
    position     INTEGER NOT NULL,
    name         TEXT NOT NULL,
    role         TEXT NOT NULL DEFAULT '',
    organisation TEXT NOT NULL DEFAULT ''
);
CREATE INDEX activity_participants_a ON activity_participants (activity_id);

CREATE TABLE activity_topics (
    activity_id BIGINT NOT NULL REFERENCES activities (id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    topic       TEXT NOT NULL,
    PRIMARY KEY (activity_id, position)
);

CREATE TABLE activity_status_history (
    id          INTEGER PRIMARY KEY,
    activity_id BIGINT NOT NULL REFERENCES activities (id) ON DELETE CASCADE,
    status      TEXT NOT NULL,
    changed_on  TEXT NOT NULL,
    reason      TEXT NOT NULL DEFAULT '',
    recorded_at TIMESTAMP NOT NULL,
    user_id     BIGINT REFERENCES users (id) ON DELETE SET NULL
);
CREATE INDEX activity_status_history_a ON activity_status_history (activity_id);

CREATE TABLE activity_documents (
    id           INTEGER PRIMARY KEY,
    activity_id  BIGINT NOT NULL REFERENCES activities (id) ON DELETE CASCADE,
    title        TEXT NOT NULL,
    filename     TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         BIGINT NOT NULL,
    sha256       TEXT NOT NULL,
    storage_key  TEXT NOT NULL UNIQUE,
    uploaded_at  TIMESTAMP NOT NULL,
    user_id      BIGINT REFERENCES users (id) ON DELETE SET NULL
);
CREATE INDEX activity_documents_a ON activity_documents (activity_id);

CREATE TABLE activity_checklist (
    id               INTEGER PRIMARY KEY,
    activity_id      BIGINT NOT NULL REFERENCES activities (id) ON DELETE CASCADE,
    item             TEXT NOT NULL CHECK (item IN ('programme', 'interpretation', 'gifts', 'press', 'dietary',
                         'accommodation', 'custom')),
    label            TEXT NOT NULL DEFAULT '',
    assignee_user_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    assignee_name    TEXT NOT NULL DEFAULT '',
    due_on           TEXT,
    done             INTEGER NOT NULL DEFAULT 0 CHECK (done IN (0, 1)),
    version          BIGINT NOT NULL DEFAULT 1,
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL
);
CREATE INDEX activity_checklist_a ON activity_checklist (activity_id);
