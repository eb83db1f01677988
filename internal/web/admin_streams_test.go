package web

import (
	"bytes"
	"context"
	"database/sql"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sistercity/internal/auth"
	"sistercity/internal/auth/authtest"
	"sistercity/internal/media"
	"sistercity/internal/track"
)

// twoSubtitleMKV writes an MKV made by ffmpeg from a test clip and two SubRip files, Korean and
// Russian, muxed as streams 2 and 3 with their ISO 639-2 tags.
func twoSubtitleMKV(path string) error {
	ctx := context.Background()
	dir := filepath.Dir(path)
	clip := filepath.Join(dir, "clip.mp4")
	if err := media.TestClip(ctx, clip, media.ClipOptions{Width: 320, Height: 180, Duration: 2 * time.Second}); err != nil {
		return err
	}
	ko, ru := filepath.Join(dir, "ko.srt"), filepath.Join(dir, "ru.srt")
	if err := os.WriteFile(ko, []byte("1\n00:00:00,000 --> 00:00:01,000\n부산에서 응원합니다\n\n2\n00:00:01,000 --> 00:00:02,000\n힘내세요!\n"), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(ru, []byte("1\n00:00:00,000 --> 00:00:01,500\nПривет из Владивостока\n"), 0o644); err != nil {
		return err
	}
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-y",
		"-i", "file:"+clip, "-i", "file:"+ko, "-i", "file:"+ru,
		"-map", "0:v", "-map", "0:a", "-map", "1:s", "-map", "2:s", "-c:v", "copy", "-c:a", "copy", "-c:s", "srt",
		"-metadata:s:s:0", "language=kor", "-metadata:s:s:0", "title=한국어",
		"-metadata:s:s:1", "language=rus", "-metadata:s:s:1", "title=Русский",
		"-disposition:s:0", "default", "-f", "matroska", "file:"+path)
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return &media.Error{Code: media.CodeEncodeFailed, Stderr: stderr.String(), Err: err}
	}
	return nil
}

