package web

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sistercity/internal/auth"
	"sistercity/internal/auth/authtest"
	"sistercity/internal/jobs"
	"sistercity/internal/media"
	"sistercity/internal/polltest"
	"sistercity/internal/subtitle"
	"sistercity/internal/track"
	"sistercity/internal/video"
)

// versionVideo stores a source file written by write (given a path) for a new draft video and
// returns the video; write nil stores no source.
func versionVideo(t *testing.T, e *testEnv, name string, write func(path string) error) *video.Video {
	t.Helper()
	ctx := context.Background()
	v := &video.Video{OriginalLang: "ru", State: video.StateDraft, Texts: []video.Text{{Lang: "ru", Title: "Держитесь, Пусан!"}}}
	e.inTx(func(tx *sql.Tx) error { return video.Create(ctx, tx, v) })
	if write == nil {
		return v
	}
	path := filepath.Join(t.TempDir(), name)
	if err := write(path); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	key := video.SourceKey(v.ID, name)
	if err := e.srv.docs.Put(ctx, key, f); err != nil {
		t.Fatal(err)
	}
	e.inTx(func(tx *sql.Tx) error { return video.AttachSource(ctx, tx, v.ID, key) })
	got, err := video.Get(ctx, e.db.R, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// smallClip writes the tiny clip the burn tests use.
func smallClip(path string) error {
	return media.TestClip(context.Background(), path, media.ClipOptions{Width: 320, Height: 180, Duration: 2 * time.Second})
}

// versionTrack adds a track in lang with status to video id.
func versionTrack(t *testing.T, e *testEnv, videoID int64, lang, status, vtt string) *track.Track {
	t.Helper()
	st, err := subtitle.ParseWebVTTLimit(strings.NewReader(vtt), subtitle.DefaultMaxInputSize)
	if err != nil {
		t.Fatal(err)
	}
	tr := &track.Track{VideoID: videoID, Lang: lang, Kind: subtitle.KindSubtitles, Status: status}
	if err := tr.SetCues(st); err != nil {
		t.Fatal(err)
	}
	e.inTx(func(tx *sql.Tx) error { return track.Create(context.Background(), tx, tr) })
	return tr
}

const (
	koVTT = "WEBVTT\n\n00:00:00.200 --> 00:00:01.800\n블라디보스토크 시민 여러분, 힘내세요!\n"
	ruVTT = "WEBVTT\n\n00:00:00.200 --> 00:00:01.800\nДержитесь, жители Пусана!\n"
)

// runBurnWorker starts a queue of its own that works burn jobs on e's database, as
// `sistercity worker` would beside a serve that only enqueues.
func runBurnWorker(t *testing.T, e *testEnv) {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	q, err := jobs.New(e.db, jobs.Config{Workers: 1, FetchPollInterval: 100 * time.Millisecond, StopTimeout: 5 * time.Second}, log)
	if err != nil {
		t.Fatal(err)
	}
	if err := track.RegisterBurn(q, track.BurnDeps{DB: e.db, Store: e.srv.docs, WorkDir: filepath.Join(t.TempDir(), "tmp"),
		Encoder: media.X264{Preset: "ultrafast"}, Log: log, ProgressEvery: 100 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	if err := q.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		_ = q.Stop(ctx)
	})
}

func waitBurn(t *testing.T, e *testEnv, trackID int64) *track.Burn {
	t.Helper()
	var b *track.Burn
	polltest.Within(t, 5*time.Minute, "the burned-in version", func() (bool, string) {
		var err error
		if b, err = track.GetBurn(context.Background(), e.db.R, trackID); err != nil {
			t.Fatal(err)
		}
		if b.Status == track.BurnFailed {
			t.Fatalf("burn failed: %q", b.Failure)
		}
		return b.Status == track.BurnReady, b.Status
	})
	return b
}

// TestVersionBurnAndDownload requests the Korean version of a video as an editor, lets a worker
// burn it, downloads it with a range, and sees it outdated once the track changes.
func TestVersionBurnAndDownload(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ctx := context.Background()
	v := versionVideo(t, e, "clip.mp4", smallClip)
	ko := versionTrack(t, e, v.ID, "ko", track.StatusApproved, koVTT)
	ru := versionTrack(t, e, v.ID, "ru", track.StatusDraft, ruVTT)
	editor := e.userClient(auth.RoleEditor)
	page := "/admin/videos/" + itoa64(v.ID) + "/versions"

	resp, body := editor.get(page)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Not made yet") || !strings.Contains(body, `action="/admin/tracks/`+itoa64(ko.ID)+`/burn"`) ||
		strings.Contains(body, `/admin/tracks/`+itoa64(ru.ID)+`/burn`) {
		t.Fatalf("versions page: %d\n%s", resp.StatusCode, body)
	}
	// A draft cannot be burned in.
	if resp, body := editor.post("/admin/tracks/"+itoa64(ru.ID)+"/burn", nil); resp.StatusCode != http.StatusConflict ||
		!strings.Contains(body, "Only an approved track can be burned in.") {
		t.Errorf("burn a draft: %d\n%s", resp.StatusCode, body)
	}
	resp, _ = editor.post("/admin/tracks/"+itoa64(ko.ID)+"/burn", nil)
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), page+"?notice=requested") {
		t.Fatalf("burn: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if _, body := editor.get(page + "?notice=requested"); !strings.Contains(body, "Waiting for its turn") || !strings.Contains(body, `http-equiv="refresh"`) {
		t.Errorf("waiting burn not shown:\n%s", body)
	}
	if entries, err := authtest.AuditLog(ctx, e.db.R, auth.EntitySubtitleTrack, 10, 0); err != nil || len(entries) != 1 || entries[0].Action != auth.ActionBurn {
		t.Errorf("audit: %+v %v", entries, err)
	}

	runBurnWorker(t, e)
	b := waitBurn(t, e, ko.ID)
	_, body = editor.get(page)
	file := "video-" + itoa64(v.ID) + "-ko.mp4"
	if !strings.Contains(body, "Ready") || !strings.Contains(body, "Download "+file) || !strings.Contains(body, "Burn again") {
		t.Errorf("ready burn not shown:\n%s", body)
	}

	viewer := e.userClient(auth.RoleViewer)
	resp, data := viewer.get("/admin/tracks/" + itoa64(ko.ID) + "/burn.mp4")
	if resp.StatusCode != http.StatusOK || int64(len(data)) != b.Size || resp.Header.Get("Content-Type") != "video/mp4" ||
		!strings.Contains(resp.Header.Get("Content-Disposition"), `filename=`+file) {
		t.Fatalf("download: %d %d bytes %q %q", resp.StatusCode, len(data), resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"))
	}
	local := filepath.Join(t.TempDir(), file)
	if err := os.WriteFile(local, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	if info, err := media.Probe(ctx, local); err != nil || info.Video == nil || info.Video.Codec != "h264" || info.Video.Height != 180 {
		t.Errorf("downloaded file: %+v %v", info, err)
	}
	req, _ := http.NewRequest("GET", e.ts.URL+"/admin/tracks/"+itoa64(ko.ID)+"/burn.mp4", nil)
	req.Header.Set("Range", "bytes=0-99")
	rr, err := viewer.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	part, _ := io.ReadAll(rr.Body)
	rr.Body.Close()
	if rr.StatusCode != http.StatusPartialContent || len(part) != 100 {
		t.Errorf("range: %d, %d bytes", rr.StatusCode, len(part))
	}
	// No file for the draft.
	if resp, _ := viewer.get("/admin/tracks/" + itoa64(ru.ID) + "/burn.mp4"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("download of a track never burned: %d", resp.StatusCode)
	}

	// The track is reopened, corrected and approved again: the file shows an older text.
	e.inTx(func(tx *sql.Tx) error {
		for _, step := range []func(context.Context, *sql.Tx, track.Step) error{track.Reopen, track.Submit, track.Approve} {
			if err := step(ctx, tx, track.Step{Track: ko, Version: ko.Version, At: time.Now()}); err != nil {
				return err
			}
		}
		return nil
	})
	if _, body := editor.get(page); !strings.Contains(body, "Outdated") || !strings.Contains(body, "Burn again") {
		t.Errorf("outdated burn not shown:\n%s", body)
	}
	// Russian reader, viewer: no button, localized state.
	viewer.lang = "ru"
	if _, body := viewer.get(page + "?lang=ru"); !strings.Contains(body, "Устарела") || strings.Contains(body, "/burn\"") {
		t.Errorf("viewer's Russian page:\n%s", body)
	}

	// Deleting the track deletes its burned-in file too.
	resp, body = editor.post(fmt.Sprintf("/admin/videos/%d/tracks/%d/delete", v.ID, ko.ID), nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete track: %d\n%s", resp.StatusCode, body)
	}
	for a, err := range e.srv.docs.List(ctx, track.BurnKeyPrefix(ko.ID)) {
		t.Errorf("left after the track was deleted: %v %v", a.Key, err)
	}
}

// TestVersionPageErrors covers what a user can send that finds nothing or may not be done.
func TestVersionPageErrors(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	editor := e.userClient(auth.RoleEditor)
	noFile := versionVideo(t, e, "", nil)
	tr := versionTrack(t, e, noFile.ID, "ko", track.StatusApproved, koVTT)
	for _, tc := range []struct {
		method, path string
		status       int
		text         string
	}{
		{"GET", "/admin/videos/999/versions", http.StatusNotFound, ""},
		{"GET", "/admin/videos/x/versions", http.StatusNotFound, ""},
		{"POST", "/admin/tracks/999/burn", http.StatusNotFound, ""},
		{"POST", "/admin/tracks/0/burn", http.StatusNotFound, ""},
		{"GET", "/admin/tracks/999/burn.mp4", http.StatusNotFound, ""},
		{"GET", "/admin/videos/" + itoa64(noFile.ID) + "/versions", http.StatusOK, "The video has no file yet"},
		{"POST", "/admin/tracks/" + itoa64(tr.ID) + "/burn", http.StatusConflict, "no file to burn the subtitles into"},
	} {
		var resp *http.Response
		var body string
		if tc.method == "GET" {
			resp, body = editor.get(tc.path)
		} else {
			resp, body = editor.post(tc.path, nil)
		}
		if resp.StatusCode != tc.status || !strings.Contains(body, tc.text) {
			t.Errorf("%s %s: %d, want %d with %q\n%s", tc.method, tc.path, resp.StatusCode, tc.status, tc.text, body)
		}
	}
}
