-- What a partner's instance withdrew (issue 14, item 3): deliveries may arrive out of order,
-- and a Create or Update sent before a Delete but arriving after it must not bring the report
-- back. The row keeps the time of the withdrawal on the partner's clock; only a version of the
-- report newer than it (shared again) is stored, and ends the row.
CREATE TABLE received_report_deletions (
    remote_id    TEXT PRIMARY KEY,
    remote_actor TEXT NOT NULL,
    deleted_at   TIMESTAMP NOT NULL
);
