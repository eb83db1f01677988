-- Situation reports shared privately between partner cities (issue 14): a situation (COVID-19)
-- with its chosen metrics; reports of a city with their metric values (named as in Our World
-- in Data), bed-capacity rows by EDXL-HAVE 1.0 bed type, texts per language, the activities
-- where they were discussed, the partnerships they are shared with, and their status history.
CREATE TABLE situations (
    id         INTEGER PRIMARY KEY,
    key        TEXT NOT NULL UNIQUE,
    metrics    TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE situation_names (
    situation_id BIGINT NOT NULL REFERENCES situations (id) ON DELETE CASCADE,
    lang         TEXT NOT NULL,
    name         TEXT NOT NULL,
    PRIMARY KEY (situation_id, lang)
);

CREATE TABLE reports (
    id           INTEGER PRIMARY KEY,
    situation_id BIGINT NOT NULL REFERENCES situations (id),
    city_id      BIGINT NOT NULL REFERENCES cities (id),
    as_of        TEXT NOT NULL,
    period_start TEXT NOT NULL,
    period_end   TEXT NOT NULL,
    source_org   TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL CHECK (status IN ('draft', 'shared', 'withdrawn')),
    demo         INTEGER NOT NULL DEFAULT 0,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL
);
CREATE INDEX reports_city ON reports (city_id, as_of);

CREATE TABLE report_texts (
    report_id BIGINT NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    lang      TEXT NOT NULL,
    measures  TEXT NOT NULL DEFAULT '',
    follow_up TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (report_id, lang)
);

CREATE TABLE report_values (
    report_id BIGINT NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    day       TEXT NOT NULL,
    metric    TEXT NOT NULL,
    value     REAL NOT NULL,
    PRIMARY KEY (report_id, day, metric)
);

CREATE TABLE report_beds (
    report_id  BIGINT NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    bed_type   TEXT NOT NULL,
    unit       TEXT NOT NULL CHECK (unit IN ('beds', 'rooms')),
    baseline   BIGINT NOT NULL CHECK (baseline >= 0),
    available  BIGINT NOT NULL CHECK (available >= 0),
    occupied   BIGINT NOT NULL CHECK (occupied >= 0),
    add_24h    BIGINT NOT NULL DEFAULT 0 CHECK (add_24h >= 0),
    add_72h    BIGINT NOT NULL DEFAULT 0 CHECK (add_72h >= 0),
    status     TEXT NOT NULL CHECK (status IN ('available', 'not_available')),
    PRIMARY KEY (report_id, bed_type)
);

CREATE TABLE report_activities (
    report_id   BIGINT NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    activity_id BIGINT NOT NULL REFERENCES activities (id) ON DELETE CASCADE,
    PRIMARY KEY (report_id, activity_id)
);

CREATE TABLE report_shares (
    report_id      BIGINT NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    partnership_id BIGINT NOT NULL REFERENCES partnerships (id) ON DELETE CASCADE,
    PRIMARY KEY (report_id, partnership_id)
);

CREATE TABLE report_history (
    id         INTEGER PRIMARY KEY,
    report_id  BIGINT NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    status     TEXT NOT NULL,
    changed_at TIMESTAMP NOT NULL,
    user_id    BIGINT REFERENCES users (id) ON DELETE SET NULL
);

-- A partner liaison account reads only what is shared with the one partner city it is
-- bound to.
CREATE TABLE liaisons (
    user_id BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    city_id BIGINT NOT NULL REFERENCES cities (id) ON DELETE CASCADE
);

-- The demo's situation and the first anyone needs: COVID-19, with OWID's usual metrics.
INSERT INTO situations (key, metrics, created_at) VALUES ('covid-19',
    'total_cases,new_cases,total_deaths,new_deaths,hosp_patients,icu_patients,total_tests,new_tests,positive_rate,total_vaccinations',
    CURRENT_TIMESTAMP);
INSERT INTO situation_names (situation_id, lang, name)
    SELECT id, 'en', 'COVID-19' FROM situations WHERE key = 'covid-19';
INSERT INTO situation_names (situation_id, lang, name)
    SELECT id, 'ko', '코로나19' FROM situations WHERE key = 'covid-19';
INSERT INTO situation_names (situation_id, lang, name)
    SELECT id, 'ru', 'COVID-19' FROM situations WHERE key = 'covid-19';
