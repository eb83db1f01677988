package web

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"sistercity/internal/auth"
	"sistercity/internal/auth/authtest"
	"sistercity/internal/media"
	"sistercity/internal/polltest"
	"sistercity/internal/register"
	"sistercity/internal/track"
	"sistercity/internal/video"
	"sistercity/internal/web/webtest"
)

// seedVideo makes a video through the real pipeline (a 2 s clip, real ffmpeg) and moves it
// to state.
func seedVideo(t testing.TB, e *testEnv, p *register.Partnership, state string, texts ...video.Text) *video.Video {
	t.Helper()
	ctx := context.Background()
	clip := filepath.Join(t.TempDir(), "clip.mp4")
	if err := media.TestClip(ctx, clip, media.ClipOptions{Width: 640, Height: 360, Duration: 2 * time.Second}); err != nil {
		t.Fatal(err)
	}
	v := &video.Video{OriginalLang: texts[0].Lang, State: video.StateDraft, Texts: texts, Tags: []string{"support"}}
	if p != nil {
		v.Partnerships, v.OriginCityID = []int64{p.ID}, p.PartnerCityID
	}
	v.Normalize()
	if err := v.Validate(); err != nil {
		t.Fatal(err)
	}
	e.inTx(func(tx *sql.Tx) error {
		if err := video.Create(ctx, tx, v); err != nil {
			return err
		}
		f, err := os.Open(clip)
		if err != nil {
			return err
		}
		defer f.Close()
		key := video.SourceKey(v.ID, "clip.mp4")
		if err := e.srv.docs.Put(ctx, key, f); err != nil {
			return err
		}
		return video.AttachSource(ctx, tx, v.ID, key)
	})
	deps := video.Deps{DB: e.db, Store: e.srv.docs, WorkDir: t.TempDir(), Encoder: media.X264{Preset: "ultrafast"}, Heights: []int{240, 360}}
	if err := video.ProcessVideo(ctx, deps, v.ID); err != nil {
		t.Fatal(err)
	}
	e.inTx(func(tx *sql.Tx) error {
		got, err := video.Get(ctx, tx, v.ID)
		if err != nil {
			return err
		}
		path := map[string][]string{
			video.StateDraft:     nil,
			video.StatePublished: {video.StateInReview, video.StatePublished},
			video.StateUnlisted:  {video.StateInReview, video.StateUnlisted},
		}[state]
		for _, st := range path {
			if err := video.SetState(ctx, tx, got, st, fixedNow); err != nil {
				return err
			}
		}
		return nil
	})
	got, err := video.Get(ctx, e.db.R, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

var ruOnly = video.Text{Lang: "ru", Title: "Видеообращение Владивостока в поддержку Пусана"}

func TestVideoIndexTitleOrOriginalWithMarker(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	_, _, p := seedVladivostok(t, e)
	v := seedVideo(t, e, p, video.StatePublished, ruOnly, video.Text{Lang: "ko", Title: "부산·블라디보스토크 코로나19 극복 응원 영상"})
	c := e.client()
	_, ko := c.get("/ko/videos")
	if !strings.Contains(ko, "부산·블라디보스토크 코로나19 극복 응원 영상") || strings.Contains(ko, `class="lang-marker"`) ||
		!strings.Contains(ko, "/media/videos/"+itoa64(v.ID)+"/") || !strings.Contains(ko, "0:02") {
		t.Errorf("ko index: %s", ko)
	}
	// No English title: the Russian original, marked.
	_, en := c.get("/en/videos")
	if !strings.Contains(en, `<span class="video-title" lang="ru">Видеообращение`) || !strings.Contains(en, `<span class="lang-marker">in Russian</span>`) {
		t.Errorf("en index lacks the marked original: %s", en)
	}
	if !strings.Contains(en, "Produced by the city of Vladivostok") || !strings.Contains(en, "1 video") {
		t.Errorf("en index: origin or count missing")
	}
	// Filters: by the partner city and by tag; another city or tag finds nothing.
	for q, want := range map[string]bool{"?city=" + itoa64(p.PartnerCityID): true, "?city=" + itoa64(p.HomeCityID+100): false,
		"?tag=support": true, "?tag=other": false, "?page=2": false, "?city=x&page=-4": true} {
		_, body := c.get("/en/videos" + q)
		if got := strings.Contains(body, "Видеообращение"); got != want {
			t.Errorf("/en/videos%s lists the video: %v, want %v", q, got, want)
		}
	}
	// The partner page lists its videos.
	_, partner := c.get("/ru/partners/" + itoa64(p.PartnerCityID))
	if !strings.Contains(partner, `id="videos"`) || !strings.Contains(partner, "/ru/videos/"+itoa64(v.ID)) {
		t.Errorf("partner page lacks the video section")
	}
}

func TestVideoWatchPageAndMedia(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	_, _, p := seedVladivostok(t, e)
	v := seedVideo(t, e, p, video.StatePublished, ruOnly, video.Text{Lang: "en", Title: `Support </script><b>"quoted"</b>`})
	c := e.client()
	resp, body := c.get("/en/videos/" + itoa64(v.ID))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("watch page: %d", resp.StatusCode)
	}
	for _, want := range []string{`<video id="player" controls preload="none" poster="/media/videos/`, `<source src="/media/videos/`,
		`<select id="rendition"`, `240p`, `360p`, `property="og:video"`, `property="og:image"`, `"@type":"VideoObject"`,
		`"name":"Support \u003c/script\u003e\u003cb\u003e\"quoted\"\u003c/b\u003e"`, `property="og:title" content="Support &lt;/script&gt;`} {
		if !strings.Contains(body, want) {
			t.Errorf("watch page lacks %s", want)
		}
	}
	if strings.Count(body, "</script>") != 4 { // the JSON-LD and three modules (player, beacon, share), nothing from the title
		t.Errorf("a title closed a script element")
	}
	best := v.Renditions[len(v.Renditions)-1]
	u := e.ts.URL + mediaURL(best.Key)
	get := func(h map[string]string) (*http.Response, []byte) {
		req, _ := http.NewRequest("GET", u, nil)
		for k, v := range h {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	resp, b := get(map[string]string{"Range": "bytes=0-99"})
	if resp.StatusCode != http.StatusPartialContent || len(b) != 100 || resp.Header.Get("Content-Type") != "video/mp4" ||
		resp.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" {
		t.Errorf("range: %d, %d bytes, %v", resp.StatusCode, len(b), resp.Header)
	}
	etag := resp.Header.Get("ETag")
	resp, _ = get(map[string]string{"Range": "bytes=" + strconv.FormatInt(best.Size+10, 10) + "-"})
	if resp.StatusCode != http.StatusRequestedRangeNotSatisfiable || resp.Header.Get("Cache-Control") != "" {
		t.Errorf("past the end: %d (Cache-Control %q), want 416 uncached", resp.StatusCode, resp.Header.Get("Cache-Control"))
	}
	resp, b = get(map[string]string{"Range": "bytes=100-199", "If-Range": etag})
	if resp.StatusCode != http.StatusPartialContent || len(b) != 100 {
		t.Errorf("If-Range with the current ETag: %d, %d bytes", resp.StatusCode, len(b))
	}
	resp, b = get(map[string]string{"Range": "bytes=100-199", "If-Range": `"stale"`})
	if resp.StatusCode != http.StatusOK || int64(len(b)) != best.Size {
		t.Errorf("If-Range with an old ETag: %d, %d bytes, want the whole file", resp.StatusCode, len(b))
	}
	resp, _ = get(map[string]string{"If-None-Match": etag})
	if resp.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match: %d", resp.StatusCode)
	}
	for _, path := range []string{"/media/videos/" + itoa64(v.ID) + "/nothing.mp4", "/media/videos/" + itoa64(v.ID) + "/..%2fx",
		"/media/videos/999/x.mp4", "/media/videos/abc/x.mp4", "/en/videos/999", "/en/videos/abc"} {
		if resp, _ := c.get(path); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", path, resp.StatusCode)
		}
	}
}

