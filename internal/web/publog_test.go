package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"sistercity/internal/auth"
	"sistercity/internal/auth/authtest"
	"sistercity/internal/publog"
	"sistercity/internal/video"
)

const browserUA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"

// TestPublicationLogScreen: publishing a video at once records "published on the site"; the
// log's screen shows it to every role, editors record channels by hand (a javascript: link is
// refused with a message and nothing saved, an http link is saved), viewers only read, and the
// CSV export carries every entry with a typed name that looks like a formula quoted.
func TestPublicationLogScreen(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	_, _, p := seedVladivostok(t, e)
	v := seedVideo(t, e, p, video.StateDraft, ruOnly)
	editor := e.userClient(auth.RoleEditor)
	viewer := e.userClient(auth.RoleViewer)
	base := "/admin/videos/" + itoa64(v.ID)
	for i, st := range []string{video.StateInReview, video.StatePublished} {
		if resp, body := editor.post(base+"/state", url.Values{"state": {st}, "version": {itoa64(v.Version + int64(i))}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("→ %s: %d\n%s", st, resp.StatusCode, body)
		}
	}
	es, err := publog.List(context.Background(), e.db.R, v.ID)
	if err != nil || len(es) != 1 || es[0].Channel != publog.ChannelSite || !es[0].At.Equal(fixedNow) {
		t.Fatalf("log after publishing: %+v %v", es, err)
	}

	resp, page := viewer.get(base + "/publications")
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "This site&#39;s video index") || strings.Contains(page, `name="name"`) {
		t.Fatalf("viewer's log page: %d\n%s", resp.StatusCode, page)
	}
	if resp, _ := viewer.post(base+"/publications", url.Values{"name": {"Instagram"}, "date": {"2020-07-10"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("viewer records a channel: %d, want 403", resp.StatusCode)
	}
	if resp, _ := e.client().get(base + "/publications"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("anonymous log page: %d, want 303 to sign-in", resp.StatusCode)
	}

	resp, page = editor.post(base+"/publications", url.Values{"name": {"Busan's YouTube channel"}, "date": {"2020-07-10"},
		"url": {"javascript:alert(document.cookie)"}, "lang": {"ko"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "must be a web address beginning with http:// or https://") {
		t.Fatalf("javascript: link: %d\n%s", resp.StatusCode, page)
	}
	if strings.Contains(page, `href="javascript:`) {
		t.Error("the refused link became a link")
	}
	if es, _ := publog.List(context.Background(), e.db.R, v.ID); len(es) != 1 {
		t.Fatalf("a refused entry was saved: %+v", es)
	}
	for _, f := range []url.Values{
		{"name": {"Busan's YouTube channel"}, "date": {"2020-07-12"}, "url": {"http://www.youtube.com/watch?v=x"}, "lang": {"ko"}},
		{"name": {"=HYPERLINK(\"http://evil.example\")"}, "date": {"2020-07-13"}},
	} {
		if resp, body := editor.post(base+"/publications", f); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("record %v: %d\n%s", f, resp.StatusCode, body)
		}
	}
	_, page = viewer.get(base + "/publications")
	for _, want := range []string{`<a href="http://www.youtube.com/watch?v=x" rel="noopener noreferrer">Busan&#39;s YouTube channel</a>`,
		"Recorded by hand", "u-editor", "12 July 2020"} {
		if !strings.Contains(page, want) {
			t.Errorf("log page lacks %s", want)
		}
	}
	es, _ = publog.List(context.Background(), e.db.R, v.ID)
	if len(es) != 3 || es[1].URL != "http://www.youtube.com/watch?v=x" || es[1].Lang != "ko" {
		t.Fatalf("entries: %+v", es)
	}
	entries, err := authtest.AuditLog(context.Background(), e.db.R, auth.EntityPublication, 10, 0)
	if err != nil || len(entries) != 2 {
		t.Errorf("audit entries: %d %v", len(entries), err)
	}

	resp, csv := viewer.get(base + "/publications.csv")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" {
		t.Fatalf("CSV: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	lines := strings.Split(strings.TrimSpace(strings.TrimPrefix(csv, "\ufeff")), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[1], "site,Site,This site's video index,,http") ||
		!strings.HasPrefix(lines[2], "manual,Recorded by hand,Busan's YouTube channel,ko,http://www.youtube.com/watch?v=x,2020-07-12T00:00:00Z,ok,,u-editor") ||
		!strings.HasPrefix(lines[3], `manual,Recorded by hand,"'=HYPERLINK(""http://evil.example"")"`) {
		t.Errorf("CSV:\n%s", csv)
	}

	// A viewer cannot take an entry back; an editor can, only a hand-recorded one.
	del := func(c *client, id int64) int {
		resp, _ := c.post(fmt.Sprintf("%s/publications/%d/delete", base, id), nil)
		return resp.StatusCode
	}
	if got := del(viewer, es[2].ID); got != http.StatusForbidden {
		t.Errorf("viewer deletes: %d", got)
	}
	if got := del(editor, es[0].ID); got != http.StatusNotFound {
		t.Errorf("deleting the site entry: %d, want 404", got)
	}
	if got := del(editor, es[2].ID); got != http.StatusSeeOther {
		t.Errorf("editor deletes: %d", got)
	}
}

var beaconTokenRe = regexp.MustCompile(`data-beacon-video="(\d+)" data-beacon-channel="site" data-beacon-token="([^"]+)"`)

// beaconer posts beacons as a browser's sendBeacon does.
type beaconer struct {
	e     *testEnv
	video int64
	token string
}

func newBeaconer(t *testing.T, e *testEnv, v *video.Video) *beaconer {
	t.Helper()
	_, page := e.client().get("/ru/videos/" + itoa64(v.ID))
	m := beaconTokenRe.FindStringSubmatch(page)
	if m == nil || m[1] != itoa64(v.ID) {
		t.Fatalf("the watch page has no beacon attributes:\n%s", page)
	}
	if !strings.Contains(page, `src="/static/beacon.`) {
		t.Error("the watch page does not load beacon.js")
	}
	return &beaconer{e: e, video: v.ID, token: m[2]}
}

func (b *beaconer) send(form url.Values, header map[string]string) {
	b.e.t.Helper()
	for k, v := range map[string]string{"v": itoa64(b.video), "c": "site", "t": b.token} {
		if _, ok := form[k]; !ok {
			form.Set(k, v)
		}
	}
	req, err := http.NewRequest("POST", b.e.ts.URL+"/beacon", strings.NewReader(form.Encode()))
	if err != nil {
		b.e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", browserUA)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.e.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent || len(resp.Cookies()) > 0 {
		b.e.t.Errorf("beacon %v: %d with %d cookies, want 204 and none", form, resp.StatusCode, len(resp.Cookies()))
	}
}

func figuresOf(t *testing.T, e *testEnv, id int64) *publog.Figures {
	t.Helper()
	f, err := publog.VideoFigures(context.Background(), e.db.R, id)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestBeaconCounts: a view is counted with its subtitle language and quarters; a bot, a
// prefetch, a forged or foreign token, an unknown video and nonsense are not, all answered 204
// alike; an embed is counted under its domain and logged once, a hostile referrer as
// "unknown"; the tables keep no address and no user agent; the figures show on the video's
// admin page and on the statistics page.
func TestBeaconCounts(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	_, _, p := seedVladivostok(t, e)
	v := seedVideo(t, e, p, video.StatePublished, ruOnly)
	b := newBeaconer(t, e, v)
	b.send(url.Values{"e": {"view"}, "lang": {"ru"}}, nil)
	b.send(url.Values{"e": {"quartile"}, "q": {"25"}}, nil)
	b.send(url.Values{"e": {"subtitles"}, "lang": {"ko"}}, nil)
	// Not counted:
	b.send(url.Values{"e": {"view"}}, map[string]string{"User-Agent": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"})
	b.send(url.Values{"e": {"view"}}, map[string]string{"User-Agent": ""})
	b.send(url.Values{"e": {"view"}}, map[string]string{"Sec-Purpose": "prefetch;prerender"})
	b.send(url.Values{"e": {"view"}}, map[string]string{"Purpose": "prefetch"})
	b.send(url.Values{"e": {"view"}, "t": {"forged" + b.token[6:]}}, nil)
	b.send(url.Values{"e": {"view"}, "c": {"embed"}}, nil) // the site's token is not an embed's
	b.send(url.Values{"e": {"view"}, "v": {"999999"}, "t": {e.srv.beaconToken(999999, "site")}}, nil)
	b.send(url.Values{"e": {"quartile"}, "q": {"1000"}}, nil)
	b.send(url.Values{"e": {"quartile"}, "q": {"-25"}}, nil)
	b.send(url.Values{"e": {"view"}, "lang": {strings.Repeat("x", 3000)}}, nil)
	b.send(url.Values{"e": {"rewind"}}, nil)

	f := figuresOf(t, e, v.ID)
	if f.Total != 1 || len(f.Channels) != 1 || f.Channels[0].Q25 != 1 || f.Channels[0].Q50 != 0 {
		t.Errorf("figures: %+v", f)
	}
	langs := map[string]int64{}
	for _, l := range f.Subtitles {
		langs[l.Lang] = l.Views
	}
	if len(langs) != 2 || langs["ru"] != 1 || langs["ko"] != 1 {
		t.Errorf("subtitles: %+v", f.Subtitles)
	}

	// Embeds: the token is the embed page's; the referrer names the embedding site.
	embed := url.Values{"c": {"embed"}, "t": {e.srv.beaconToken(v.ID, "embed")}, "e": {"view"}}
	for _, ref := range []string{"https://partner.example.org/news/1", "https://partner.example.org/", "https://<script>alert(1)</script>/",
		"https://" + strings.Repeat("a", 1900) + ".example/", ""} {
		f := url.Values{}
		for k, v := range embed {
			f[k] = v
		}
		f.Set("ref", ref)
		b.send(f, nil)
	}
	f = figuresOf(t, e, v.ID)
	views := map[string]int64{}
	for _, c := range f.Channels {
		views[c.Channel+" "+c.Domain] = c.Views
	}
	if views["embed partner.example.org"] != 2 || views["embed unknown"] != 3 || views["site "] != 1 {
		t.Errorf("views by channel: %v", views)
	}
	es, _ := publog.List(context.Background(), e.db.R, v.ID)
	var logged []string
	for _, en := range es {
		if en.Channel == publog.ChannelEmbed {
			logged = append(logged, fmt.Sprintf("%s=%d", en.Name, en.Count))
		}
	}
	if strings.Join(logged, " ") != "partner.example.org=2 unknown=3" {
		t.Errorf("embeds in the log: %v", logged)
	}

	// Nothing in the tables names the viewer.
	for _, table := range []string{"video_views", "video_view_subtitles", "publication_log"} {
		rows, err := e.db.R.Query("SELECT * FROM " + table)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for _, c := range cols {
			if strings.Contains(c, "ip") && c != "recorded_by" || strings.Contains(c, "agent") || strings.Contains(c, "addr") {
				t.Errorf("%s has a column %s", table, c)
			}
		}
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for i, val := range vals {
				s := fmt.Sprint(val)
				if b, ok := val.([]byte); ok {
					s = string(b)
				}
				if strings.Contains(s, "127.0.0.1") || strings.Contains(s, "Mozilla") || strings.Contains(s, "<script") {
					t.Errorf("%s.%s holds %q", table, cols[i], s)
				}
			}
		}
		rows.Close()
	}

	// Shown: on the video's admin page, its log, and summed on the statistics page.
	viewer := e.userClient(auth.RoleViewer)
	_, page := viewer.get("/admin/videos/" + itoa64(v.ID))
	for _, want := range []string{"Viewing figures", "6 views in all.", "partner.example.org", "Unknown site", "Korean", "/admin/videos/" + itoa64(v.ID) + "/publications"} {
		if !strings.Contains(page, want) {
			t.Errorf("admin video page lacks %q", want)
		}
	}
	_, page = viewer.get("/admin/videos/" + itoa64(v.ID) + "/publications")
	if !strings.Contains(page, "partner.example.org") || strings.Contains(page, "<script>alert") {
		t.Errorf("log page: embed missing or a referrer unescaped")
	}
	_, page = e.client().get("/en/statistics")
	for _, want := range []string{"Views of published videos by partner city", "Views of published videos by subtitle language",
		"Russian", "No subtitles", "/en/statistics/views-by-language.csv"} {
		if !strings.Contains(page, want) {
			t.Errorf("statistics page lacks %q", want)
		}
	}
	_, csv := e.client().get("/en/statistics/views-by-language.csv")
	if !strings.Contains(csv, "ru,Russian,1,1") || !strings.Contains(csv, "off,No subtitles,5,5") {
		t.Errorf("views by language CSV:\n%s", csv)
	}
	_, csv = e.client().get("/en/statistics/views-by-partner.csv")
	if !strings.Contains(csv, "Vladivostok,6,6") {
		t.Errorf("views by partner CSV:\n%s", csv)
	}
}

// TestBeaconFlood: one address gets beaconBurst beacons counted and no more (the test's clock
// stands still, so its bucket never refills), each answered 204.
func TestBeaconFlood(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	_, _, p := seedVladivostok(t, e)
	v := seedVideo(t, e, p, video.StatePublished, ruOnly)
	b := newBeaconer(t, e, v)
	for range beaconBurst + 40 {
		b.send(url.Values{"e": {"view"}}, nil)
	}
	if f := figuresOf(t, e, v.ID); f.Total != beaconBurst {
		t.Errorf("%d views counted of a flood, want %d", f.Total, beaconBurst)
	}
	// A body over the limit is dropped too, quietly.
	b.send(url.Values{"e": {"view"}, "pad": {strings.Repeat("x", beaconMaxBody)}}, nil)
}

// TestFeedServedThroughServer: the recorder the feed handler calls records each video once.
func TestFeedServedThroughServer(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	_, _, p := seedVladivostok(t, e)
	v := seedVideo(t, e, p, video.StatePublished, ruOnly)
	// Served three times and once more in another feed: one entry per feed, each at the time
	// of its first serving.
	for _, path := range []string{"/ru/videos/feed.rss", "/ru/videos/feed.rss", "/ru/videos/feed.rss", "/videos/feed.json"} {
		if resp, _ := feedGet(t, e, path, nil); resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d", path, resp.StatusCode)
		}
	}
	es, err := publog.List(context.Background(), e.db.R, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	feeds := map[string]string{}
	for _, en := range es {
		if en.Channel == publog.ChannelFeed {
			if _, dup := feeds[en.Name]; dup {
				t.Errorf("feed %s logged twice", en.Name)
			}
			feeds[en.Name] = en.Lang
		}
	}
	if len(feeds) != 2 || feeds["/ru/videos/feed.rss"] != "ru" || feeds["/videos/feed.json"] != "" {
		t.Errorf("feed entries: %+v", es)
	}
}
