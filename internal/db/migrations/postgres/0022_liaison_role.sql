-- The partner liaison role: an account bound to one partner city (table liaisons) that reads
-- only the situation reports shared with that city.
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
    CHECK (role IN ('admin', 'editor', 'translator', 'viewer', 'liaison'));
