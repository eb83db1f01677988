-- Renditions are recorded one stage at a time (the lowest first, so that a video is watchable
-- minutes sooner, then the rest), each with the source it was made from: a processing run that
-- resumes after a crash keeps the renditions already made from the same source and encodes only
-- the others, and renditions of a replaced source never count as the video's. Rows from before
-- belong to the source of a video whose processing is ready.
ALTER TABLE video_renditions ADD COLUMN source_key TEXT NOT NULL DEFAULT '';
UPDATE video_renditions SET source_key = (SELECT v.source_key FROM videos v WHERE v.id = video_renditions.video_id)
    WHERE video_id IN (SELECT id FROM videos WHERE processing = 'ready');
