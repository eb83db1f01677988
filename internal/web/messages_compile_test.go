package web

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"sistercity/internal/media"
	"sistercity/internal/messages"
	"sistercity/internal/subtitle"
	"sistercity/internal/track"
	"sistercity/internal/video"
)

// tinyClip is a clip of d at 320×180, with sound unless silent.
func tinyClip(t *testing.T, d time.Duration, silent bool) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "clip.mp4")
	if err := media.TestClip(context.Background(), path, media.ClipOptions{Width: 320, Height: 180, Duration: d, FastStart: true, NoAudio: silent}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var lufsRe = regexp.MustCompile(`(?m)^\s+I:\s+(-?[0-9.]+) LUFS`)

// integratedLoudness is the EBU R128 integrated loudness of path's sound, as ffmpeg's ebur128
// filter measures it.
func integratedLoudness(t *testing.T, path string) float64 {
	t.Helper()
	out, err := exec.CommandContext(context.Background(), "ffmpeg", "-nostats", "-i", path, "-af", "ebur128", "-f", "null", "-").CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg ebur128: %v\n%s", err, out)
	}
	m := lufsRe.FindAllSubmatch(out, -1)
	if m == nil {
		t.Fatalf("ffmpeg ebur128 gave no integrated loudness:\n%s", out)
	}
	lufs, err := strconv.ParseFloat(string(m[len(m)-1][1]), 64)
	if err != nil {
		t.Fatal(err)
	}
	return lufs
}

