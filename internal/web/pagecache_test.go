package web

import (
	"context"
	"database/sql"
	"net/http"
	"strings"
	"testing"
	"time"

	"sistercity/internal/db"
	"sistercity/internal/polltest"
)

// TestPageCacheShowsEdits: an anonymous page is kept (a write that bypasses db.InTx does not
// show, proving the second answer came from the cache), and an edit in the admin shows on the
// very next anonymous request, with a new ETag, while a signed-in editor is never served from
// the cache.
func TestPageCacheShowsEdits(t *testing.T) {
	t.Parallel()
	f := newPublicFixture(t)
	e := f.e
	anon := e.client()
	page := "/en/partners/" + itoa64(f.spb)
	resp, before := anon.get(page)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("ETag") == "" {
		t.Fatalf("first view: %d %v", resp.StatusCode, resp.Header)
	}
	etag := resp.Header.Get("ETag")
	// Behind the application's back: no generation moves, so the kept page is still served.
	if _, err := e.db.W.ExecContext(context.Background(),
		"UPDATE city_texts SET description = 'Changed behind the cache.' WHERE city_id = $1 AND lang = 'en'", f.spb); err != nil {
		t.Fatal(err)
	}
	if resp, body := anon.get(page); body != before || resp.Header.Get("ETag") != etag {
		t.Fatalf("the second view was rendered again, not kept: %d", resp.StatusCode)
	}
	if resp, _ := anon.getWith(page, map[string]string{"If-None-Match": etag}); resp.StatusCode != http.StatusNotModified {
		t.Fatalf("kept page with its ETag: %d, want 304", resp.StatusCode)
	}
	resp, body := f.editor.post("/admin/cities/"+itoa64(f.spb), with(stPetersburgForm(), "version", "1", "description_en", "The Venice of the North."))
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit: %d\n%s", resp.StatusCode, body)
	}
	resp, body = anon.getWith(page, map[string]string{"If-None-Match": etag})
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "The Venice of the North.") || resp.Header.Get("ETag") == etag {
		t.Fatalf("after the edit: %d, ETag %s (was %s)", resp.StatusCode, resp.Header.Get("ETag"), etag)
	}
	// Kept again for the next visitor, compressed too.
	if resp, _ := anon.getWith(page, map[string]string{"Accept-Encoding": "gzip"}); resp.Header.Get("Content-Encoding") != "gzip" ||
		!strings.Contains(resp.Header.Get("Vary"), "Accept-Encoding") {
		t.Fatalf("gzip from the cache: %v", resp.Header)
	}
	// The signed-in editor's view of the same URL is private, never the kept page.
	if resp, _ := f.editor.get(page); resp.Header.Get("Cache-Control") != privateNoStore {
		t.Fatalf("signed-in view: %v", resp.Header)
	}
}

// TestSitemapKept: the sitemap, which lists every public video, is kept like a page (a write
// behind the application's back does not show) and made anew after an edit.
func TestSitemapKept(t *testing.T) {
	t.Parallel()
	f := newPublicFixture(t)
	anon := f.e.client()
	resp, before := anon.get(sitemapPath)
	if resp.StatusCode != http.StatusOK || !strings.Contains(before, "/videos/"+itoa64(f.video.ID)) {
		t.Fatalf("sitemap: %d\n%s", resp.StatusCode, before)
	}
	const behind = "Changed behind the cache"
	if _, err := f.e.db.W.ExecContext(context.Background(), "UPDATE video_texts SET title = $1 WHERE video_id = $2", behind, f.video.ID); err != nil {
		t.Fatal(err)
	}
	if _, body := anon.get(sitemapPath); body != before {
		t.Fatal("the second sitemap was made again, not kept")
	}
	f.e.inTx(func(tx *sql.Tx) error {
		_, err := tx.ExecContext(context.Background(), "UPDATE video_texts SET title = $1 WHERE video_id = $2", "Edited", f.video.ID)
		return err
	})
	if _, body := anon.get(sitemapPath); !strings.Contains(body, "<video:title>Edited</video:title>") || strings.Contains(body, behind) {
		t.Fatalf("after an edit the sitemap is not new:\n%s", body)
	}
}

// TestPageCacheAcrossServers runs two servers on one database, as two serve replicas: an edit
// made through one shows through the other, whose page was kept, within a generous bound.
func TestPageCacheAcrossServers(t *testing.T) {
	t.Parallel()
	f := newPublicFixture(t)
	other := openSameDB(t, f.e.db)
	e2 := newTestEnvOn(t, other)
	anon := e2.client()
	page := "/en/partners/" + itoa64(f.spb)
	if resp, body := anon.get(page); resp.StatusCode != http.StatusOK || strings.Contains(body, "The Venice of the North.") {
		t.Fatalf("before: %d", resp.StatusCode)
	}
	resp, body := f.editor.post("/admin/cities/"+itoa64(f.spb), with(stPetersburgForm(), "version", "1", "description_en", "The Venice of the North."))
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit: %d\n%s", resp.StatusCode, body)
	}
	polltest.Until(t, "the other server to show the edit", func() (bool, string) {
		_, body := anon.get(page)
		return strings.Contains(body, "The Venice of the North."), "the old page"
	})
}

// openSameDB opens a second handle on the database d of this test, as another process would.
func openSameDB(t *testing.T, d *db.DB) *db.DB {
	t.Helper()
	other, err := db.Open(context.Background(), d.URL(), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	return other
}

// TestPageCacheDropsOldPages: a kept page is served within pageMaxAge and rendered again after
// it, though no write moved the generation — what follows the clock (the view beacon's token,
// renewed hourly) stays current on a site nobody edits.
func TestPageCacheDropsOldPages(t *testing.T) {
	t.Parallel()
	c := newPageCache(1 << 20)
	born := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	c.put(&cachedPage{key: "/ko/", gen: 7, born: born, header: http.Header{}, body: []byte("page")})
	if c.get("/ko/", 7, born.Add(pageMaxAge)) == nil {
		t.Fatal("a page within its age was dropped")
	}
	if c.get("/ko/", 7, born.Add(pageMaxAge+time.Second)) != nil {
		t.Fatal("a page past its age was served")
	}
	if c.get("/ko/", 7, born) != nil {
		t.Fatal("a page dropped for its age is still kept")
	}
}
