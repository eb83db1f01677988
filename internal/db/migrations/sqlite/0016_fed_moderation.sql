-- Federation moderation. A domain block covers a host (and, with subdomains, every host under
-- it); severity reject refuses everything from it and removed what it had delivered when the
-- block was made, silence keeps its follows but leaves its replies out of the admin's default
-- list and its likes and boosts out of the counts (Mastodon's "limit"). An actor block is a
-- reject of one remote actor. note is the office's own, never sent anywhere.
CREATE TABLE fed_domain_blocks (
    domain     TEXT PRIMARY KEY,
    subdomains BOOLEAN NOT NULL DEFAULT FALSE,
    severity   TEXT NOT NULL CHECK (severity IN ('reject', 'silence')),
    note       TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE fed_actor_blocks (
    actor_id   TEXT PRIMARY KEY,
    note       TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL
);
