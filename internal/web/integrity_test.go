package web

import (
	"context"
	"database/sql"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"sistercity/internal/auth"
	"sistercity/internal/video"
)

// setVideoState moves video id to state, as an editor would.
func (e *testEnv) setVideoState(id int64, state string) {
	e.t.Helper()
	ctx := context.Background()
	e.inTx(func(tx *sql.Tx) error {
		v, err := video.Get(ctx, tx, id)
		if err != nil {
			return err
		}
		return video.SetState(ctx, tx, v, state, time.Now())
	})
}

var publicMediaRe = regexp.MustCompile(`/media/videos/\d+/[^"'\s<>]+`)

// An upload created while a processed video is in review cannot replace its source once the
// video is published: the rest of the upload is refused with the reason in the uploader's
// language, and the public watch page keeps serving the published renditions.
func TestUploadRefusedAfterPublicationKeepsRenditions(t *testing.T) {
	e := newUploadEnv(t, nil)
	v := seedVideo(t, e, nil, video.StateDraft, ruOnly)
	e.setVideoState(v.ID, video.StateInReview)
	editor := e.userClient(auth.RoleEditor)
	editor.lang = "ru"
	tc := editor.tus()
	_, data := testClip(t, 2*time.Second)
	path := tc.mustCreate(v.ID, len(data))
	off := tc.patch(path, 0, data[:len(data)/2])

	e.setVideoState(v.ID, video.StatePublished)
	resp, body := tc.do("PATCH", path, map[string]string{"Upload-Offset": strconv.Itoa(off),
		"Content-Type": "application/offset+octet-stream"}, data[off:])
	if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "снимите видео с публикации") {
		t.Fatalf("the rest of the upload after the publication: %d %q, want 409 with the reason", resp.StatusCode, body)
	}
	if resp, _ := tc.do("HEAD", path, nil, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("HEAD of the refused upload: %d, want 404 (deleted)", resp.StatusCode)
	}
	got, err := video.Get(context.Background(), e.db.R, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.SourceKey != v.SourceKey || got.Processing != video.ProcReady || len(got.Renditions) != len(v.Renditions) {
		t.Fatalf("the published video changed: source %q → %q, processing %s, %d renditions", v.SourceKey, got.SourceKey, got.Processing, len(got.Renditions))
	}

	// The public watch page and every media URL on it answer.
	anon := e.client()
	resp, page := anon.get("/ru/videos/" + itoa64(v.ID))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("watch page: %d", resp.StatusCode)
	}
	urls := publicMediaRe.FindAllString(page, -1)
	if len(urls) < 2 {
		t.Fatalf("the watch page links %d media files: %q", len(urls), urls)
	}
	for _, u := range urls {
		if resp, _ := anon.get(u); resp.StatusCode != http.StatusOK {
			t.Errorf("%s: %d, want 200", u, resp.StatusCode)
		}
	}
	// A new upload is refused at once, saying how to replace the file.
	if resp, body := tc.create(v.ID, len(data)); resp.StatusCode != http.StatusConflict || !strings.Contains(body, "верните его в черновик") {
		t.Errorf("new upload for the published video: %d %q", resp.StatusCode, body)
	}
}
