package messages

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"fmt"
	"time"

	"sistercity/internal/db"
	"sistercity/internal/video"
)

// A video message's video is an ordinary video in state draft that the pipeline probes and
// encodes like any other: a file that is not a video fails its processing and cannot be
// approved. The sender uploads its source once, through the admin's resumable upload, with a
// capability that names this one message and is spent when the upload begins.

// ErrVideoTooLong is a message whose video is longer than its call allows.
var ErrVideoTooLong = fmt.Errorf("messages: video too long")

// ErrVideoNotReady is a message whose video is not (yet) processed: it cannot be approved.
var ErrVideoNotReady = fmt.Errorf("messages: video not processed")

// AddVideo makes the draft video of message m, titled title in the sender's language, and
// returns the upload capability, shown once.
func AddVideo(ctx context.Context, tx *sql.Tx, m *Message, title string) (string, error) {
	v := &video.Video{OriginalLang: m.Lang, State: video.StateDraft, Texts: []video.Text{{Lang: m.Lang, Title: title}}}
	v.Normalize()
	if err := video.Create(ctx, tx, v); err != nil {
		return "", err
	}
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	token := base64.RawURLEncoding.EncodeToString(b[:])
	if _, err := tx.ExecContext(ctx, "UPDATE citizen_messages SET video_id = $1, upload_token_hash = $2 WHERE id = $3",
		v.ID, hashToken(token), m.ID); err != nil {
		return "", fmt.Errorf("messages: video of %d: %w", m.ID, err)
	}
	m.VideoID = v.ID
	return token, nil
}

// ByUploadToken returns the waiting message whose upload capability is token.
func ByUploadToken(ctx context.Context, q db.Querier, token string) (*Message, error) {
	if len(token) != 32 {
		return nil, fmt.Errorf("messages: upload token: %w", db.ErrNotFound)
	}
	m, err := scanMessage(q.QueryRowContext(ctx, "SELECT "+messageColumns+" FROM citizen_messages WHERE upload_token_hash = $1 AND status = $2",
		hashToken(token), StatusWaiting))
	if err != nil {
		return nil, db.NotFound(err, "messages: by upload token")
	}
	return m, nil
}

// SpendUploadToken forgets message id's upload capability: it served once.
func SpendUploadToken(ctx context.Context, tx *sql.Tx, id int64) error {
	if _, err := tx.ExecContext(ctx, "UPDATE citizen_messages SET upload_token_hash = NULL WHERE id = $1", id); err != nil {
		return fmt.Errorf("messages: spend upload token of %d: %w", id, err)
	}
	return nil
}

// ByVideo returns the message whose video is videoID.
func ByVideo(ctx context.Context, q db.Querier, videoID int64) (*Message, error) {
	m, err := scanMessage(q.QueryRowContext(ctx, "SELECT "+messageColumns+" FROM citizen_messages WHERE video_id = $1", videoID))
	if err != nil {
		return nil, db.NotFound(err, fmt.Sprintf("messages: by video %d", videoID))
	}
	return m, loadMessageParts(ctx, q, []*Message{m})
}

// CheckVideo tells whether message m's video may be approved under call c: processed, and no
// longer than the call allows. A message without a video passes.
func CheckVideo(ctx context.Context, q db.Querier, c *Call, m *Message) error {
	if m.VideoID == 0 {
		return nil
	}
	v, err := video.Get(ctx, q, m.VideoID)
	if err != nil {
		return err
	}
	if !v.Processed() {
		return ErrVideoNotReady
	}
	if v.Duration > c.MaxVideoDuration() {
		return ErrVideoTooLong
	}
	return nil
}

// dropVideo deletes message id's video (its rows; the caller deletes its files, see
// video.DeleteFiles) and returns its id, 0 when it had none.
func dropVideo(ctx context.Context, tx *sql.Tx, m *Message) (int64, error) {
	if m.VideoID == 0 {
		return 0, nil
	}
	if _, err := tx.ExecContext(ctx, "UPDATE citizen_messages SET video_id = NULL, upload_token_hash = NULL WHERE id = $1", m.ID); err != nil {
		return 0, fmt.Errorf("messages: drop video of %d: %w", m.ID, err)
	}
	if err := video.Delete(ctx, tx, m.VideoID); err != nil {
		return 0, err
	}
	return m.VideoID, nil
}

// RestoreUploadToken gives message id its upload capability back, when the upload it began
// was refused.
func RestoreUploadToken(ctx context.Context, tx *sql.Tx, id int64, token string) error {
	if _, err := tx.ExecContext(ctx, "UPDATE citizen_messages SET upload_token_hash = $1 WHERE id = $2 AND video_id IS NOT NULL", hashToken(token), id); err != nil {
		return fmt.Errorf("messages: restore upload token of %d: %w", id, err)
	}
	return nil
}

// MaxVideoDuration is the longest video message c accepts: its limit, and half a second for
// containers that round their duration up.
func (c *Call) MaxVideoDuration() time.Duration {
	return time.Duration(c.videoSeconds())*time.Second + 500*time.Millisecond
}

// UploadTokenHash is what is kept of an upload capability.
func UploadTokenHash(token string) string { return hashToken(token) }

// RestoreUploadHash gives message id back the upload capability whose hash is hash
// (UploadTokenHash), when the file it brought was refused: the sender may choose another.
func RestoreUploadHash(ctx context.Context, tx *sql.Tx, id int64, hash string) error {
	if _, err := tx.ExecContext(ctx, "UPDATE citizen_messages SET upload_token_hash = $1 WHERE id = $2 AND video_id IS NOT NULL AND status = $3",
		hash, id, StatusWaiting); err != nil {
		return fmt.Errorf("messages: restore upload capability of %d: %w", id, err)
	}
	return nil
}
