package web

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"sistercity/internal/apub"
	"sistercity/internal/outbox"
	"sistercity/internal/track"
	"sistercity/internal/video"
)

const (
	browserAccept  = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
	mastodonAccept = `application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"`
)

// getAccept GETs path with an Accept header and no cookies, as a remote server or a browser's
// first visit does.
func getAccept(t *testing.T, e *testEnv, path, accept string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest("GET", e.ts.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// quickVideo stores a published video with what processing records (one rendition), without
// running ffmpeg: enough for its object, not for playing it.
func quickVideo(t *testing.T, e *testEnv, title string) *video.Video {
	t.Helper()
	ctx := context.Background()
	v := &video.Video{OriginalLang: "ko", State: video.StateDraft, Texts: []video.Text{{Lang: "ko", Title: title}}}
	e.inTx(func(tx *sql.Tx) error {
		if err := video.Create(ctx, tx, v); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO video_renditions (video_id, lines, width, height, size, bitrate, storage_key)
			VALUES ($1, 360, 640, 360, 1000, 4000, $2)`, v.ID, fmt.Sprintf("videos/%d/a-360p.mp4", v.ID)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE videos SET processing = $1 WHERE id = $2`, video.ProcReady, v.ID); err != nil {
			return err
		}
		got, err := video.Get(ctx, tx, v.ID)
		if err != nil {
			return err
		}
		for _, st := range []string{video.StateInReview, video.StatePublished} {
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

// activitiesOf lists video id's outbox activities, oldest first.
func activitiesOf(t *testing.T, e *testEnv, id int64) []outbox.Activity {
	t.Helper()
	rows, err := e.db.R.QueryContext(context.Background(), "SELECT id, kind FROM ap_outbox WHERE video_id = $1 ORDER BY id", id)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []outbox.Activity
	for rows.Next() {
		a := outbox.Activity{VideoID: id}
		if err := rows.Scan(&a.ID, &a.Kind); err != nil {
			t.Fatal(err)
		}
		out = append(out, a)
	}
	return out
}

// apDoc is what the tests read of an object.
type apDoc struct {
	Context          any               `json:"@context"`
	Type             string            `json:"type"`
	ID               string            `json:"id"`
	NameMap          map[string]string `json:"nameMap"`
	Content          string            `json:"content"`
	ContentMap       map[string]string `json:"contentMap"`
	URL              []apub.Link       `json:"url"`
	SubtitleLanguage []apub.Language   `json:"subtitleLanguage"`
	FormerType       string            `json:"formerType"`
	Object           json.RawMessage   `json:"object"`
	OrderedItems     []apDoc           `json:"orderedItems"`
	TotalItems       int               `json:"totalItems"`
	First, Last      string
	Next, Prev       string
}

func decodeAP(t *testing.T, body string) apDoc {
	t.Helper()
	var d apDoc
	if err := json.Unmarshal([]byte(body), &d); err != nil {
		t.Fatalf("%v in %s", err, body)
	}
	return d
}

// TestActivityPubVideoObject: a published video's object answers both ActivityPub content
// types, with its titles in every language, descriptions escaped, its renditions and the
// approved tracks only; the watch page gives the object to an ActivityPub client and the page
// to a browser, whatever the page cache holds; unknown and unpublished videos are 404; after a
// withdrawal the object and its Create are 410 with a Tombstone; the video's files and tracks
// may be read from any origin.
func TestActivityPubVideoObject(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	_, _, p := seedVladivostok(t, e)
	v := seedVideo(t, e, p, video.StatePublished,
		video.Text{Lang: "ru", Title: "Видеообращение Владивостока", Description: "Жители <b>Владивостока</b>"},
		video.Text{Lang: "ko", Title: "응원 영상 <script>alert(1)</script>", Description: "블라디보스토크 & 부산"},
		video.Text{Lang: "en", Title: "Message of support"})
	var tracks []*track.Track
	for _, lang := range []string{"ko", "ru", "en"} {
		tracks = append(tracks, addTrack(t, e, v.ID, lang, track.StatusApproved, lang == "ko", "부산", "Пусан"))
	}
	addTrack(t, e, v.ID, "ja", track.StatusDraft, false, "釜山")
	id := itoa64(v.ID)
	objPath := "/ap/videos/" + id

	resp, body := getAccept(t, e, objPath, "application/activity+json")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != apub.ContentType ||
		resp.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Fatalf("object: %d %v\n%s", resp.StatusCode, resp.Header, body)
	}
	d := decodeAP(t, body)
	if d.Type != "Video" || d.ID != e.ts.URL+objPath || len(d.NameMap) != 3 || d.NameMap["ko"] != "응원 영상 <script>alert(1)</script>" {
		t.Errorf("object: %+v", d)
	}
	if d.Content != "<p>Жители &lt;b&gt;Владивостока&lt;/b&gt;</p>" || d.ContentMap["ko"] != "<p>블라디보스토크 &amp; 부산</p>" || len(d.ContentMap) != 2 {
		t.Errorf("content %q, contentMap %q", d.Content, d.ContentMap)
	}
	if len(d.SubtitleLanguage) != 3 {
		t.Errorf("subtitleLanguage %+v", d.SubtitleLanguage)
	}
	for _, sl := range d.SubtitleLanguage {
		var want *track.Track
		for _, tr := range tracks {
			if tr.Lang == sl.Identifier {
				want = tr
			}
		}
		if want == nil || sl.URL != e.ts.URL+trackURL(want) || sl.Name != apub.LanguageName(sl.Identifier) {
			t.Errorf("subtitle language %+v", sl)
		}
	}
	if len(d.URL) != 1+len(v.Renditions) || d.URL[0].MediaType != "text/html" || d.URL[0].Href != e.ts.URL+"/ru/videos/"+id ||
		d.URL[2].Height != v.Renditions[1].Height || d.URL[2].Size != v.Renditions[1].Size || d.URL[2].FPS == 0 {
		t.Errorf("url %+v", d.URL)
	}
	if resp, _ := getAccept(t, e, objPath, apub.LDContentType); resp.Header.Get("Content-Type") != apub.LDContentType {
		t.Errorf("JSON-LD asked, %q answered", resp.Header.Get("Content-Type"))
	}

	// The watch page, in every order, to a browser and to a remote server.
	watch := "/ru/videos/" + id
	for i, accept := range []string{browserAccept, mastodonAccept, browserAccept, mastodonAccept, ""} {
		resp, body := getAccept(t, e, watch, accept)
		ctype := resp.Header.Get("Content-Type")
		wantAP := accept == mastodonAccept
		switch {
		case resp.StatusCode != http.StatusOK:
			t.Fatalf("%d: watch page %d", i, resp.StatusCode)
		case wantAP && (ctype != apub.ContentType || decodeAP(t, body).Type != "Video"):
			t.Errorf("%d: ActivityPub client got %s", i, ctype)
		case !wantAP && (!strings.HasPrefix(ctype, "text/html") || !strings.Contains(body, "<html")):
			t.Errorf("%d: browser got %s", i, ctype)
		case !strings.Contains(strings.Join(resp.Header.Values("Vary"), ","), "Accept"):
			t.Errorf("%d: Vary %v", i, resp.Header.Values("Vary"))
		}
	}

	// Files from any origin: renditions and tracks.
	for _, path := range []string{mediaURL(v.Renditions[0].Key), trackURL(tracks[1])} {
		if resp, _ := getAccept(t, e, path, ""); resp.StatusCode != http.StatusOK || resp.Header.Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("%s: %d, Access-Control-Allow-Origin %q", path, resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
		}
	}

	// Unknown, malformed and unpublished videos.
	draft := seedVideo(t, e, nil, video.StateDraft, video.Text{Lang: "ko", Title: "초안"})
	for _, path := range []string{"/ap/videos/999999", "/ap/videos/x", "/ap/videos/" + itoa64(draft.ID), "/ap/videos/" + id + "/activities/999999"} {
		if resp, _ := getAccept(t, e, path, apub.ContentType); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", path, resp.StatusCode)
		}
	}
	if resp, _ := getAccept(t, e, "/ko/videos/"+itoa64(draft.ID), mastodonAccept); resp.StatusCode != http.StatusNotFound {
		t.Errorf("draft's watch page to ActivityPub: %d", resp.StatusCode)
	}

	// Withdrawn: the object is a Tombstone, 410; its Create too; its Delete answers.
	acts := activitiesOf(t, e, v.ID)
	// Published, then three approved tracks added: a Create and three Updates.
	if len(acts) != 4 || acts[0].Kind != outbox.Create || acts[1].Kind != outbox.Update || acts[3].Kind != outbox.Update {
		t.Fatalf("outbox: %+v", acts)
	}
	createPath := fmt.Sprintf("/ap/videos/%s/activities/%d", id, acts[0].ID)
	if resp, body := getAccept(t, e, createPath, apub.ContentType); resp.StatusCode != http.StatusOK || decodeAP(t, body).Type != "Create" {
		t.Fatalf("create activity: %d %s", resp.StatusCode, body)
	}
	e.inTx(func(tx *sql.Tx) error {
		cur, err := video.Get(context.Background(), tx, v.ID)
		if err != nil {
			return err
		}
		return video.Withdraw(context.Background(), tx, video.Change{ID: v.ID, Version: cur.Version, Now: fixedNow})
	})
	for _, path := range []string{objPath, createPath} {
		resp, body := getAccept(t, e, path, apub.ContentType)
		if d := decodeAP(t, body); resp.StatusCode != http.StatusGone || d.Type != "Tombstone" || d.FormerType != "Video" || d.ID != e.ts.URL+objPath {
			t.Errorf("%s withdrawn: %d %s", path, resp.StatusCode, body)
		}
	}
	if resp, _ := getAccept(t, e, watch, mastodonAccept); resp.StatusCode != http.StatusGone {
		t.Errorf("withdrawn watch page to ActivityPub: %d, want 410", resp.StatusCode)
	}
	if resp, _ := getAccept(t, e, watch, browserAccept); resp.StatusCode != http.StatusNotFound {
		t.Errorf("withdrawn watch page to a browser: %d, want 404", resp.StatusCode)
	}
	acts = activitiesOf(t, e, v.ID)
	last := acts[len(acts)-1]
	if last.Kind != outbox.Delete {
		t.Fatalf("last activity %+v", last)
	}
	resp, body = getAccept(t, e, fmt.Sprintf("/ap/videos/%s/activities/%d", id, last.ID), apub.ContentType)
	if d := decodeAP(t, body); resp.StatusCode != http.StatusOK || d.Type != "Delete" || !strings.Contains(string(d.Object), `"Tombstone"`) {
		t.Errorf("delete activity: %d %s", resp.StatusCode, body)
	}
}

// TestActivityPubOutboxPaging: the outbox counts the live videos' Creates and pages them
// newest first, 20 a page, with first, next and prev; a withdrawn video leaves it; a page
// number that is not one is 404.
func TestActivityPubOutboxPaging(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	var vids []*video.Video
	for i := range outboxPerPage + 3 {
		vids = append(vids, quickVideo(t, e, fmt.Sprintf("영상 %d", i)))
	}
	e.inTx(func(tx *sql.Tx) error {
		v := vids[0]
		return video.Withdraw(context.Background(), tx, video.Change{ID: v.ID, Version: v.Version, Now: fixedNow})
	})
	resp, body := getAccept(t, e, "/ap/actor/outbox", apub.ContentType)
	c := decodeAP(t, body)
	base := e.ts.URL + "/ap/actor/outbox"
	if resp.StatusCode != http.StatusOK || c.Type != "OrderedCollection" || c.TotalItems != outboxPerPage+2 ||
		c.First != base+"?page=1" || c.Last != base+"?page=2" {
		t.Fatalf("outbox: %d %s", resp.StatusCode, body)
	}
	_, body = getAccept(t, e, "/ap/actor/outbox?page=1", apub.ContentType)
	p1 := decodeAP(t, body)
	if p1.Type != "OrderedCollectionPage" || len(p1.OrderedItems) != outboxPerPage || p1.Next != base+"?page=2" || p1.Prev != "" {
		t.Fatalf("page 1: %d items, next %q prev %q", len(p1.OrderedItems), p1.Next, p1.Prev)
	}
	var first apDoc
	if err := json.Unmarshal(p1.OrderedItems[0].Object, &first); err != nil {
		t.Fatal(err)
	}
	if p1.OrderedItems[0].Type != "Create" || first.ID != e.ts.URL+"/ap/videos/"+itoa64(vids[len(vids)-1].ID) {
		t.Errorf("newest first: %s of %s", p1.OrderedItems[0].Type, first.ID)
	}
	_, body = getAccept(t, e, "/ap/actor/outbox?page=2", apub.ContentType)
	p2 := decodeAP(t, body)
	if len(p2.OrderedItems) != 2 || p2.Next != "" || p2.Prev != base+"?page=1" {
		t.Fatalf("page 2: %d items, next %q prev %q", len(p2.OrderedItems), p2.Next, p2.Prev)
	}
	withdrawn := e.ts.URL + "/ap/videos/" + itoa64(vids[0].ID)
	for _, it := range append(p1.OrderedItems, p2.OrderedItems...) {
		if strings.Contains(string(it.Object), `"`+withdrawn+`"`) {
			t.Errorf("the withdrawn video is in the outbox")
		}
	}
	for _, q := range []string{"0", "-1", "x", "1e9", "99999999999"} {
		if resp, _ := getAccept(t, e, "/ap/actor/outbox?page="+q, apub.ContentType); resp.StatusCode != http.StatusNotFound {
			t.Errorf("page %s: %d, want 404", q, resp.StatusCode)
		}
	}
	if _, body := getAccept(t, e, "/ap/actor/outbox?page=9", apub.ContentType); len(decodeAP(t, body).OrderedItems) != 0 {
		t.Errorf("page past the end: %s", body)
	}
}

// TestWantsActivity: content negotiation of the watch page.
func TestWantsActivity(t *testing.T) {
	t.Parallel()
	for accept, want := range map[string]bool{
		"":                          false,
		browserAccept:               false,
		"*/*":                       false,
		"application/json":          false,
		mastodonAccept:              true,
		"application/activity+json": true,
		`application/ld+json; profile="https://www.w3.org/ns/activitystreams"`: true,
		"text/html;q=0.9, application/activity+json":                           true,
		"text/html, application/activity+json;q=0.5":                           false,
		"application/activity+json;q=0":                                        false,
		"application/activity+json;q=x":                                        false,
		strings.Repeat("a", 2000):                                              false,
	} {
		r, _ := http.NewRequest("GET", "/", nil)
		r.Header.Set("Accept", accept)
		if got := wantsActivity(r); got != want {
			t.Errorf("wantsActivity(%.60q) = %v, want %v", accept, got, want)
		}
	}
}
