-- The run of a video's processing that holds the video (processing_run) and when it last said it
-- was alive (heartbeat_at). A run that stops beating (its process was killed) is taken over after
-- a few missed beats; a run that lost its hold records nothing.
ALTER TABLE videos ADD COLUMN processing_run TEXT NOT NULL DEFAULT '';
ALTER TABLE videos ADD COLUMN heartbeat_at TIMESTAMPTZ;
