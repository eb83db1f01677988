package main

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	ics "github.com/arran4/golang-ical"
)

// demoClient is an HTTP client with cookies that does not follow redirects.
type demoClient struct {
	t    *testing.T
	base string
	c    *http.Client
}

func (b *demoClient) get(path string) (int, string) {
	b.t.Helper()
	resp, err := b.c.Get(b.base + path)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func (b *demoClient) signIn(username, password string) {
	b.t.Helper()
	_, page := b.get("/admin/sign-in")
	m := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`).FindStringSubmatch(page)
	if m == nil {
		b.t.Fatal("no CSRF token on the sign-in page")
	}
	resp, err := b.c.PostForm(b.base+"/admin/sign-in", url.Values{"csrf_token": {m[1]}, "username": {username}, "password": {password}})
	if err != nil {
		b.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		b.t.Fatalf("sign in: %d", resp.StatusCode)
	}
}

// TestDemoExchange starts with --demo and finds the story's exchange programme: the dashboard
// from January 2020 lists Vladivostok's 160th and the 30th of Korea–Russia relations; Busan Day
// shows its switch to online with the reason; /ko/calendar.ics has the yearly anniversary of
// the Busan–Vladivostok partnership. A second start adds nothing.
func TestDemoExchange(t *testing.T) {
	t.Parallel()
	args := append(dbArgs(t), "--demo")
	base, stdout, stop := startServe(t, args...)
	m := regexp.MustCompile(`password: (\S+)`).FindStringSubmatch(stdout.String())
	if m == nil {
		t.Fatalf("no admin password printed:\n%s", stdout.String())
	}
	jar, _ := cookiejar.New(nil)
	b := &demoClient{t: t, base: base, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
	b.signIn("admin", m[1])

	status, body := b.get("/admin/dashboard?from=2020-01-01&lang=en")
	if status != http.StatusOK {
		t.Fatalf("dashboard: %d", status)
	}
	for _, re := range []string{
		`datetime="2020-07-02">2 July 2020</time></td>\s*<th scope="row"><span>Vladivostok: 160 years since its founding</span> <strong class="badge">Round anniversary</strong>`,
		`datetime="2020-09-30">30 September 2020</time></td>\s*<th scope="row"><span>South Korea – Russia: 30 years of diplomatic relations</span> <strong class="badge">Round anniversary</strong>`,
		`Busan Day in Vladivostok`,
	} {
		if !regexp.MustCompile(re).MatchString(body) {
			t.Errorf("the dashboard from 2020-01-01 lacks %s", re)
		}
	}

	_, list := b.get("/admin/activities?lang=en")
	if !strings.Contains(list, "6 activities, latest first") {
		t.Errorf("demo activities:\n%s", list)
	}
	link := regexp.MustCompile(`<a href="(/admin/activities/[0-9]+)">Busan Day in Vladivostok</a>`).FindStringSubmatch(list)
	if link == nil {
		t.Fatal("no Busan Day in the list")
	}
	_, page := b.get(link[1] + "?lang=en")
	for _, want := range []string{
		"Switched to online on 10 July 2020.",
		"Reason: COVID-19: the event could not be held face to face and switched to non-face-to-face exchanges.",
		`<option value="in_person" selected>In person</option>`, // the mode first planned
		"Eurasian campaign for the 30th anniversary of Korea–Russia diplomatic relations",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("Busan Day's page lacks %q", want)
		}
	}
	history := page[strings.Index(page, `id="history"`):]
	if !regexp.MustCompile(`(?s)Planned</td>.*Switched to online</td><td>COVID-19`).MatchString(history) {
		t.Errorf("Busan Day's history is not planned → switched to online with the reason")
	}

	status, feed := b.get("/ko/calendar.ics")
	if status != http.StatusOK {
		t.Fatalf("/ko/calendar.ics: %d", status)
	}
	cal, err := ics.ParseCalendar(strings.NewReader(feed))
	if err != nil {
		t.Fatalf("/ko/calendar.ics does not parse: %v", err)
	}
	found := false
	for _, ev := range cal.Events() {
		start := ev.GetProperty(ics.ComponentPropertyDtStart)
		rule := ev.GetProperty(ics.ComponentPropertyRrule)
		summary := ev.GetProperty(ics.ComponentPropertySummary)
		if start != nil && start.Value == "19920630" && rule != nil && strings.HasPrefix(rule.Value, "FREQ=YEARLY") &&
			summary != nil && strings.Contains(summary.Value, "블라디보스토크") {
			found = true
		}
	}
	if !found {
		t.Error("/ko/calendar.ics lacks the yearly anniversary of the Busan–Vladivostok partnership (30 June)")
	}
	_, audit := b.get("/admin/audit?lang=en")
	if code := stop(); code != 0 {
		t.Fatalf("serve exited with %d", code)
	}

	// A second start changes nothing: the same activities, no new audit entries. The session
	// lives in the database, so the demoClient is still signed in.
	base, _, _ = startServe(t, args...)
	b.base = base
	if _, list := b.get("/admin/activities?lang=en"); !strings.Contains(list, "6 activities, latest first") {
		t.Error("the second start changed the activities")
	}
	if _, again := b.get("/admin/audit?lang=en"); strings.Count(again, "<tr") != strings.Count(audit, "<tr") {
		t.Error("the second start wrote to the audit log")
	}
}
