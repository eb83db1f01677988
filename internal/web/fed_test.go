package web

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"sistercity/internal/auth"
	"sistercity/internal/fed"
	"sistercity/internal/polltest"
)

func (e *testEnv) getAccept(path, accept string) (*http.Response, string) {
	e.t.Helper()
	c := e.client()
	req, _ := http.NewRequest(http.MethodGet, e.ts.URL+path, nil)
	req.Header.Set("Accept", accept)
	resp, err := c.http.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestFedDiscovery(t *testing.T) {
	t.Parallel()
	e := newFedEnv(t)
	host := strings.TrimPrefix(e.ts.URL, "http://")
	resp, body := e.getAccept("/.well-known/webfinger?resource="+url.QueryEscape("acct:city@"+host), "application/jrd+json")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/jrd+json") {
		t.Fatalf("webfinger: %d %s\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	var wf struct {
		Subject string
		Aliases []string
		Links   []struct{ Rel, Type, Href string }
	}
	if err := json.Unmarshal([]byte(body), &wf); err != nil {
		t.Fatal(err)
	}
	actorURL := e.ts.URL + "/ap/actor"
	if wf.Subject != "acct:city@"+host || len(wf.Aliases) != 2 || wf.Aliases[0] != actorURL || wf.Links[0].Href != actorURL {
		t.Fatalf("webfinger: %+v", wf)
	}
	if resp, _ := e.getAccept("/.well-known/webfinger?resource=acct:nobody@"+host, "*/*"); resp.StatusCode != 404 {
		t.Fatalf("unknown account: %d", resp.StatusCode)
	}
	if resp, _ := e.getAccept("/.well-known/webfinger", "*/*"); resp.StatusCode != 400 {
		t.Fatalf("no resource: %d", resp.StatusCode)
	}

	for _, accept := range []string{"application/activity+json", `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`} {
		resp, body = e.getAccept("/ap/actor", accept)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != fed.ContentType {
			t.Fatalf("actor (%s): %d %s", accept, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}
	var actor map[string]any
	if err := json.Unmarshal([]byte(body), &actor); err != nil {
		t.Fatal(err)
	}
	pk := actor["publicKey"].(map[string]any)
	if actor["type"] != "Organization" || actor["id"] != actorURL || pk["id"] != actorURL+"#main-key" || pk["owner"] != actorURL ||
		actor["inbox"] != actorURL+"/inbox" || actor["endpoints"].(map[string]any)["sharedInbox"] != e.ts.URL+"/ap/inbox" {
		t.Fatalf("actor: %s", body)
	}
	if _, err := fed.ParsePublicKeyPEM(pk["publicKeyPem"].(string)); err != nil {
		t.Fatal(err)
	}

	resp, body = e.getAccept("/.well-known/nodeinfo", "application/json")
	if resp.StatusCode != 200 || !strings.Contains(body, e.ts.URL+"/nodeinfo/2.1") {
		t.Fatalf("nodeinfo links: %d %s", resp.StatusCode, body)
	}
	resp, body = e.getAccept("/nodeinfo/2.1", "application/json")
	if resp.StatusCode != 200 || !strings.Contains(body, `"name":"sistercity"`) || !strings.Contains(body, `"protocols":["activitypub"]`) ||
		!strings.Contains(body, `"localPosts":0`) {
		t.Fatalf("nodeinfo: %d %s", resp.StatusCode, body)
	}
	if resp, body = e.getAccept("/.well-known/host-meta", "*/*"); !strings.Contains(body, "/.well-known/webfinger?resource={uri}") {
		t.Fatalf("host-meta: %d %s", resp.StatusCode, body)
	}
	for _, p := range []string{"/ap/actor/outbox", "/ap/actor/followers", "/ap/actor/following"} {
		if resp, body = e.getAccept(p, fed.ContentType); resp.StatusCode != 200 || !strings.Contains(body, `"OrderedCollection"`) {
			t.Fatalf("%s: %d %s", p, resp.StatusCode, body)
		}
	}
	// The public pages name the actor for the fediverse's link previews and discovery.
	if _, body = e.client().get("/en/"); !strings.Contains(body, `<link rel="alternate" type="application/activity+json" href="`+actorURL+`">`) {
		t.Fatal("home page: no actor link")
	}
}

// Without --base-url, federation is off: nothing answers.
func TestFedOffWithoutBaseURL(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	for _, p := range []string{"/.well-known/webfinger?resource=acct:city@x", "/ap/actor", "/nodeinfo/2.1"} {
		if resp, _ := e.client().get(p); resp.StatusCode != 404 {
			t.Fatalf("%s: %d", p, resp.StatusCode)
		}
	}
}

func TestFedInboxRefusals(t *testing.T) {
	t.Parallel()
	e := newFedEnv(t)
	f := newFollower(t, "Alice")
	follow := func() []byte {
		b, _ := json.Marshal(map[string]any{"id": f.id() + "#follow/1", "type": "Follow", "actor": f.id(), "object": e.ts.URL + "/ap/actor"})
		return b
	}
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for _, tc := range []struct {
		name   string
		status int
		send   func() *http.Response
	}{
		{"unsigned", 401, func() *http.Response {
			resp, err := http.Post(e.ts.URL+"/ap/inbox", "application/activity+json", strings.NewReader(string(follow())))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp
		}},
		{"key the actor does not own", 401, func() *http.Response {
			return signedPost(t, e.ts.URL+"/ap/inbox", follow(), other, f.keyID(), now, nil)
		}},
		{"date too old", 401, func() *http.Response {
			return signedPost(t, e.ts.URL+"/ap/inbox", follow(), f.key, f.keyID(), now.Add(-13*time.Hour), nil)
		}},
		{"date in the future", 401, func() *http.Response {
			return signedPost(t, e.ts.URL+"/ap/actor/inbox", follow(), f.key, f.keyID(), now.Add(2*time.Hour), nil)
		}},
		{"digest mismatch", 401, func() *http.Response {
			return signedPost(t, e.ts.URL+"/ap/inbox", follow(), f.key, f.keyID(), now, func(r *http.Request) {
				r.Header.Set("Digest", "SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=")
			})
		}},
		{"oversized", 413, func() *http.Response {
			big := []byte(`{"type":"Note","content":"` + strings.Repeat("x", fed.MaxBodyBytes) + `"}`)
			return signedPost(t, e.ts.URL+"/ap/inbox", big, f.key, f.keyID(), now, nil)
		}},
		{"malformed JSON", 400, func() *http.Response {
			return signedPost(t, e.ts.URL+"/ap/inbox", []byte(`{"type": "Follow", `), f.key, f.keyID(), now, nil)
		}},
		{"actor is not the signer", 401, func() *http.Response {
			b, _ := json.Marshal(map[string]any{"id": f.id() + "#x", "type": "Follow", "actor": "http://127.0.0.1:1/users/mallory", "object": e.ts.URL + "/ap/actor"})
			return signedPost(t, e.ts.URL+"/ap/inbox", b, f.key, f.keyID(), now, nil)
		}},
		{"activity id on another host", 403, func() *http.Response {
			b, _ := json.Marshal(map[string]any{"id": "https://elsewhere.example/x", "type": "Follow", "actor": f.id(), "object": e.ts.URL + "/ap/actor"})
			return signedPost(t, e.ts.URL+"/ap/inbox", b, f.key, f.keyID(), now, nil)
		}},
		{"unknown activity", 202, func() *http.Response {
			b, _ := json.Marshal(map[string]any{"id": f.id() + "#move", "type": "Move", "actor": f.id(), "object": f.id()})
			return signedPost(t, e.ts.URL+"/ap/inbox", b, f.key, f.keyID(), now, nil)
		}},
	} {
		if got := tc.send().StatusCode; got != tc.status {
			t.Errorf("%s: status %d, want %d", tc.name, got, tc.status)
		}
	}
	if n := e.countRows("fed_followers"); n != 0 {
		t.Fatalf("%d followers stored from refused requests", n)
	}
}

func (e *testEnv) followerState(actor string) string {
	var st string
	err := e.db.R.QueryRow("SELECT state FROM fed_followers WHERE actor_id = $1", actor).Scan(&st)
	if err == sql.ErrNoRows {
		return ""
	}
	if err != nil {
		e.t.Fatal(err)
	}
	return st
}

// A Mastodon-shaped follower follows the city, receives a signed Accept whose signature it
// checks with the third-party library, and unfollows.
func TestFedFollowAccept(t *testing.T) {
	t.Parallel()
	e := newFedEnv(t)
	f := newFollower(t, "Alice")
	actorURL := e.ts.URL + "/ap/actor"
	followID := f.id() + "#follows/1"
	// Signed as GoToSocial and newer Mastodon sign: algorithm="hs2019", the key's own algorithm.
	b, _ := json.Marshal(map[string]any{"@context": "https://www.w3.org/ns/activitystreams",
		"id": followID, "type": "Follow", "actor": f.id(), "object": actorURL})
	resp := signedPost(t, e.ts.URL+"/ap/inbox", b, f.key, f.keyID(), time.Now(), func(r *http.Request) {
		r.Header.Set("Signature", strings.Replace(r.Header.Get("Signature"), `algorithm="rsa-sha256"`, `algorithm="hs2019"`, 1))
		if !strings.Contains(r.Header.Get("Signature"), "hs2019") {
			t.Fatal("no algorithm parameter to replace")
		}
	})
	if resp.StatusCode != 202 {
		t.Fatalf("follow: %d", resp.StatusCode)
	}
	polltest.Until(t, "the Accept reaches the follower", func() (bool, string) {
		return len(f.received("Accept")) == 1, strings.Join(f.badSig, "; ")
	})
	acc := f.received("Accept")[0]
	if acc["actor"] != actorURL || acc["object"].(map[string]any)["id"] != followID {
		t.Fatalf("accept: %v", acc)
	}
	if len(f.badSig) != 0 {
		t.Fatalf("bad signatures: %v", f.badSig)
	}
	if st := e.followerState(f.id()); st != "accepted" {
		t.Fatalf("follower state %q", st)
	}
	// The followers collection counts it.
	if _, body := e.getAccept("/ap/actor/followers", fed.ContentType); !strings.Contains(body, `"totalItems":1`) {
		t.Fatalf("followers: %s", body)
	}
	// A fan-out goes to the shared inbox once.
	e.inTx(func(tx *sql.Tx) error {
		return e.srv.fed.Fanout(context.Background(), tx, map[string]any{"id": actorURL + "#create/1", "type": "Create", "actor": actorURL})
	})
	polltest.Until(t, "the Create reaches the shared inbox", func() (bool, string) {
		return len(f.received("Create")) == 1, strings.Join(f.badSig, "; ")
	})

	if got := f.send(e, "/ap/actor/inbox", map[string]any{"id": f.id() + "#undo/1", "type": "Undo", "actor": f.id(),
		"object": map[string]any{"id": followID, "type": "Follow", "actor": f.id(), "object": actorURL}}); got != 202 {
		t.Fatalf("undo: %d", got)
	}
	if st := e.followerState(f.id()); st != "" {
		t.Fatalf("after Undo: state %q", st)
	}
}

// With manual approval, a follow waits for the admin; approving sends the Accept.
func TestFedManualApproval(t *testing.T) {
	t.Parallel()
	e := newFedEnv(t)
	admin := e.userClient(auth.RoleAdmin)
	if resp, body := admin.post("/admin/settings/federation", url.Values{"username": {"busan"}, "approve": {"on"}}); resp.StatusCode != 303 {
		t.Fatalf("save: %d %s", resp.StatusCode, body)
	}
	host := strings.TrimPrefix(e.ts.URL, "http://")
	if resp, _ := e.getAccept("/.well-known/webfinger?resource=acct:busan@"+host, "*/*"); resp.StatusCode != 200 {
		t.Fatalf("new username not found: %d", resp.StatusCode)
	}
	if a := e.actorDoc(); a["preferredUsername"] != "busan" || a["manuallyApprovesFollowers"] != true {
		t.Fatalf("actor after the settings: preferredUsername %v, manuallyApprovesFollowers %v", a["preferredUsername"], a["manuallyApprovesFollowers"])
	}
	f := newFollower(t, "Alice")
	if got := f.send(e, "/ap/inbox", map[string]any{"id": f.id() + "#follows/2", "type": "Follow", "actor": f.id(), "object": e.ts.URL + "/ap/actor"}); got != 202 {
		t.Fatalf("follow: %d", got)
	}
	if st := e.followerState(f.id()); st != "pending" {
		t.Fatalf("state %q, want pending", st)
	}
	// The same remote follows the channel too: a second pending follow, decided apart.
	channelURL := e.ts.URL + "/ap/channel"
	if got := f.send(e, "/ap/inbox", map[string]any{"id": f.id() + "#follows/3", "type": "Follow", "actor": f.id(), "object": channelURL}); got != 202 {
		t.Fatalf("follow of the channel: %d", got)
	}
	if _, body := admin.get("/admin/settings/federation"); !strings.Contains(body, "@alice@") || !strings.Contains(body, "@busan_videos@") {
		t.Fatal("admin page does not list the pending follows")
	}
	if resp, _ := admin.post("/admin/settings/federation/approve", url.Values{"actor": {f.id()}}); resp.StatusCode != 303 {
		t.Fatalf("approve: %d", resp.StatusCode)
	}
	polltest.Until(t, "the Accept after approval", func() (bool, string) {
		return len(f.received("Accept")) == 1, strings.Join(f.badSig, "; ")
	})
	if a, b := e.followerStateOf(f.id(), ""), e.followerStateOf(f.id(), channelURL); a != "accepted" || b != "pending" {
		t.Fatalf("after approving the city's follow: city %q, channel %q", a, b)
	}
	if resp, _ := admin.post("/admin/settings/federation/reject", url.Values{"actor": {f.id()}, "followed": {channelURL}}); resp.StatusCode != 303 {
		t.Fatalf("reject: %d", resp.StatusCode)
	}
	polltest.Until(t, "the channel's Reject", func() (bool, string) {
		r := f.received("Reject")
		return len(r) == 1 && r[0]["actor"] == channelURL, strings.Join(f.badSig, "; ")
	})
	if a, b := e.followerStateOf(f.id(), ""), e.followerStateOf(f.id(), channelURL); a != "accepted" || b != "" {
		t.Fatalf("after rejecting the channel's follow: city %q, channel %q", a, b)
	}
	// An editor may not change federation settings; a bad username is refused, nothing saved.
	if resp, _ := e.userClient(auth.RoleEditor).post("/admin/settings/federation", url.Values{"username": {"x"}}); resp.StatusCode != 403 {
		t.Fatalf("editor: %d", resp.StatusCode)
	}
	if resp, _ := admin.post("/admin/settings/federation", url.Values{"username": {"<b>Bad</b>"}}); resp.StatusCode != 422 {
		t.Fatalf("bad username: %d", resp.StatusCode)
	}
	// Rotating the key tells the follower with an Update signed by the new key.
	if resp, _ := admin.post("/admin/settings/federation/rotate", nil); resp.StatusCode != 303 {
		t.Fatalf("rotate: %d", resp.StatusCode)
	}
	polltest.Until(t, "the actor Update after rotation", func() (bool, string) {
		return len(f.received("Update")) == 1, strings.Join(f.badSig, "; ")
	})
}

// Likes, announces and replies to a video are stored by object; a Delete of the actor removes
// what it sent. A remote name full of markup, 10,000 characters long, is kept bounded and shown
// escaped.
func TestFedReactionsRepliesAndDelete(t *testing.T) {
	t.Parallel()
	e := newFedEnv(t)
	f := newFollower(t, `<script>alert(1)</script>`+strings.Repeat("A", 10000))
	video := e.ts.URL + "/ap/videos/7"
	for _, a := range []map[string]any{
		{"id": f.id() + "#follows/1", "type": "Follow", "actor": f.id(), "object": e.ts.URL + "/ap/actor"},
		{"id": f.id() + "#likes/1", "type": "Like", "actor": f.id(), "object": video},
		{"id": f.id() + "#likes/1", "type": "Like", "actor": f.id(), "object": video}, // repeated delivery
		{"id": f.id() + "#announces/1", "type": "Announce", "actor": f.id(), "object": video},
		{"id": f.id() + "#create/1", "type": "Create", "actor": f.id(), "object": map[string]any{
			"id": f.id() + "/statuses/1", "type": "Note", "attributedTo": f.id(), "inReplyTo": video,
			"content": `<p>Thank you, Busan!</p><script>alert("x")</script><img src=x onerror=alert(2)>`}},
	} {
		if got := f.send(e, "/ap/inbox", a); got != 202 {
			t.Fatalf("%s: %d", a["type"], got)
		}
	}
	rs, err := fed.Reactions(context.Background(), e.db.R, 10)
	if err != nil || len(rs) != 1 || rs[0] != (fed.ObjectReactions{ObjectID: video, Likes: 1, Announces: 1}) {
		t.Fatalf("reactions: %+v, %v", rs, err)
	}
	admin := e.userClient(auth.RoleAdmin)
	_, body := admin.get("/admin/settings/federation")
	if strings.Contains(body, "<script>alert") || strings.Contains(body, "onerror") || strings.Contains(body, strings.Repeat("A", 200)) {
		t.Fatal("remote strings unescaped or unbounded on the admin page")
	}
	if !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") || !strings.Contains(body, "Thank you, Busan!") {
		t.Fatalf("admin page lacks the follower's name or the reply")
	}
	// Replies are never on the public site.
	if _, pub := e.client().get("/en/"); strings.Contains(pub, "Thank you, Busan!") {
		t.Fatal("a reply shown publicly")
	}
	if got := f.send(e, "/ap/inbox", map[string]any{"id": f.id() + "#undo/2", "type": "Undo", "actor": f.id(),
		"object": map[string]any{"id": f.id() + "#likes/1", "type": "Like"}}); got != 202 {
		t.Fatalf("undo like: %d", got)
	}
	if rs, _ := fed.Reactions(context.Background(), e.db.R, 10); len(rs) != 1 || rs[0].Likes != 0 || rs[0].Announces != 1 {
		t.Fatalf("after Undo Like: %+v", rs)
	}
	if got := f.send(e, "/ap/inbox", map[string]any{"id": f.id() + "#delete", "type": "Delete", "actor": f.id(), "object": f.id()}); got != 202 {
		t.Fatalf("delete: %d", got)
	}
	for _, table := range []string{"fed_followers", "fed_reactions", "fed_replies"} {
		if n := e.countRows(table); n != 0 {
			t.Errorf("after Delete of the actor: %d rows in %s", n, table)
		}
	}
}

// With authorized fetch on, an unsigned GET of the actor gets only its key and inboxes, and
// the collections and the video objects refuse it — also a video's object asked for on its
// watch page, whose HTML stays public; a signed GET gets them.
func TestFedAuthorizedFetch(t *testing.T) {
	t.Parallel()
	e := newFedEnv(t)
	v := quickVideo(t, e, "부산 응원 영상")
	admin := e.userClient(auth.RoleAdmin)
	if resp, _ := admin.post("/admin/settings/federation", url.Values{"username": {"city"}, "authorized_fetch": {"on"}}); resp.StatusCode != 303 {
		t.Fatalf("save: %d", resp.StatusCode)
	}
	resp, body := e.getAccept("/ap/actor", fed.ContentType)
	if resp.StatusCode != 200 || !strings.Contains(body, "publicKeyPem") || strings.Contains(body, `"followers"`) {
		t.Fatalf("unsigned actor: %d %s", resp.StatusCode, body)
	}
	watch := "/ko/videos/" + itoa64(v.ID)
	for _, path := range []string{"/ap/actor/outbox", "/ap/videos/" + itoa64(v.ID), watch} {
		if resp, body := e.getAccept(path, fed.ContentType); resp.StatusCode != 401 || strings.Contains(body, "부산") {
			t.Errorf("unsigned GET of %s: %d %s", path, resp.StatusCode, body)
		}
	}
	if resp, body := e.getAccept(watch, "text/html"); resp.StatusCode != 200 || !strings.Contains(body, "부산 응원 영상") {
		t.Errorf("watch page: %d", resp.StatusCode)
	}
	f := newFollower(t, "Alice")
	for _, path := range []string{"/ap/actor", "/ap/actor/outbox", "/ap/videos/" + itoa64(v.ID), watch} {
		if got := f.signedGet(e, path); got != 200 {
			t.Errorf("signed GET of %s: %d", path, got)
		}
	}
}
