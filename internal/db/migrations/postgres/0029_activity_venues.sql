-- An activity's venue is kept per language, as the place of signing is (0026): the timeline and
-- calendar of a Korean page name it in Korean. A venue typed before keeps its text under 'und'
-- (no stated language); editors add it per language.
CREATE TABLE activity_venues (
    activity_id BIGINT NOT NULL REFERENCES activities (id) ON DELETE CASCADE,
    lang        TEXT NOT NULL,
    venue       TEXT NOT NULL,
    PRIMARY KEY (activity_id, lang)
);
INSERT INTO activity_venues (activity_id, lang, venue)
    SELECT id, 'und', venue FROM activities WHERE venue <> '';
ALTER TABLE activities DROP COLUMN venue;
