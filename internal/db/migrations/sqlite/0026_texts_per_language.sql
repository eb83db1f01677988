-- Texts people type that the public site shows, kept per language as video_texts keeps a
-- video's title: the place an agreement was signed, signatories and their titles, and the
-- reasons given for a change of status. A value typed before this migration keeps its text
-- under the tag 'und' (no stated language): partnerships and status changes have no language
-- of their own, and guessing one from the script would call a Latin place name English. Pages
-- mark an 'und' text by the script it is written in; editors add the texts per language.
CREATE TABLE partnership_texts (
    partnership_id BIGINT NOT NULL REFERENCES partnerships (id) ON DELETE CASCADE,
    lang           TEXT NOT NULL,
    signed_at      TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (partnership_id, lang)
);
INSERT INTO partnership_texts (partnership_id, lang, signed_at)
    SELECT id, 'und', signed_at FROM partnerships WHERE signed_at <> '';
ALTER TABLE partnerships DROP COLUMN signed_at;

-- A signatory is one row per language at the same position (name and title in that language).
ALTER TABLE partnership_signatories ADD COLUMN lang TEXT NOT NULL DEFAULT 'und';

CREATE TABLE partnership_status_reasons (
    history_id BIGINT NOT NULL REFERENCES partnership_status_history (id) ON DELETE CASCADE,
    lang       TEXT NOT NULL,
    reason     TEXT NOT NULL,
    PRIMARY KEY (history_id, lang)
);
INSERT INTO partnership_status_reasons (history_id, lang, reason)
    SELECT id, 'und', reason FROM partnership_status_history WHERE reason <> '';
ALTER TABLE partnership_status_history DROP COLUMN reason;

CREATE TABLE activity_status_reasons (
    history_id BIGINT NOT NULL REFERENCES activity_status_history (id) ON DELETE CASCADE,
    lang       TEXT NOT NULL,
    reason     TEXT NOT NULL,
    PRIMARY KEY (history_id, lang)
);
INSERT INTO activity_status_reasons (history_id, lang, reason)
    SELECT id, 'und', reason FROM activity_status_history WHERE reason <> '';
ALTER TABLE activity_status_history DROP COLUMN reason;

-- Tags are a small vocabulary: the slug stays in addresses (/ko/videos?tag=covid19) and in
-- video_tags, each language has its label. Existing tags become entries without labels; a page
-- shows the slug, marked by its script, until an editor gives them.
CREATE TABLE tags (
    slug TEXT PRIMARY KEY
);
CREATE TABLE tag_labels (
    slug  TEXT NOT NULL REFERENCES tags (slug) ON DELETE CASCADE,
    lang  TEXT NOT NULL,
    label TEXT NOT NULL,
    PRIMARY KEY (slug, lang)
);
INSERT INTO tags (slug) SELECT DISTINCT tag FROM video_tags;
