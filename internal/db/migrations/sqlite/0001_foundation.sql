-- Accounts, sessions and the audit log.
CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL DEFAULT '',
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'editor', 'translator', 'viewer')),
    locale        TEXT NOT NULL DEFAULT '',
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL
);

CREATE TABLE sessions (
    token  TEXT PRIMARY KEY,
    data   BLOB NOT NULL,
    expiry TIMESTAMP NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expiry);

CREATE TABLE login_attempts (
    id  INTEGER PRIMARY KEY,
    key TEXT NOT NULL,
    at  TIMESTAMP NOT NULL
);
CREATE INDEX login_attempts_key_at ON login_attempts (key, at);

CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY,
    at        TIMESTAMP NOT NULL,
    user_id   BIGINT REFERENCES users (id) ON DELETE SET NULL,
    username  TEXT NOT NULL,
    action    TEXT NOT NULL,
    entity    TEXT NOT NULL,
    entity_id BIGINT,
    before    TEXT NOT NULL DEFAULT '',
    after     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id);

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- The partner register.
CREATE TABLE cities (
    id            INTEGER PRIMARY KEY,
    country       TEXT NOT NULL CHECK (length(country) = 2),
    kind          TEXT NOT NULL,
    population    BIGINT CHECK (population >= 0),
    area_km2      REAL CHECK (area_km2 > 0),
    stats_as_of   TEXT,
    founded_on    TEXT,
    founding_note TEXT NOT NULL DEFAULT '',
    city_day_rule TEXT NOT NULL DEFAULT '',
    timezone      TEXT NOT NULL DEFAULT '',
    wikidata      TEXT NOT NULL DEFAULT '',
    version       BIGINT NOT NULL DEFAULT 1,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL
);

CREATE TABLE city_texts (
    city_id     BIGINT NOT NULL REFERENCES cities (id) ON DELETE CASCADE,
    lang        TEXT NOT NULL,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (city_id, lang)
);

CREATE TABLE city_contacts (
    id         INTEGER PRIMARY KEY,
    city_id    BIGINT NOT NULL REFERENCES cities (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    name       TEXT NOT NULL,
    role       TEXT NOT NULL DEFAULT '',
    department TEXT NOT NULL DEFAULT '',
    email      TEXT NOT NULL DEFAULT '',
    phone      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX city_contacts_city ON city_contacts (city_id);

CREATE TABLE partnerships (
    id                  INTEGER PRIMARY KEY,
    home_city_id        BIGINT NOT NULL REFERENCES cities (id),
    partner_city_id     BIGINT NOT NULL REFERENCES cities (id),
    type                TEXT NOT NULL CHECK (type IN ('sister', 'friendship', 'exchange_mou')),
    signed_on           TEXT,
    signed_at           TEXT NOT NULL DEFAULT '',
    council_approved_on TEXT,
    council_note        TEXT NOT NULL DEFAULT '',
    status              TEXT NOT NULL CHECK (status IN ('active', 'dormant', 'upgraded', 'ended')),
    note                TEXT NOT NULL DEFAULT '',
    version             BIGINT NOT NULL DEFAULT 1,
    created_at          TIMESTAMP NOT NULL,
    updated_at          TIMESTAMP NOT NULL,
    CHECK (home_city_id <> partner_city_id),
    UNIQUE (home_city_id, partner_city_id, type)
);
CREATE INDEX partnerships_partner ON partnerships (partner_city_id);

CREATE TABLE partnership_signatories (
    id             INTEGER PRIMARY KEY,
    partnership_id BIGINT NOT NULL REFERENCES partnerships (id) ON DELETE CASCADE,
    position       INTEGER NOT NULL,
    side           TEXT NOT NULL CHECK (side IN ('home', 'partner')),
    name           TEXT NOT NULL,
    title          TEXT NOT NULL DEFAULT ''
);
CREATE INDEX partnership_signatories_p ON partnership_signatories (partnership_id);

CREATE TABLE partnership_areas (
    partnership_id BIGINT NOT NULL REFERENCES partnerships (id) ON DELETE CASCADE,
    area           TEXT NOT NULL,
    PRIMARY KEY (partnership_id, area)
);

CREATE TABLE partnership_status_history (
    id             INTEGER PRIMARY KEY,
    partnership_id BIGINT NOT NULL REFERENCES partnerships (id) ON DELETE CASCADE,
    status         TEXT NOT NULL,
    changed_on     TEXT NOT NULL,
    reason         TEXT NOT NULL DEFAULT '',
    recorded_at    TIMESTAMP NOT NULL,
    user_id        BIGINT REFERENCES users (id) ON DELETE SET NULL
);
CREATE INDEX partnership_status_history_p ON partnership_status_history (partnership_id);

CREATE TABLE partnership_documents (
    id             INTEGER PRIMARY KEY,
    partnership_id BIGINT NOT NULL REFERENCES partnerships (id) ON DELETE CASCADE,
    title          TEXT NOT NULL,
    filename       TEXT NOT NULL,
    content_type   TEXT NOT NULL,
    size           BIGINT NOT NULL,
    sha256         TEXT NOT NULL,
    storage_key    TEXT NOT NULL UNIQUE,
    uploaded_at    TIMESTAMP NOT NULL,
    user_id        BIGINT REFERENCES users (id) ON DELETE SET NULL
);
CREATE INDEX partnership_documents_p ON partnership_documents (partnership_id);

CREATE TABLE partnership_date_claims (
    id             INTEGER PRIMARY KEY,
    partnership_id BIGINT NOT NULL REFERENCES partnerships (id) ON DELETE CASCADE,
    city_id        BIGINT NOT NULL REFERENCES cities (id),
    claimed_on     TEXT NOT NULL,
    source         TEXT NOT NULL,
    UNIQUE (partnership_id, city_id)
);
