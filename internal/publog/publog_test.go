package publog_test

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"sistercity/internal/db"
	"sistercity/internal/db/dbtest"
	"sistercity/internal/publog"
)

var day1 = time.Date(2020, 7, 10, 9, 30, 0, 0, time.UTC)

// addVideo inserts a bare video row in state.
func addVideo(t *testing.T, d *db.DB, state string) int64 {
	t.Helper()
	var id int64
	err := d.InTx(context.Background(), func(tx *sql.Tx) error {
		return tx.QueryRowContext(context.Background(), `INSERT INTO videos (original_lang, state, created_at, updated_at)
			VALUES ('ru', $1, $2, $2) RETURNING id`, state, day1).Scan(&id)
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func list(t *testing.T, d *db.DB, id int64) []publog.Entry {
	t.Helper()
	es, err := publog.List(context.Background(), d.R, id)
	if err != nil {
		t.Fatal(err)
	}
	return es
}

func TestFeedServedRecordsOncePerFeed(t *testing.T) {
	t.Parallel()
	d := dbtest.Open(t)
	ctx := context.Background()
	a, b := addVideo(t, d, "published"), addVideo(t, d, "published")
	now := day1
	rec := publog.NewRecorder(func() time.Time { return now })
	for range 3 {
		if err := rec.FeedServed(ctx, d, []int64{a, b, 999999}, "/ru/videos.rss", "ru"); err != nil {
			t.Fatal(err)
		}
		now = now.Add(time.Hour)
	}
	// Another process (a fresh recorder) serving the same feed adds nothing either.
	if err := publog.NewRecorder(nil).FeedServed(ctx, d, []int64{a}, "/ru/videos.rss", "ru"); err != nil {
		t.Fatal(err)
	}
	if err := rec.FeedServed(ctx, d, []int64{a}, "/videos.atom", ""); err != nil {
		t.Fatal(err)
	}
	es := list(t, d, a)
	if len(es) != 2 {
		t.Fatalf("video a: %d entries, want 2: %+v", len(es), es)
	}
	if es[0].Channel != publog.ChannelFeed || es[0].Name != "/ru/videos.rss" || es[0].Lang != "ru" || !es[0].At.Equal(day1) {
		t.Errorf("first feed entry: %+v", es[0])
	}
	if es[1].Name != "/videos.atom" || es[1].Lang != "" {
		t.Errorf("second feed entry: %+v", es[1])
	}
	if n := len(list(t, d, b)); n != 1 {
		t.Errorf("video b: %d entries, want 1", n)
	}
}

func TestSitePublicationAndManualEntries(t *testing.T) {
	t.Parallel()
	d := dbtest.Open(t)
	ctx := context.Background()
	id := addVideo(t, d, "published")
	err := d.InTx(ctx, func(tx *sql.Tx) error { return publog.RecordSitePublication(ctx, tx, id, day1) })
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,x", "/relative", "ftp://x.org/", "http://", "https://user@x.org/"} {
		if _, errs := publog.ValidateManual(publog.Manual{Name: "Instagram", URL: bad, At: day1}, id, 0); !errs.Has("url") {
			t.Errorf("url %q accepted", bad)
		}
	}
	_, errs := publog.ValidateManual(publog.Manual{Name: " ", Lang: "not a tag", URL: "http://x.org/"}, id, 0)
	for _, f := range []string{"name", "lang", "at"} {
		if !errs.Has(f) {
			t.Errorf("no problem with %s: %v", f, errs)
		}
	}
	e, errs := publog.ValidateManual(publog.Manual{Name: "  Busan's official SNS ", URL: "http://www.instagram.com/busan", Lang: "KO", At: day1.Add(time.Hour)}, id, 0)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if err := d.InTx(ctx, func(tx *sql.Tx) error { return publog.Add(ctx, tx, e) }); err != nil {
		t.Fatal(err)
	}
	es := list(t, d, id)
	if len(es) != 2 || es[0].Channel != publog.ChannelSite || es[1].Channel != publog.ChannelManual {
		t.Fatalf("entries: %+v", es)
	}
	if m := es[1]; m.Name != "Busan's official SNS" || m.Lang != "ko" || m.URL != "http://www.instagram.com/busan" {
		t.Errorf("manual entry: %+v", m)
	}
	// Only a hand-recorded entry can be taken back.
	err = d.InTx(ctx, func(tx *sql.Tx) error { return publog.DeleteManual(ctx, tx, id, es[0].ID) })
	if !errors.Is(err, publog.ErrNotFound) {
		t.Errorf("deleting the site entry: %v", err)
	}
	if err := d.InTx(ctx, func(tx *sql.Tx) error { return publog.DeleteManual(ctx, tx, id, es[1].ID) }); err != nil {
		t.Fatal(err)
	}
	if n := len(list(t, d, id)); n != 1 {
		t.Errorf("%d entries after delete", n)
	}
}

func TestDomain(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"":                                   publog.Unknown,
		"https://Partner.Example.org/page?x": "partner.example.org",
		"http://127.0.0.1:8081/":             "127.0.0.1:8081",
		"http://[::1]:8080/":                 "[::1]:8080",
		"javascript:alert(1)":                publog.Unknown,
		"https://<script>.example/":          publog.Unknown,
		"https://exa mple.org/":              publog.Unknown,
		"https://" + strings.Repeat("a", 300) + ".org/": publog.Unknown,
		"https://x.org:99999999/":                       publog.Unknown,
		"https://user:pw@x.org/":                        publog.Unknown,
	} {
		if got, _ := publog.Domain(in); got != want {
			t.Errorf("Domain(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCountBeacons(t *testing.T) {
	t.Parallel()
	d := dbtest.Open(t)
	ctx := context.Background()
	id := addVideo(t, d, "published")
	draft := addVideo(t, d, "draft")
	rec := publog.NewRecorder(nil)
	count := func(b publog.Beacon, at time.Time) error { return rec.Count(ctx, d, b, at) }
	site := publog.Beacon{VideoID: id, Channel: publog.ViewSite, Event: publog.EventView, Lang: "ru"}
	// Counting leaves the data generation alone: a view does not empty the page cache.
	gen := d.Generation(ctx)
	defer func() {
		if g := d.Generation(ctx); g != gen {
			t.Errorf("counting views moved the data generation from %d to %d", gen, g)
		}
	}()
	for i := range 3 {
		if err := count(site, day1.Add(time.Duration(i)*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	if err := count(publog.Beacon{VideoID: id, Channel: publog.ViewSite, Event: publog.EventQuartile, Quartile: 50}, day1); err != nil {
		t.Fatal(err)
	}
	embed := publog.Beacon{VideoID: id, Channel: publog.ViewEmbed, Domain: "partner.example.org", Origin: "https://partner.example.org",
		Event: publog.EventView}
	for range 2 {
		if err := count(embed, day1.Add(24*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	for _, b := range []publog.Beacon{
		{VideoID: id, Channel: "tv", Event: publog.EventView},
		{VideoID: id, Channel: publog.ViewSite, Event: publog.EventQuartile, Quartile: 33},
		{VideoID: id, Channel: publog.ViewSite, Event: "click"},
		{VideoID: id, Channel: publog.ViewSite, Event: publog.EventSubtitles, Lang: "<b>"},
	} {
		if err := count(b, day1); !errors.Is(err, publog.ErrBadBeacon) {
			t.Errorf("%+v: %v, want ErrBadBeacon", b, err)
		}
	}
	for _, v := range []int64{draft, 999999} {
		if err := count(publog.Beacon{VideoID: v, Channel: publog.ViewSite, Event: publog.EventView}, day1); !errors.Is(err, publog.ErrUnknownVideo) {
			t.Errorf("video %d: %v, want ErrUnknownVideo", v, err)
		}
	}
	f, err := publog.VideoFigures(ctx, d.R, id)
	if err != nil {
		t.Fatal(err)
	}
	if f.Total != 5 || len(f.Channels) != 2 || f.Channels[0].Views != 3 || f.Channels[0].Q50 != 1 ||
		f.Channels[1].Domain != "partner.example.org" || f.Channels[1].Views != 2 {
		t.Errorf("figures: %+v", f)
	}
	if len(f.Days) != 2 || f.Days[0].Day != "2020-07-11" || f.Days[0].Embed != 2 || f.Days[1].Site != 3 {
		t.Errorf("days: %+v", f.Days)
	}
	langs := map[string]int64{}
	for _, l := range f.Subtitles {
		langs[l.Lang] = l.Views
	}
	if langs["ru"] != 3 || langs[publog.SubtitlesOff] != 2 {
		t.Errorf("subtitles: %+v", f.Subtitles)
	}
	// The first embed view made the embed's entry, with its views as its count.
	es := list(t, d, id)
	if len(es) != 1 || es[0].Channel != publog.ChannelEmbed || es[0].Name != "partner.example.org" || es[0].Count != 2 ||
		!es[0].At.Equal(day1.Add(24*time.Hour)) {
		t.Errorf("log: %+v", es)
	}
	years, err := publog.SubtitlesByYear(ctx, d.R)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(years, func(y publog.YearViews) bool { return y.Year == 2020 && y.Lang == "ru" && y.Views == 3 }) {
		t.Errorf("subtitles by year: %+v", years)
	}
}

// TestRecordDelivery: a delivery's attempts keep one entry per activity and server, brought up
// to date by each attempt; another server, or another activity, has its own.
func TestRecordDelivery(t *testing.T) {
	t.Parallel()
	d := dbtest.Open(t)
	ctx := context.Background()
	id := addVideo(t, d, "published")
	record := func(host, ref string, attempt int, status, detail string) {
		t.Helper()
		if err := d.InTx(ctx, func(tx *sql.Tx) error {
			return publog.RecordDelivery(ctx, tx, id, publog.ChannelFediverse, host, ref, attempt, status, detail, day1.Add(time.Duration(attempt)*time.Minute))
		}); err != nil {
			t.Fatal(err)
		}
	}
	create := "https://busan.example/ap/videos/1/activities/1"
	record("mastodon.example", create, 1, publog.StatusPending, "status 503")
	record("mastodon.example", create, 2, publog.StatusOK, "HTTP 2xx")
	record("gts.example", create, 1, publog.StatusFailed, "status 410")
	record("mastodon.example", create+"0", 1, publog.StatusOK, "HTTP 2xx")
	byName := map[string][]publog.Entry{}
	for _, e := range list(t, d, id) {
		if e.Channel != publog.ChannelFediverse {
			t.Fatalf("channel %q", e.Channel)
		}
		byName[e.Name] = append(byName[e.Name], e)
	}
	m := byName["mastodon.example"]
	if len(m) != 2 || len(byName["gts.example"]) != 1 || byName["gts.example"][0].Status != publog.StatusFailed {
		t.Fatalf("entries: %+v", byName)
	}
	var updated bool
	for _, e := range m {
		if e.Count == 2 && e.Status == publog.StatusOK && e.At.Equal(day1.Add(2*time.Minute)) {
			updated = true
		}
	}
	if !updated {
		t.Fatalf("the second attempt did not update its entry: %+v", m)
	}
	// A name from outside is bounded.
	record(strings.Repeat("x", 5000), create, 1, publog.StatusPending, strings.Repeat("y", 5000))
	for _, e := range list(t, d, id) {
		if len(e.Name) > publog.MaxName || len(e.Detail) > publog.MaxDetail {
			t.Fatalf("unbounded entry: %d, %d", len(e.Name), len(e.Detail))
		}
	}
}
