-- Milestones kept by hand. Partnership, founding and city-day anniversaries are derived from the
-- register and not stored; what is stored are the anniversaries of diplomatic relations between
-- countries and the milestones an editor adds.
CREATE TABLE diplomatic_relations (
    id             INTEGER PRIMARY KEY,
    country_a      TEXT NOT NULL CHECK (length(country_a) = 2),
    country_b      TEXT NOT NULL CHECK (length(country_b) = 2),
    established_on TEXT NOT NULL,
    note           TEXT NOT NULL DEFAULT '',
    version        BIGINT NOT NULL DEFAULT 1,
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL,
    CHECK (country_a < country_b),
    UNIQUE (country_a, country_b)
);

CREATE TABLE milestones (
    id             INTEGER PRIMARY KEY,
    on_date        TEXT NOT NULL,
    yearly         INTEGER NOT NULL DEFAULT 0 CHECK (yearly IN (0, 1)),
    partnership_id BIGINT REFERENCES partnerships (id) ON DELETE CASCADE,
    version        BIGINT NOT NULL DEFAULT 1,
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL
);
CREATE INDEX milestones_partnership ON milestones (partnership_id);

CREATE TABLE milestone_texts (
    milestone_id BIGINT NOT NULL REFERENCES milestones (id) ON DELETE CASCADE,
    lang         TEXT NOT NULL,
    title        TEXT NOT NULL,
    note         TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (milestone_id, lang)
);
