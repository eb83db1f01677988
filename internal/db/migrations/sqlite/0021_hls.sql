-- Adaptive streaming: each rendition is also an HLS stream (a media playlist, an fMP4 init
-- segment and media segments, stored beside its MP4 under keys that start with the playlist's
-- stem), and the master playlist made from these rows says what each stream is. Rows from
-- before have no stream ('' and 0): their videos play as MP4 until processed again.
ALTER TABLE video_renditions ADD COLUMN hls_key TEXT NOT NULL DEFAULT '';
ALTER TABLE video_renditions ADD COLUMN codecs TEXT NOT NULL DEFAULT '';
ALTER TABLE video_renditions ADD COLUMN bandwidth BIGINT NOT NULL DEFAULT 0;
ALTER TABLE video_renditions ADD COLUMN average_bandwidth BIGINT NOT NULL DEFAULT 0;
ALTER TABLE video_renditions ADD COLUMN frame_rate TEXT NOT NULL DEFAULT '';
