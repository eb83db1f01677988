-- The audit log filtered by who and when, newest first (the admin's audit page).
CREATE INDEX audit_log_user ON audit_log (user_id, id);
CREATE INDEX audit_log_at ON audit_log (at);
