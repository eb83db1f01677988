-- Situation reports received from a partner city's own instance (issue 14, item 3): kept in
-- the reports table, so that the pages, exports and charts read them as any report, with the
-- id of the partner's object and the actor that sent it. Both are NULL for the office's own
-- reports; a received report is read by staff only and never edited here.
ALTER TABLE reports ADD COLUMN remote_id TEXT;
ALTER TABLE reports ADD COLUMN remote_actor TEXT;
CREATE UNIQUE INDEX reports_remote ON reports (remote_id) WHERE remote_id IS NOT NULL;
