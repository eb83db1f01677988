-- Planned is not public: activities and the milestones an editor keeps are either internal
-- (the office's own planning) or public (the public site, its feeds and calendars). What is
-- still only planned stays internal; everything already stored was public before, and stays so.
ALTER TABLE activities ADD COLUMN visibility TEXT NOT NULL DEFAULT 'public'
    CHECK (visibility IN ('internal', 'public'));
UPDATE activities SET visibility = 'internal' WHERE status = 'planned';
ALTER TABLE milestones ADD COLUMN visibility TEXT NOT NULL DEFAULT 'public'
    CHECK (visibility IN ('internal', 'public'));
