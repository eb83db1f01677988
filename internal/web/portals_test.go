package web

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"sistercity/internal/auth"
	"sistercity/internal/fed"
	"sistercity/internal/polltest"
	"sistercity/internal/track"
	"sistercity/internal/video"
)

var partnerVideoLinkRe = regexp.MustCompile(`href="/(?:ko|ru|en)/partner-videos/(\d+)"`)

// TestSisterPortal runs two instances on loopback with real HTTP and real signatures. B's
// partnership with Vladivostok names A's actor; B follows A and A accepts. A publishes a video
// with titles in three languages and a Korean track: it appears on B's partner page and in B's
// index, in Russian on /ru/ and in Korean on /ko/, and B's page of it plays A's files with A's
// Korean track chosen on /ko/. A withdraws it and it goes from B; published again, it comes
// back, and A's change of its title reaches B.
func TestSisterPortal(t *testing.T) {
	t.Parallel()
	a, b := newFedEnv(t), newFedEnv(t)
	ctx := context.Background()
	_, vladivostok, ps := seedVladivostok(t, b)
	_, _, aps := seedVladivostok(t, a)
	// A runs in "authorized fetch" (Mastodon's secure mode): B's fetches of A's actor, outbox
	// and videos pass only because they are signed.
	if resp, body := a.userClient(auth.RoleAdmin).post("/admin/settings/federation", url.Values{"username": {"city"}, "authorized_fetch": {"on"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("A's authorized fetch: %d\n%s", resp.StatusCode, body)
	}

	editor := b.userClient(auth.RoleEditor)
	portalPath := "/admin/partnerships/" + itoa64(ps.ID) + "/portal"
	// Bad input is refused in the editor's language, nothing saved.
	editor.lang = "ru"
	for in, want := range map[string]string{
		"not a handle":         "Введите имя вида",
		"@city@127.0.0.1:1":    "не отвечает ни одна учётная запись",
		b.ts.URL + "/ap/actor": "Это учётная запись самого этого сайта.",
	} {
		resp, body := editor.post(portalPath, url.Values{"actor": {in}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, want) {
			t.Errorf("actor %q: %d, want 422 with %q", in, resp.StatusCode, want)
		}
	}
	if n := b.countRows("partner_actors"); n != 0 {
		t.Fatalf("%d partner actors saved from refused input", n)
	}
	if resp, body := editor.post(portalPath, url.Values{"actor": {a.ts.URL + "/ap/actor"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("set partner actor: %d\n%s", resp.StatusCode, body)
	}
	polltest.Until(t, "A accepts B's follow", func() (bool, string) {
		var st string
		_ = b.db.R.QueryRow("SELECT state FROM partner_actors WHERE partnership_id = $1", ps.ID).Scan(&st)
		return st == "accepted", "state " + st
	})
	if _, body := editor.get(portalPath); !strings.Contains(body, "Принята партнёром") {
		t.Errorf("admin page without the accepted follow:\n%s", body)
	}

	// A names B as its partner's portal too: A's deliveries to B are then the video reaching a
	// partner instance in A's publication log.
	if resp, body := a.userClient(auth.RoleEditor).post("/admin/partnerships/"+itoa64(aps.ID)+"/portal", url.Values{"actor": {b.ts.URL + "/ap/actor"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("A sets B's actor: %d\n%s", resp.StatusCode, body)
	}

	sender, err := NewOutboxSender(a.db, a.srv.fed, a.srv.cfg.BaseURL, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	v := seedVideo(t, a, aps, video.StatePublished,
		video.Text{Lang: "ko", Title: "부산 응원 영상", Description: "블라디보스토크가 부산을 응원합니다."},
		video.Text{Lang: "ru", Title: "Видеообращение Владивостока", Description: "Владивосток поддерживает Пусан."},
		video.Text{Lang: "en", Title: "Vladivostok's support video"})
	addTrack(t, a, v.ID, "ko", track.StatusApproved, false, "부산", "힘내세요")
	addTrack(t, a, v.ID, "ru", track.StatusApproved, false, "Пусан", "Держитесь")
	if _, err := sender.SendOnce(ctx); err != nil {
		t.Fatal(err)
	}

	c := b.client()
	partnerPage := "/" + "ru" + "/partners/" + itoa64(vladivostok.ID)
	polltest.Until(t, "A's video on B's partner page", func() (bool, string) {
		_, body := c.get(partnerPage)
		return strings.Contains(body, "Видеообращение Владивостока"), "not yet"
	})
	if resp, _ := a.getAccept("/ap/videos/"+itoa64(v.ID), fed.ContentType); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("unsigned fetch of A's video: %d, want 401", resp.StatusCode)
	}
	bHost := strings.TrimPrefix(b.ts.URL, "http://")
	polltest.Until(t, "A's publication log to record the delivery to B as a partner instance", func() (bool, string) {
		var channel, status string
		_ = a.db.R.QueryRow("SELECT channel, status FROM publication_log WHERE video_id = $1 AND name = $2", v.ID, bHost).Scan(&channel, &status)
		return channel == "partner" && status == "ok", channel + " " + status
	})
	_, ko := c.get("/ko/partners/" + itoa64(vladivostok.ID))
	if !strings.Contains(ko, "부산 응원 영상") || !strings.Contains(ko, "블라디보스토크 누리집의 영상") {
		t.Errorf("ko partner page without A's Korean title:\n%s", ko)
	}
	_, index := c.get("/ru/videos")
	if !strings.Contains(index, "От наших партнёров") || !strings.Contains(index, "Видеообращение Владивостока") {
		t.Errorf("ru index without the partner video:\n%s", index)
	}
	m := partnerVideoLinkRe.FindStringSubmatch(ko)
	if m == nil {
		t.Fatalf("no link to the partner video:\n%s", ko)
	}
	// B's page of it plays A's renditions with A's Korean track chosen for a Korean visitor; the
	// poster is B's cached copy; the description, attribution and link to the original are there.
	resp, watch := c.get("/ko/partner-videos/" + m[1])
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("partner video page: %d", resp.StatusCode)
	}
	koTrack := regexp.MustCompile(`<track kind="subtitles" src="` + regexp.QuoteMeta(a.ts.URL) + `/media/tracks/[^"]+" srclang="ko" label="[^"]+" default>`)
	if !koTrack.MatchString(watch) || !strings.Contains(watch, `<source src="`+a.ts.URL+`/media/videos/`+itoa64(v.ID)+`/`) ||
		!strings.Contains(watch, "블라디보스토크가 부산을 응원합니다.") || !strings.Contains(watch, `href="`+a.ts.URL+`/ko/videos/`+itoa64(v.ID)+`"`) {
		t.Errorf("partner video page:\n%s", watch)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "media-src 'self' blob: "+a.ts.URL) {
		t.Errorf("CSP does not let the player reach A: %s", csp)
	}
	poster := regexp.MustCompile(`poster="(/media/partners/[0-9a-f]+\.jpg)"`).FindStringSubmatch(watch)
	if poster == nil {
		t.Fatalf("no cached poster:\n%s", watch)
	}
	if resp, _ := c.get(poster[1]); resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/jpeg" {
		t.Errorf("cached poster: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	// A's track answers B's player across origins.
	trackURL := regexp.MustCompile(`src="(` + regexp.QuoteMeta(a.ts.URL) + `/media/tracks/[^"]+)" srclang="ko"`).FindStringSubmatch(watch)[1]
	req, _ := http.NewRequest(http.MethodGet, trackURL, nil)
	req.Header.Set("Origin", b.ts.URL)
	if tr, err := http.DefaultClient.Do(req); err != nil || tr.StatusCode != 200 || tr.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("A's track without CORS: %v %v", err, tr)
	} else {
		tr.Body.Close()
	}

	setState(t, a, v.ID, video.StateWithdrawn)
	if _, err := sender.SendOnce(ctx); err != nil {
		t.Fatal(err)
	}
	polltest.Until(t, "the withdrawn video gone from B", func() (bool, string) {
		_, body := c.get(partnerPage)
		return !strings.Contains(body, "Видеообращение Владивостока"), "still shown"
	})
	if resp, _ := c.get("/ko/partner-videos/" + m[1]); resp.StatusCode != http.StatusNotFound {
		t.Errorf("withdrawn partner video page: %d", resp.StatusCode)
	}
	if _, body := c.get("/ru/videos"); strings.Contains(body, "От наших партнёров") {
		t.Errorf("index still shows partner videos")
	}

	// Published again, it comes back: the Delete remembered does not stop a newer Create.
	setState(t, a, v.ID, video.StateDraft, video.StateInReview, video.StatePublished)
	if _, err := sender.SendOnce(ctx); err != nil {
		t.Fatal(err)
	}
	polltest.Until(t, "the video published again on B", func() (bool, string) {
		_, body := c.get(partnerPage)
		return strings.Contains(body, "Видеообращение Владивостока"), "not yet"
	})
	// A changes the Russian title: its Update reaches B, which shows the new one.
	const newTitle = "Владивосток поддерживает Пусан"
	a.inTx(func(tx *sql.Tx) error {
		cur, err := video.Get(ctx, tx, v.ID)
		if err != nil {
			return err
		}
		for i := range cur.Texts {
			if cur.Texts[i].Lang == "ru" {
				cur.Texts[i].Title = newTitle
			}
		}
		return video.Update(ctx, tx, cur)
	})
	if n, err := sender.SendOnce(ctx); err != nil || n != 1 {
		t.Fatalf("send the Update: %d activities, %v", n, err)
	}
	polltest.Until(t, "A's new Russian title on B", func() (bool, string) {
		_, body := c.get(partnerPage)
		return strings.Contains(body, newTitle) && !strings.Contains(body, "Видеообращение Владивостока"), "not yet"
	})
	// A block of A's server removes what it delivered.
	b.inTx(func(tx *sql.Tx) error {
		_, err := fed.BlockDomain(ctx, tx, fed.DomainBlock{Domain: strings.TrimPrefix(a.ts.URL, "http://"), Severity: fed.SeverityReject, CreatedAt: fixedNow})
		return err
	})
	if _, body := c.get(partnerPage); strings.Contains(body, newTitle) || b.countRows("remote_videos") != 0 {
		t.Errorf("blocked partner's video still shown")
	}
}

// TestSisterPortalOnlyPartners: a Video from an actor no partnership names is not a partner
// video, and a partner's Create of an object on another host is refused.
func TestSisterPortalOnlyPartners(t *testing.T) {
	t.Parallel()
	b := newFedEnv(t)
	_, _, ps := seedVladivostok(t, b)
	partner, stranger := newFollower(t, "Vladivostok"), newFollower(t, "Mallory")
	// As if the editor had named the partner and it had accepted.
	b.inTx(func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO partner_actors (partnership_id, actor_id, follow_id, state, set_at) VALUES ($1, $2, $3, 'accepted', $4)`,
			ps.ID, partner.id(), b.ts.URL+"/ap/actor#follows/1", fixedNow)
		return err
	})
	create := func(f *follower, objectID string) map[string]any {
		return map[string]any{"id": f.id() + "#create/1", "type": "Create", "actor": f.id(),
			"object": map[string]any{"id": objectID, "type": "Video", "name": "<b>x</b>"}}
	}
	if got := stranger.send(b, "/ap/inbox", create(stranger, stranger.ts.URL+"/videos/1")); got != http.StatusAccepted {
		t.Fatalf("stranger's Create: %d", got)
	}
	if got := partner.send(b, "/ap/inbox", create(partner, stranger.ts.URL+"/videos/1")); got != http.StatusForbidden {
		t.Fatalf("partner's Create of a foreign object: %d", got)
	}
	if n := b.countJobs("portal.fetch"); n != 0 {
		t.Fatalf("%d fetches enqueued", n)
	}
	if got := partner.send(b, "/ap/inbox", create(partner, partner.ts.URL+"/videos/1")); got != http.StatusAccepted {
		t.Fatalf("partner's Create: %d", got)
	}
	if n := b.countJobs("portal.fetch"); n != 1 {
		t.Fatalf("%d fetches enqueued for the partner's video", n)
	}
}

// countJobs counts the jobs of kind enqueued, whatever became of them.
func (e *testEnv) countJobs(kind string) int {
	e.t.Helper()
	var n int
	if err := e.db.R.QueryRow("SELECT COUNT(*) FROM river_job WHERE kind = $1", kind).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}
