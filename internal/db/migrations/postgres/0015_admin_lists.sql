-- The audit log filtered by who and when, newest first (the admin's audit page).
CREATE INDEX audit_log_user ON audit_log (user_id, id);
CREATE INDEX audit_log_at ON audit_log (at);

-- sc_fold folds case for the admin lists' search; SQLite's is registered by the application
-- (internal/db/search.go), so one query serves both databases.
CREATE OR REPLACE FUNCTION sc_fold(text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS 'SELECT lower($1)';
