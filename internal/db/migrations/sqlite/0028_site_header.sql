-- The header image of the city's ActivityPub actor (as Mastodon and PeerTube show a profile's
-- banner), kept with the logo and favicon; and the city's summary per language (a JSON object
-- from language to text), the actor's summary. SQLite cannot change a CHECK constraint in
-- place, so site_assets is copied into a new table (nothing references it).
ALTER TABLE site_identity ADD COLUMN summaries TEXT NOT NULL DEFAULT '{}';
CREATE TABLE site_assets_header (
    kind         TEXT PRIMARY KEY CHECK (kind IN ('logo', 'favicon', 'header')),
    content_type TEXT NOT NULL CHECK (content_type IN ('image/png', 'image/svg+xml')),
    body         BLOB NOT NULL,
    width        INTEGER NOT NULL,
    height       INTEGER NOT NULL,
    sum          TEXT NOT NULL
);
INSERT INTO site_assets_header (kind, content_type, body, width, height, sum)
    SELECT kind, content_type, body, width, height, sum FROM site_assets;
DROP TABLE site_assets;
ALTER TABLE site_assets_header RENAME TO site_assets;
