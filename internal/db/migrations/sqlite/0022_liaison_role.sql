-- sistercity:no-transaction
-- The partner liaison role. SQLite cannot change a CHECK constraint in place, so the users
-- table is rebuilt as its documented procedure says (sqlite.org/lang_altertable.html, "other
-- kinds of table schema changes"): foreign keys off, so that dropping the old table neither
-- fails nor sets the references of sessions and audit entries to NULL; the copy, the drop and
-- the rename in one transaction; the check of every reference before committing. Running it
-- again copies the table again, which is harmless.
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;
CREATE TABLE users_liaison (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL DEFAULT '',
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'editor', 'translator', 'viewer', 'liaison')),
    locale        TEXT NOT NULL DEFAULT '',
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL
);
INSERT INTO users_liaison (id, username, display_name, password_hash, role, locale, disabled, created_at, updated_at)
    SELECT id, username, display_name, password_hash, role, locale, disabled, created_at, updated_at FROM users;
DROP TABLE users;
ALTER TABLE users_liaison RENAME TO users;
COMMIT;
PRAGMA foreign_keys = ON;