// A compilation of two approved video messages gives a video with a chapters track of two
// chapters titled in ko, ru and en; a withdrawal afterwards marks it as needing a new one.
func TestMessagesCompilation(t *testing.T) {
	t.Parallel()
	e, call := videoMessageEnv(t)
	ctx := context.Background()
	var ids []int64
	var statuses []string
	// The first at 30 fps, as a phone may record: the compilation is at one frame rate.
	first := filepath.Join(t.TempDir(), "30fps.mp4")
	if err := media.TestClip(ctx, first, media.ClipOptions{Width: 320, Height: 180, Duration: 1500 * time.Millisecond, FrameRate: 30, FastStart: true}); err != nil {
		t.Fatal(err)
	}
	clip30, err := os.ReadFile(first)
	if err != nil {
		t.Fatal(err)
	}
	for i, clip := range [][]byte{clip30, tinyClip(t, time.Second, true)} {
		visitor := e.client()
		status, token := e.sendVideoMessage(visitor, "ru", call, fmt.Sprintf("Послание %d", i+1))
		m := lastMessage(t, e, call)
		e.uploadMessageVideo(e.publicTus(visitor, status), call, token, clip)
		if v := e.processMessageVideo(m.ID); !v.Processed() {
			t.Fatalf("message %d: video not processed: %q", m.ID, v.Failure)
		}
		if resp, _ := e.editor.post(fmt.Sprintf("/admin/messages/%d/queue/%d/approve", call, m.ID), nil); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("approve %d: %d", m.ID, resp.StatusCode)
		}
		ids, statuses = append(ids, m.ID), append(statuses, status)
	}
	page := fmt.Sprintf("/admin/messages/%d/compilations", call)
	if resp, body := e.editor.get(page); resp.StatusCode != http.StatusOK || !strings.Contains(body, fmt.Sprintf(`name="order_%d"`, ids[1])) {
		t.Fatalf("compilations page: %d\n%s", resp.StatusCode, body)
	}
	if resp, _ := e.editor.post(page, url.Values{}); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("a compilation of nothing: %d", resp.StatusCode)
	}
	// The second message first.
	form := url.Values{"include": {itoa64(ids[0]), itoa64(ids[1])}, "order_" + itoa64(ids[0]): {"2"}, "order_" + itoa64(ids[1]): {"1"}}
	if resp, body := e.editor.post(page, form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("compile: %d %s", resp.StatusCode, body)
	}
	cs, err := messages.Compilations(ctx, e.db.R, call)
	if err != nil || len(cs) != 1 || cs[0].Messages[0] != ids[1] {
		t.Fatalf("compilations: %v %+v", err, cs)
	}
	deps := CompileDeps(e.srv.cat, messages.CompileDeps{DB: e.db, Store: e.srv.docs, Queue: e.queue, WorkDir: t.TempDir(), Width: 160, Height: 90})
	if err := messages.Compile(ctx, deps, cs[0].ID); err != nil {
		t.Fatal(err)
	}
	c, err := messages.GetCompilation(ctx, e.db.R, cs[0].ID)
	if err != nil || c.Status != messages.CompilationReady || c.VideoID == 0 {
		t.Fatalf("compilation: %v %+v", err, c)
	}
	v, err := video.Get(ctx, e.db.R, c.VideoID)
	if err != nil || v.State != video.StateDraft || v.SourceKey == "" {
		t.Fatalf("compiled video: %v %+v", err, v)
	}
	src, err := video.LocalFile(ctx, e.srv.docs, v.SourceKey, filepath.Join(t.TempDir(), "c.mp4"))
	if err != nil {
		t.Fatal(err)
	}
	info, err := media.Probe(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	if info.Video == nil || info.Video.Width != 160 || info.Video.Height != 90 || info.Video.FrameRate.Float() != 25 ||
		len(info.Audio) != 1 || info.Duration < 2*time.Second || info.Duration > 3500*time.Millisecond {
		t.Errorf("compiled source: %+v, %d audio, %s", info.Video, len(info.Audio), info.Duration)
	}
	// The sound at -16 LUFS (the test clip's sine is at about -22).
	if lufs := integratedLoudness(t, src); lufs < -17.5 || lufs > -14.5 {
		t.Errorf("compiled source's loudness %.1f LUFS, want -16", lufs)
	}
	tracks, err := track.ForVideo(ctx, e.db.R, v.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"ko": "메시지", "ru": "Мария", "en": "Мария"}
	chapters := map[string]bool{}
	for _, tr := range tracks {
		st, err := tr.Cues()
		if err != nil {
			t.Fatal(err)
		}
		switch tr.Kind {
		case subtitle.KindChapters:
			chapters[tr.Lang] = true
			if len(st.Cues) != 2 || !strings.HasPrefix(st.Cues[0].Text, "1. Мария") || !strings.HasPrefix(st.Cues[1].Text, "2. Мария") ||
				st.Cues[1].Start != st.Cues[0].End || !strings.Contains(tr.Label, want[tr.Lang]) && tr.Lang == "ko" {
				t.Errorf("%s chapters (%q): %+v", tr.Lang, tr.Label, st.Cues)
			}
		case subtitle.KindSubtitles:
			if len(st.Cues) != 2 || st.Cues[0].Text != "Послание 2" || st.Cues[1].Text != "Послание 1" {
				t.Errorf("%s subtitles: %+v", tr.Lang, st.Cues)
			}
		}
	}
	for _, lang := range []string{"ko", "ru", "en"} {
		if !chapters[lang] {
			t.Errorf("no chapters track in %s", lang)
		}
	}
	if !strings.HasPrefix(tracks[0].VTT, "WEBVTT") {
		t.Errorf("track is not WebVTT: %.40q", tracks[0].VTT)
	}

	// The first message's sender withdraws: the compilation needs making again, without it.
	visitor := e.client()
	_, st := visitor.get(statuses[0])
	csrf := csrfRe.FindStringSubmatch(st)[1]
	if resp, _ := visitor.post(statuses[0]+"/withdraw", url.Values{"csrf_token": {csrf}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("withdraw: %d", resp.StatusCode)
	}
	if _, body := e.editor.get(page); !strings.Contains(body, fmt.Sprintf("message %d withdrew", ids[0])) {
		t.Errorf("the compilations page does not name the withdrawn message")
	}
}

// An intro, a processed video of the office's own picked on the form, comes first as a
// chapter of its own: the compilation has one more chapter and lasts longer than without it.
// A message's video is not offered as an intro.
func TestMessagesCompilationIntro(t *testing.T) {
	t.Parallel()
	e, call := videoMessageEnv(t)
	ctx := context.Background()
	visitor := e.client()
	status, token := e.sendVideoMessage(visitor, "ru", call, "Послание с вступлением")
	m := lastMessage(t, e, call)
	e.uploadMessageVideo(e.publicTus(visitor, status), call, token, tinyClip(t, time.Second, false))
	if v := e.processMessageVideo(m.ID); !v.Processed() {
		t.Fatalf("message video not processed: %q", v.Failure)
	}
	if resp, _ := e.editor.post(fmt.Sprintf("/admin/messages/%d/queue/%d/approve", call, m.ID), nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("approve: %d", resp.StatusCode)
	}
	m = lastMessage(t, e, call)

	// The office's intro: a video of its own, processed.
	intro := e.uploadVideo(video.StateDraft)
	key := video.SourceKey(intro.ID, "intro.mp4")
	if err := e.srv.docs.Put(ctx, key, strings.NewReader(string(tinyClip(t, 1500*time.Millisecond, true)))); err != nil {
		t.Fatal(err)
	}
	e.inTx(func(tx *sql.Tx) error { return video.AttachSource(ctx, tx, intro.ID, key) })
	deps := video.Deps{DB: e.db, Store: e.srv.docs, WorkDir: t.TempDir(), Encoder: media.X264{Preset: "ultrafast"}, Heights: []int{180}}
	if err := video.ProcessVideo(ctx, deps, intro.ID); err != nil {
		t.Fatal(err)
	}

	page := fmt.Sprintf("/admin/messages/%d/compilations", call)
	_, body := e.editor.get(page)
	if !strings.Contains(body, fmt.Sprintf(`<option value="%d">`, intro.ID)) || strings.Contains(body, fmt.Sprintf(`<option value="%d">`, m.VideoID)) {
		t.Errorf("the intro's choices are not the office's processed videos alone")
	}
	include := url.Values{"include": {itoa64(m.ID)}}
	if resp, _ := e.editor.post(page, url.Values{"include": include["include"], "intro": {itoa64(m.VideoID)}}); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("a message's video as the intro: %d", resp.StatusCode)
	}
	compile := func(form url.Values) (time.Duration, []*track.Track) {
		t.Helper()
		if resp, body := e.editor.post(page, form); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("compile: %d %s", resp.StatusCode, body)
		}
		cs, err := messages.Compilations(ctx, e.db.R, call)
		if err != nil || len(cs) == 0 {
			t.Fatal(err)
		}
		deps := CompileDeps(e.srv.cat, messages.CompileDeps{DB: e.db, Store: e.srv.docs, Queue: e.queue, WorkDir: t.TempDir(), Width: 160, Height: 90})
		if err := messages.Compile(ctx, deps, cs[0].ID); err != nil {
			t.Fatal(err)
		}
		c, err := messages.GetCompilation(ctx, e.db.R, cs[0].ID)
		if err != nil || c.Status != messages.CompilationReady {
			t.Fatalf("compilation: %v %+v", err, c)
		}
		v, err := video.Get(ctx, e.db.R, c.VideoID)
		if err != nil {
			t.Fatal(err)
		}
		src, err := video.LocalFile(ctx, e.srv.docs, v.SourceKey, filepath.Join(t.TempDir(), "c.mp4"))
		if err != nil {
			t.Fatal(err)
		}
		info, err := media.Probe(ctx, src)
		if err != nil {
			t.Fatal(err)
		}
		tracks, err := track.ForVideo(ctx, e.db.R, v.ID, false)
		if err != nil {
			t.Fatal(err)
		}
		return info.Duration, tracks
	}
	plain, _ := compile(include)
	long, tracks := compile(url.Values{"include": include["include"], "intro": {itoa64(intro.ID)}})
	if long < plain+time.Second {
		t.Errorf("with the intro the compilation lasts %s, without it %s", long, plain)
	}
	want := map[string]string{"ko": "인트로", "ru": "Вступление", "en": "Intro"}
	seen := 0
	for _, tr := range tracks {
		st, err := tr.Cues()
		if err != nil {
			t.Fatal(err)
		}
		switch tr.Kind {
		case subtitle.KindChapters:
			seen++
			if len(st.Cues) != 2 || st.Cues[0].Text != want[tr.Lang] || !strings.HasPrefix(st.Cues[1].Text, "1. Мария") || st.Cues[0].End != st.Cues[1].Start {
				t.Errorf("%s chapters: %+v", tr.Lang, st.Cues)
			}
		case subtitle.KindSubtitles:
			if len(st.Cues) != 1 || st.Cues[0].Text != "Послание с вступлением" || st.Cues[0].Start < time.Second {
				t.Errorf("%s subtitles: %+v", tr.Lang, st.Cues)
			}
		}
	}
	if seen != 3 {
		t.Errorf("%d chapters tracks, want ko, ru and en", seen)
	}
}
