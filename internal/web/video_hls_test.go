package web

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"

	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"sistercity/internal/polltest"
	"sistercity/internal/track"
	"sistercity/internal/video"
	"sistercity/internal/web/webtest"
)

// TestHLSMasterAndStreams follows a player through a published video's HLS presentation: the
// master playlist made from the database (variants with bandwidth, resolution, codecs and
// frame rate; the approved tracks as WebVTT media playlists in a subtitles group, named in
// their own language, the default following ?lang=), a rendition's media playlist, its init and
// media segments (content types, ranges, ETags, a year's caching), and a track's playlist.
func TestHLSMasterAndStreams(t *testing.T) {
	e := newTestEnv(t)
	_, _, p := seedVladivostok(t, e)
	v := seedVideo(t, e, p, video.StatePublished, ruOnly)
	ru := addTrack(t, e, v.ID, "ru", track.StatusApproved, true, "Держитесь, жители Пусана!")
	ko := addTrack(t, e, v.ID, "ko", track.StatusApproved, false, "부산 시민 여러분, 힘내세요!")
	addTrack(t, e, v.ID, "en", track.StatusDraft, false, "Not yet approved")
	c := e.client()

	master := hlsMasterURL(v, "ru")
	resp, body := c.get(master)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != hlsPlaylistType || resp.Header.Get("ETag") == "" {
		t.Fatalf("master: %d %v\n%s", resp.StatusCode, resp.Header, body)
	}
	for _, want := range []string{
		`#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",LANGUAGE="ru",NAME="Русский",DEFAULT=YES,AUTOSELECT=YES,URI="/media/tracks/` + itoa64(ru.ID) + `.m3u8"`,
		`LANGUAGE="ko",NAME="한국어",DEFAULT=NO,AUTOSELECT=YES,URI="/media/tracks/` + itoa64(ko.ID) + `.m3u8"`,
		`RESOLUTION=426x240,FRAME-RATE=25.000,SUBTITLES="subs"`, `RESOLUTION=640x360,FRAME-RATE=25.000,SUBTITLES="subs"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("master lacks %s:\n%s", want, body)
		}
	}
	if strings.Contains(body, `LANGUAGE="en"`) {
		t.Errorf("master lists a draft track:\n%s", body)
	}
	inf := regexp.MustCompile(`#EXT-X-STREAM-INF:BANDWIDTH=[1-9][0-9]*,AVERAGE-BANDWIDTH=[1-9][0-9]*,CODECS="avc1\.[0-9a-f]{6},mp4a\.40\.2"`)
	if n := len(inf.FindAllString(body, -1)); n != 2 {
		t.Errorf("master has %d complete variants, want 2:\n%s", n, body)
	}
	if _, en := c.get(hlsMasterURL(v, "en")); strings.Contains(en, "DEFAULT=YES") {
		t.Errorf("no English track, yet a default:\n%s", en)
	}

	// The smallest variant's media playlist, relative to the master.
	variant := path.Dir(master[:strings.IndexByte(master, '?')]) + "/" + path.Base(v.Renditions[0].HLSKey)
	if !strings.Contains(body, "\n"+path.Base(variant)+"\n") {
		t.Fatalf("master does not name %s", variant)
	}
	resp, playlist := c.get(variant)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != hlsPlaylistType ||
		resp.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" || !strings.Contains(playlist, "#EXT-X-ENDLIST") {
		t.Fatalf("media playlist: %d %v\n%s", resp.StatusCode, resp.Header, playlist)
	}
	initName := regexp.MustCompile(`#EXT-X-MAP:URI="([^"]+)"`).FindStringSubmatch(playlist)
	segment := regexp.MustCompile(`(?m)^([^#].*\.m4s)$`).FindStringSubmatch(playlist)
	if initName == nil || segment == nil {
		t.Fatalf("media playlist names no init or segment:\n%s", playlist)
	}
	for _, f := range []struct{ name, ctype string }{{initName[1], "video/mp4"}, {segment[1], "video/iso.segment"}} {
		u := e.ts.URL + path.Dir(variant) + "/" + f.name
		req, _ := http.NewRequest("GET", u, nil)
		req.Header.Set("Range", "bytes=0-7")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusPartialContent || len(b) != 8 || resp.Header.Get("Content-Type") != f.ctype ||
			resp.Header.Get("ETag") == "" || resp.Header.Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("%s: %d, %d bytes, %v", f.name, resp.StatusCode, len(b), resp.Header)
		}
	}

	resp, sub := c.get(trackPlaylistURL(ru))
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != hlsPlaylistType ||
		!strings.Contains(sub, "#EXTINF:2.") || !strings.Contains(sub, "\n"+itoa64(ru.ID)+".vtt\n") {
		t.Errorf("track playlist: %d %v\n%s", resp.StatusCode, resp.Header, sub)
	}

	// Names that only look like a stream's files are not served.
	for _, p := range []string{"/media/videos/" + itoa64(v.ID) + "/x-360p-seg-00000.m4s", "/media/videos/" + itoa64(v.ID) + "/x-init.mp4",
		"/media/videos/999/master.m3u8", "/media/videos/abc/master.m3u8", "/media/tracks/999999.m3u8"} {
		if resp, _ := c.get(p); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", p, resp.StatusCode)
		}
	}
}

