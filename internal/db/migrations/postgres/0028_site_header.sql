-- The header image of the city's ActivityPub actor (as Mastodon and PeerTube show a profile's
-- banner), kept with the logo and favicon; and the city's summary per language (a JSON object
-- from language to text), the actor's summary.
ALTER TABLE site_identity ADD COLUMN summaries TEXT NOT NULL DEFAULT '{}';
ALTER TABLE site_assets DROP CONSTRAINT site_assets_kind_check;
ALTER TABLE site_assets ADD CONSTRAINT site_assets_kind_check CHECK (kind IN ('logo', 'favicon', 'header'));