func TestUnpublishedVideoIsNotFound(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	_, _, p := seedVladivostok(t, e)
	draft := seedVideo(t, e, p, video.StateDraft, ruOnly)
	unlisted := seedVideo(t, e, p, video.StateUnlisted, video.Text{Lang: "ko", Title: "링크로만 보는 영상"})
	c := e.client()
	// Nor its HLS presentation: the master, a media playlist, its init and a media segment, an
	// approved subtitle track's playlist and file.
	media := func(v *video.Video, tr *track.Track) []string {
		hls := strings.TrimSuffix(v.Renditions[0].HLSKey, ".m3u8")
		return []string{"/media/videos/" + itoa64(v.ID) + "/master.m3u8", mediaURL(hls + ".m3u8"),
			mediaURL(hls + "-init.mp4"), mediaURL(hls + "-seg-00000.m4s"), trackPlaylistURL(tr), trackURL(tr)}
	}
	draftTrack := addTrack(t, e, draft.ID, "ru", track.StatusApproved, true, "Держитесь, жители Пусана!")
	for _, path := range append([]string{"/ko/videos/" + itoa64(draft.ID), mediaURL(draft.Renditions[0].Key), mediaURL(draft.PosterKey)},
		media(draft, draftTrack)...) {
		if resp, _ := c.get(path); resp.StatusCode != http.StatusNotFound {
			t.Errorf("draft %s: %d, want 404", path, resp.StatusCode)
		}
	}
	// Unlisted: reachable by its link, absent from the index.
	if resp, _ := c.get("/ko/videos/" + itoa64(unlisted.ID)); resp.StatusCode != http.StatusOK {
		t.Errorf("unlisted by link: %d", resp.StatusCode)
	}
	if _, body := c.get("/ko/videos"); strings.Contains(body, "링크로만") || strings.Contains(body, "Видеообращение") {
		t.Errorf("index lists an unpublished or unlisted video")
	}
	// Withdrawn after it was watched: its presentation, served a moment ago, is gone too.
	unlistedTrack := addTrack(t, e, unlisted.ID, "ko", track.StatusApproved, true, "부산 시민 여러분, 힘내세요!")
	for _, path := range media(unlisted, unlistedTrack) {
		if resp, _ := c.get(path); resp.StatusCode != http.StatusOK {
			t.Fatalf("unlisted %s: %d, want 200", path, resp.StatusCode)
		}
	}
	e.inTx(func(tx *sql.Tx) error {
		return video.SetState(context.Background(), tx, unlisted, video.StateWithdrawn, fixedNow)
	})
	for _, path := range media(unlisted, unlistedTrack) {
		if resp, _ := c.get(path); resp.StatusCode != http.StatusNotFound {
			t.Errorf("withdrawn %s: %d, want 404", path, resp.StatusCode)
		}
	}
}

