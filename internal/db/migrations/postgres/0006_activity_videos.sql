-- Videos linked to an exchange activity: the video message of a video-message activity, the
-- recording of a conference. A link goes with either side.
CREATE TABLE activity_videos (
    activity_id BIGINT NOT NULL REFERENCES activities (id) ON DELETE CASCADE,
    video_id    BIGINT NOT NULL REFERENCES videos (id) ON DELETE CASCADE,
    PRIMARY KEY (activity_id, video_id)
);
CREATE INDEX activity_videos_video ON activity_videos (video_id);
