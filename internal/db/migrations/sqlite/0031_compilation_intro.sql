-- Citizens' messages (issue 18): a compilation may begin with an intro and end with an outro,
-- processed videos of the office's own that the editor picks; each becomes a chapter. A video
-- deleted since leaves its compilation without it.
ALTER TABLE message_compilations ADD COLUMN intro_video_id INTEGER REFERENCES videos (id) ON DELETE SET NULL;
ALTER TABLE message_compilations ADD COLUMN outro_video_id INTEGER REFERENCES videos (id) ON DELETE SET NULL;
