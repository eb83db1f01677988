-- The site's identity, set by an administrator: the city's name and the footer per language
-- (JSON objects from language to text), the accent colours of the light and dark schemes
-- (#rrggbb, '' for the default), and contact links (a JSON array of URLs). One row.
CREATE TABLE site_identity (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    names        TEXT NOT NULL DEFAULT '{}',
    footers      TEXT NOT NULL DEFAULT '{}',
    accent       TEXT NOT NULL DEFAULT '',
    accent_dark  TEXT NOT NULL DEFAULT '',
    contacts     TEXT NOT NULL DEFAULT '[]'
);

-- The logo and the favicon, checked (and an SVG rewritten from what was allowed) before they
-- are kept; small, so they live in the database with everything else a replica needs.
CREATE TABLE site_assets (
    kind         TEXT PRIMARY KEY CHECK (kind IN ('logo', 'favicon')),
    content_type TEXT NOT NULL CHECK (content_type IN ('image/png', 'image/svg+xml')),
    body         BYTEA NOT NULL,
    width        INTEGER NOT NULL,
    height       INTEGER NOT NULL,
    sum          TEXT NOT NULL
);