// TestBrowserWatchPageStreamsHLS plays a demo-style video (Russian and Korean subtitles) on the
// Russian watch page in Chromium, twice: as Chromium is (which plays HLS natively since 2025, as
// Safari does), then as a browser without native HLS, through hls.js: it starts on a level of
// its own choice, with the master playlist's Russian subtitles as the default and the Russian
// track showing, and the quality choice switches it to 240p.
func TestBrowserWatchPageStreamsHLS(t *testing.T) {
	if hlsLibURL() == "" {
		t.Fatal("hls.js is not embedded: run scripts/hlsjs.sh (make test runs it) before the tests")
	}
	e := newTestEnv(t)
	_, _, p := seedVladivostok(t, e)
	v := seedVideo(t, e, p, video.StatePublished, ruOnly)
	addTrack(t, e, v.ID, "ru", track.StatusApproved, true, "Держитесь, жители Пусана!", "Мы с вами.")
	addTrack(t, e, v.ID, "ko", track.StatusApproved, false, "부산 시민 여러분, 힘내세요!", "함께합니다.")
	ctx := webtest.Browser(t)
	watch := e.ts.URL + "/ru/videos/" + itoa64(v.ID)
	type state struct {
		Stream, Level, Showing string
		Time                   float64
		Levels                 int
		Subtitles              []string
	}
	var s state
	play := func(what string, done func() bool) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](`(() => { const p = document.getElementById("player");
			p.muted = true; p.play().catch(() => {}); })()`)); err != nil {
			t.Fatal(err)
		}
		polltest.Until(t, what, func() (bool, string) {
			raw, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => { const p = document.getElementById("player"), h = p.hls;
				return JSON.stringify({Stream: p.dataset.stream || "", Level: p.dataset.level || "", Time: p.currentTime,
					Showing: [...p.textTracks].filter((t) => t.mode === "showing").map((t) => t.language).join(),
					Levels: h ? h.levels.length : 0,
					Subtitles: h ? h.subtitleTracks.map((s) => s.lang + " " + s.name + " " + s.default) : []}); })()`))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal([]byte(raw), &s); err != nil {
				t.Fatal(err)
			}
			return done(), fmt.Sprintf("%+v", s)
		})
	}

	auditPage(t, ctx, watch)
	play("the video to play natively with the Russian subtitles", func() bool {
		return s.Stream == "native" && s.Time > 0.2 && s.Showing == "ru"
	})

	// A browser without native HLS (Firefox, Chrome before 2025): hls.js.
	if _, err := chromedp.Call(ctx, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{
		Source: `{ const can = HTMLMediaElement.prototype.canPlayType;
			HTMLMediaElement.prototype.canPlayType = function (type) { return /mpegurl/i.test(type) ? "" : can.call(this, type); }; }`,
	}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(watch), chromedp.WaitVisible(chromedp.CSS("main"))); err != nil {
		t.Fatal(err)
	}
	play("the video to play through hls.js with the master's Russian subtitles", func() bool {
		return s.Stream == "hls" && s.Time > 0.2 && s.Showing == "ru" && s.Levels == 2 && s.Level != "" &&
			slices.Contains(s.Subtitles, "ru Русский true")
	})
	if !slices.Contains(s.Subtitles, "ko 한국어 false") {
		t.Errorf("subtitles of the master: %v", s.Subtitles)
	}
	// The stream alone took the network (its init segments end in -init.mp4): the MP4 rendition
	// waited (preload none) and never loaded.
	mp4s, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`performance.getEntriesByType("resource").map((e) => e.name).filter((n) => /\.mp4([?#]|$)/.test(n) && !/-init\.mp4/.test(n))`))
	if err != nil {
		t.Fatal(err)
	}
	if len(mp4s) != 0 {
		t.Errorf("the page streaming HLS also loaded the MP4: %v", mp4s)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](`(() => { const s = document.getElementById("rendition");
		s.value = "0"; s.dispatchEvent(new Event("change")); })()`)); err != nil {
		t.Fatal(err)
	}
	play("hls.js to switch to 240p", func() bool { return s.Stream == "hls" && s.Level == "240" })
}

// TestHLSMasterKept: the master playlist is kept by the page cache like a public page (a write
// behind the application's back does not show), and grows as soon as processing records a
// rendition: the video is watchable in 240p first, and the 360p stream joins the master the
// next player gets.
func TestHLSMasterKept(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	_, _, p := seedVladivostok(t, e)
	v := seedVideo(t, e, p, video.StatePublished, ruOnly)
	ctx := context.Background()
	// Mid-way through processing: the 360p stream is not recorded yet.
	e.inTx(func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "UPDATE video_renditions SET hls_key = '' WHERE video_id = $1 AND lines = 360", v.ID)
		return err
	})
	anon := e.client()
	master := hlsMasterURL(v, "ru")
	resp, before := anon.get(master)
	if resp.StatusCode != http.StatusOK || strings.Contains(before, "RESOLUTION=640x360") || !strings.Contains(before, "RESOLUTION=426x240") {
		t.Fatalf("master mid-way: %d\n%s", resp.StatusCode, before)
	}
	if _, err := e.db.W.ExecContext(ctx, "UPDATE video_renditions SET bandwidth = bandwidth + 1 WHERE video_id = $1", v.ID); err != nil {
		t.Fatal(err)
	}
	if _, body := anon.get(master); body != before {
		t.Fatalf("the second master was made again, not kept:\n%s", body)
	}
	// The 360p stream is recorded, as processing records it: the master grows at once.
	e.inTx(func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "UPDATE video_renditions SET hls_key = $1 WHERE video_id = $2 AND lines = 360", v.Renditions[1].HLSKey, v.ID)
		return err
	})
	resp, after := anon.get(master)
	if resp.StatusCode != http.StatusOK || !strings.Contains(after, "RESOLUTION=640x360") || !strings.Contains(after, "RESOLUTION=426x240") {
		t.Fatalf("master after the 360p stream was recorded: %d\n%s", resp.StatusCode, after)
	}
	// Kept again, and answered 304 for its ETag.
	req, _ := http.NewRequest("GET", e.ts.URL+master, nil)
	req.Header.Set("If-None-Match", resp.Header.Get("ETag"))
	r2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r2.Body.Close()
	if r2.StatusCode != http.StatusNotModified {
		t.Errorf("master with its ETag: %d, want 304", r2.StatusCode)
	}
}