func TestAdminVideoStateChange(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	_, _, p := seedVladivostok(t, e)
	v := seedVideo(t, e, p, video.StateDraft, ruOnly)
	editor := e.userClient(auth.RoleEditor)
	_, list := editor.get("/admin/videos")
	if !strings.Contains(list, "Видеообращение") || !strings.Contains(list, "/admin/videos/"+itoa64(v.ID)+"/state") {
		t.Fatalf("admin list: %s", list)
	}
	post := func(state string, version int64) *http.Response {
		resp, _ := editor.post("/admin/videos/"+itoa64(v.ID)+"/state", url.Values{"state": {state}, "version": {strconv.FormatInt(version, 10)}})
		return resp
	}
	if resp := post(video.StateUnlisted, v.Version); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("draft → unlisted: %d, want 422", resp.StatusCode)
	}
	if resp := post(video.StateInReview, v.Version); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("draft → in review: %d", resp.StatusCode)
	}
	if resp := post(video.StatePublished, v.Version); resp.StatusCode != http.StatusConflict {
		t.Errorf("stale version: %d, want 409", resp.StatusCode)
	}
	if resp := post("nonsense", v.Version+1); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("unknown state: %d, want 400", resp.StatusCode)
	}
	if resp := post(video.StatePublished, v.Version+1); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("in review → published: %d", resp.StatusCode)
	}
	got, _ := video.Get(context.Background(), e.db.R, v.ID)
	if got.State != video.StatePublished || !got.PublishedAt.Equal(fixedNow) {
		t.Errorf("after publishing: %s %v", got.State, got.PublishedAt)
	}
	entries, err := authtest.AuditLog(context.Background(), e.db.R, auth.EntityVideo, 10, 0)
	if err != nil || len(entries) != 2 {
		t.Errorf("audit entries: %d %v", len(entries), err)
	}
}

// TestBrowserWatchPagePlays opens the watch page in Chromium: the <video> element must load
// the default rendition far enough to show a frame, and the page must pass the audit.
func TestBrowserWatchPagePlays(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	_, _, p := seedVladivostok(t, e)
	v := seedVideo(t, e, p, video.StatePublished, ruOnly)
	// Processed before HLS: the MP4 renditions are the player's sources (video_hls_test.go has
	// the streaming).
	e.inTx(func(tx *sql.Tx) error {
		_, err := tx.Exec("UPDATE video_renditions SET hls_key = '' WHERE video_id = $1", v.ID)
		return err
	})
	ctx := webtest.Browser(t)
	page := e.ts.URL + "/ko/videos/" + itoa64(v.ID)
	auditPage(t, ctx, page)
	waitReady := func(wantSrc string) {
		t.Helper()
		polltest.Until(t, "the player to have data (readyState ≥ 2, HAVE_CURRENT_DATA) of "+wantSrc, func() (bool, string) {
			state, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.getElementById("player").readyState`))
			if err != nil {
				t.Fatal(err)
			}
			src, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("player").currentSrc`))
			return state >= 2 && strings.HasSuffix(src, wantSrc), fmt.Sprintf("readyState %d on %s", state, src)
		})
	}
	waitReady(mediaURL(v.Default().Key))
	// The rendition choice switches the source, and the smaller file plays too.
	small := mediaURL(v.Renditions[0].Key)
	_, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](`(() => { const s = document.getElementById("rendition");
		s.value = "`+small+`"; s.dispatchEvent(new Event("change")); })()`))
	if err != nil {
		t.Fatal(err)
	}
	waitReady(small)
	auditPage(t, ctx, e.ts.URL+"/ru/videos")
}