// TestStreamImportFromMKV lists the two subtitle streams of an uploaded MKV (probing the
// stored source, since the video was not processed) and imports each as a draft track.
func TestStreamImportFromMKV(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	e.srv.cfg.DataDir = t.TempDir()
	ctx := context.Background()
	v := versionVideo(t, e, "message.mkv", twoSubtitleMKV)
	editor := e.userClient(auth.RoleEditor)
	page := "/admin/videos/" + itoa64(v.ID) + "/streams"

	resp, body := editor.get(page)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "2 subtitle streams") || !strings.Contains(body, "한국어") ||
		!strings.Contains(body, "Русский") || !strings.Contains(body, "<code>kor</code>") || !strings.Contains(body, "<code>subrip</code>") ||
		!strings.Contains(body, `action="/admin/videos/`+itoa64(v.ID)+`/streams/3/import"`) {
		t.Fatalf("streams page: %d\n%s", resp.StatusCode, body)
	}
	for _, tc := range []struct {
		index, lang, label, text string
		cues                     int
	}{
		{"2", "ko", "한국어", "부산에서 응원합니다", 2},
		{"3", "ru", "Русский", "Привет из Владивостока", 1},
	} {
		resp, _ := editor.post(page+"/"+tc.index+"/import", nil)
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/admin/videos/"+itoa64(v.ID)+"/tracks?notice=imported") {
			t.Fatalf("import stream %s: %d %q", tc.index, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	tracks, err := track.ForVideo(ctx, e.db.R, v.ID, false)
	if err != nil || len(tracks) != 2 {
		t.Fatalf("tracks: %v %v", tracks, err)
	}
	want := map[string]struct {
		label, origin, text string
		cues                int
	}{
		"ko": {"한국어", "stream 2 (subrip)", "부산에서 응원합니다", 2},
		"ru": {"Русский", "stream 3 (subrip)", "Привет из Владивостока", 1},
	}
	for _, tr := range tracks {
		w := want[tr.Lang]
		if tr.Status != track.StatusDraft || tr.Label != w.label || tr.Origin != w.origin || tr.CueCount != w.cues || !strings.Contains(tr.PlainText, w.text) {
			t.Errorf("track %s: %+v", tr.Lang, tr)
		}
	}
	if entries, err := authtest.AuditLog(ctx, e.db.R, auth.EntitySubtitleTrack, 10, 0); err != nil || len(entries) != 2 || entries[0].Action != auth.ActionCreate {
		t.Errorf("audit: %+v %v", entries, err)
	}
	if _, body := editor.get(page); strings.Count(body, ">Imported<") != 2 || !strings.Contains(body, "Import again") {
		t.Errorf("imported streams not marked:\n%s", body)
	}

	// What cannot be imported, in words and never a 500.
	for _, tc := range []struct {
		path   string
		status int
		text   string
	}{
		{page + "/0/import", http.StatusNotFound, "no subtitle stream with that number"},
		{page + "/99/import", http.StatusNotFound, "no subtitle stream with that number"},
		{page + "/x/import", http.StatusNotFound, ""},
		{page + "/-1/import", http.StatusNotFound, ""},
		{"/admin/videos/999/streams/2/import", http.StatusNotFound, ""},
	} {
		if resp, body := editor.post(tc.path, nil); resp.StatusCode != tc.status || !strings.Contains(body, tc.text) {
			t.Errorf("POST %s: %d, want %d with %q", tc.path, resp.StatusCode, tc.status, tc.text)
		}
	}
	if m, _ := filepath.Glob(filepath.Join(e.srv.cfg.DataDir, "tmp", "*")); len(m) != 0 {
		t.Errorf("work files left: %v", m)
	}
}

// TestStreamImportMovText imports the mov_text stream of an MP4, as recorded by processing.
func TestStreamImportMovText(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	e.srv.cfg.DataDir = t.TempDir()
	v := versionVideo(t, e, "message.mp4", func(path string) error {
		return media.TestClip(context.Background(), path, media.ClipOptions{Width: 320, Height: 180, Subtitles: true, SubtitleLanguage: "rus"})
	})
	// Processing records the streams; the page then lists them without copying the source.
	e.inTx(func(tx *sql.Tx) error {
		_, err := tx.ExecContext(context.Background(), "UPDATE videos SET source_info = $1 WHERE id = $2",
			`{"format":"mov","subtitle_streams":[{"index":2,"codec":"mov_text","language":"rus"},{"index":5,"codec":"hdmv_pgs_subtitle","language":"kor","bitmap":true}]}`, v.ID)
		return err
	})
	editor := e.userClient(auth.RoleEditor)
	page := "/admin/videos/" + itoa64(v.ID) + "/streams"
	editor.lang = "ru"
	resp, body := editor.get(page + "?lang=ru")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "2 потока субтитров") || !strings.Contains(body, "хранятся как изображения") ||
		strings.Contains(body, "/streams/5/import") {
		t.Fatalf("streams page: %d\n%s", resp.StatusCode, body)
	}
	if resp, body := editor.post(page+"/5/import", nil); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "хранятся как изображения") {
		t.Errorf("import of a bitmap stream: %d\n%s", resp.StatusCode, body)
	}
	if resp, _ := editor.post(page+"/2/import", nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("import mov_text: %d", resp.StatusCode)
	}
	tracks, _ := track.ForVideo(context.Background(), e.db.R, v.ID, false)
	if len(tracks) != 1 || tracks[0].Lang != "ru" || tracks[0].Origin != "stream 2 (mov_text)" || tracks[0].CueCount != 2 {
		t.Errorf("tracks: %+v", tracks)
	}

	// A video without a file.
	none := versionVideo(t, e, "", nil)
	if _, body := editor.get("/admin/videos/" + itoa64(none.ID) + "/streams"); !strings.Contains(body, "ещё нет загруженного файла") {
		t.Errorf("no source:\n%s", body)
	}
	if resp, _ := editor.post("/admin/videos/"+itoa64(none.ID)+"/streams/2/import", nil); resp.StatusCode != http.StatusConflict {
		t.Errorf("import without a source: %d", resp.StatusCode)
	}
}
