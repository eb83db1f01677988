-- The e-mail a rejected citizen's message's sender may be sent with the reason (issue 18):
-- mail_status is '' (none asked), queued, retrying (a temporary refusal, tried again), sent,
-- failed (refused for good, or tried too often) or unsent (the address was deleted or the
-- message withdrawn before it went). mail_token_hash is the hash of the status link the mail
-- carries, a second link beside the one shown when the message was sent (whose token is kept
-- only as a hash and so cannot be mailed again).
ALTER TABLE citizen_messages ADD COLUMN mail_status TEXT NOT NULL DEFAULT ''
    CHECK (mail_status IN ('', 'queued', 'retrying', 'sent', 'failed', 'unsent'));
ALTER TABLE citizen_messages ADD COLUMN mail_token_hash TEXT;
CREATE UNIQUE INDEX citizen_messages_mail_token ON citizen_messages (mail_token_hash);
