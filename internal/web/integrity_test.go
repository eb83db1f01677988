package web

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"sistercity/internal/auth"
	"sistercity/internal/jobs/jobstest"
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
	t.Parallel()
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

// processingVideo is a draft video with a source whose processing run last beat at beat.
func (e *testEnv) processingVideo(beat time.Time) int64 {
	e.t.Helper()
	ctx := context.Background()
	v := &video.Video{OriginalLang: "ru", State: video.StateDraft, Texts: []video.Text{ruOnly}}
	v.Normalize()
	e.inTx(func(tx *sql.Tx) error {
		if err := video.Create(ctx, tx, v); err != nil {
			return err
		}
		key := video.SourceKey(v.ID, "clip.mp4")
		if err := e.srv.docs.Put(ctx, key, strings.NewReader("a source")); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE videos SET source_key = $1, processing = $2, progress = 40,
			processing_run = 'killed-job/1', heartbeat_at = $3 WHERE id = $4`, key, video.ProcProcessing, beat.UTC(), v.ID)
		return err
	})
	return v.ID
}

// An encode whose process was killed stops beating; its edit page says so and offers to
// process the video again now, which queues a new job at once (the killed job still counts as
// running in the queue). A run that beats is not taken over.
func TestProcessAgainTakesOverStalledRun(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	editor := e.userClient(auth.RoleEditor)
	ctx := context.Background()
	stalled := e.processingVideo(fixedNow.Add(-10 * time.Minute))
	live := e.processingVideo(fixedNow.Add(-10 * time.Second))

	_, body := editor.get("/admin/videos/" + itoa64(stalled))
	if !strings.Contains(body, `action="/admin/videos/`+itoa64(stalled)+`/reprocess"`) || !strings.Contains(body, "has not reported for several minutes") {
		t.Errorf("the edit page of a stalled encode does not offer to process it again")
	}
	_, body = editor.get("/admin/videos/" + itoa64(live))
	if strings.Contains(body, `/reprocess"`) {
		t.Errorf("the edit page of a live encode offers to process it again")
	}
	editor.lang = "ru"
	if resp, body := editor.post("/admin/videos/"+itoa64(live)+"/reprocess", nil); resp.StatusCode != http.StatusConflict ||
		!strings.Contains(body, "ещё обрабатывается") {
		t.Errorf("process again while the encode beats: %d", resp.StatusCode)
	}
	if resp, _ := editor.post("/admin/videos/"+itoa64(stalled)+"/reprocess", nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("process again a stalled encode: %d", resp.StatusCode)
	}
	v, err := video.Get(ctx, e.db.R, stalled)
	if err != nil {
		t.Fatal(err)
	}
	if v.Processing != video.ProcWaiting {
		t.Errorf("after process again: %s", v.Processing)
	}
	page, err := e.jobs().List(ctx, jobstest.Filter{Kinds: []string{video.ProcessArgs{}.Kind()}})
	if err != nil {
		t.Fatal(err)
	}
	var args video.ProcessArgs
	if len(page.Jobs) == 1 {
		_ = json.Unmarshal(page.Jobs[0].Args, &args)
	}
	if len(page.Jobs) != 1 || args.VideoID != stalled || args.Source != v.SourceKey {
		t.Errorf("jobs after process again: %+v", page.Jobs)
	}
	if got, _ := video.Get(ctx, e.db.R, live); got.Processing != video.ProcProcessing || got.Progress != 40 {
		t.Errorf("the live encode was touched: %s %d%%", got.Processing, got.Progress)
	}
}
