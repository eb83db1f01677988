package web

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-fed/httpsig"

	"sistercity/internal/auth"
	"sistercity/internal/fed"
	"sistercity/internal/jobs/jobstest"
	"sistercity/internal/polltest"
)

// host is the follower server's host:port, which a domain block may name alone.
func (f *follower) host() string { return strings.TrimPrefix(f.ts.URL, "http://") }

// engage makes f follow the city, like and boost video and reply to it.
func (f *follower) engage(e *testEnv, video string) {
	f.t.Helper()
	for _, a := range []map[string]any{
		{"id": f.id() + "#follows/1", "type": "Follow", "actor": f.id(), "object": e.ts.URL + "/ap/actor"},
		{"id": f.id() + "#likes/1", "type": "Like", "actor": f.id(), "object": video},
		{"id": f.id() + "#announces/1", "type": "Announce", "actor": f.id(), "object": video},
		{"id": f.id() + "#create/1", "type": "Create", "actor": f.id(), "object": map[string]any{
			"id": f.id() + "/statuses/1", "type": "Note", "attributedTo": f.id(), "inReplyTo": video,
			"content": "<p>Greetings from " + f.name + "</p>"}},
	} {
		if got := f.send(e, "/ap/inbox", a); got != 202 {
			f.t.Fatalf("%s from %s: %d", a["type"], f.name, got)
		}
	}
}

func (e *testEnv) countWhere(table, column, value string) int {
	e.t.Helper()
	var n int
	if err := e.db.R.QueryRow("SELECT COUNT(*) FROM "+table+" WHERE "+column+" = $1", value).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// deliveryJobsTo counts the delivery jobs ever enqueued to an inbox on host.
func (e *testEnv) deliveryJobsTo(host string) int {
	e.t.Helper()
	page, err := jobstest.Must(e.t, e.db).List(context.Background(), jobstest.Filter{Kinds: []string{"fed.deliver"}, Limit: 500})
	if err != nil {
		e.t.Fatal(err)
	}
	n := 0
	for _, j := range page.Jobs {
		var a fed.DeliverArgs
		if json.Unmarshal(j.Args, &a) == nil && strings.Contains(a.Inbox, "://"+host+"/") {
			n++
		}
	}
	return n
}

// A reject block of a follower's server removes its follow, reactions, replies and cached actor
// in the block's transaction; its next Follow gets 403 without a fetch of its key; deliveries
// skip it, and another server is untouched.
func TestFedModDomainReject(t *testing.T) {
	t.Parallel()
	e := newFedEnv(t)
	bad, good := newFollower(t, "Spam"), newFollower(t, "Vladivostok")
	video := e.ts.URL + "/ap/videos/7"
	bad.engage(e, video)
	good.engage(e, video)
	polltest.Until(t, "both Accepts", func() (bool, string) {
		return len(bad.received("Accept")) == 1 && len(good.received("Accept")) == 1, strings.Join(append(bad.badSig, good.badSig...), "; ")
	})
	admin := e.userClient(auth.RoleAdmin)
	resp, body := admin.post("/admin/settings/federation/blocks/domain", url.Values{"domain": {"http://" + bad.host() + "/"},
		"severity": {"reject"}, "note": {"<b>spam</b> wave"}})
	if resp.StatusCode != 303 {
		t.Fatalf("block: %d %s", resp.StatusCode, body)
	}
	for _, tc := range []struct{ table, column string }{
		{"fed_followers", "actor_id"}, {"fed_reactions", "actor_id"}, {"fed_replies", "actor_id"}, {"fed_remote_actors", "id"},
	} {
		if n := e.countWhere(tc.table, tc.column, bad.id()); n != 0 {
			t.Errorf("%s: %d rows of the blocked server left", tc.table, n)
		}
		if n := e.countWhere(tc.table, tc.column, good.id()); n == 0 {
			t.Errorf("%s: the other server's rows were removed", tc.table)
		}
	}
	// A new Follow is refused before its key is fetched: the actor is not cached again.
	if got := bad.send(e, "/ap/inbox", map[string]any{"id": bad.id() + "#follows/2", "type": "Follow", "actor": bad.id(),
		"object": e.ts.URL + "/ap/actor"}); got != 403 {
		t.Fatalf("follow from a blocked server: %d, want 403", got)
	}
	if got := bad.send(e, "/ap/actor/inbox", map[string]any{"id": bad.id() + "#likes/2", "type": "Like", "actor": bad.id(), "object": video}); got != 403 {
		t.Fatalf("like from a blocked server: %d, want 403", got)
	}
	if n := e.countWhere("fed_remote_actors", "id", bad.id()); n != 0 {
		t.Fatal("the blocked server's actor was fetched")
	}
	// Deliveries: the blocked server's inbox gets no job; the other server gets the activity.
	before := e.deliveryJobsTo(bad.host())
	e.inTx(func(tx *sql.Tx) error {
		return e.srv.fed.Deliver(context.Background(), tx, map[string]any{"id": e.ts.URL + "/ap/actor#create/9", "type": "Create",
			"actor": e.ts.URL + "/ap/actor"}, []string{bad.ts.URL + "/inbox", good.ts.URL + "/inbox"})
	})
	polltest.Until(t, "the Create reaches the other server", func() (bool, string) {
		return len(good.received("Create")) == 1, strings.Join(good.badSig, "; ")
	})
	if n := e.deliveryJobsTo(bad.host()); n != before {
		t.Fatalf("%d deliveries enqueued to the blocked server", n-before)
	}
	if got := bad.received("Create"); len(got) != 0 {
		t.Fatalf("the blocked server received %d activities", len(got))
	}
	// The page lists the block, its note escaped; the audit log has it.
	_, body = admin.get("/admin/settings/federation/blocks")
	if !strings.Contains(body, bad.host()) || !strings.Contains(body, "&lt;b&gt;spam&lt;/b&gt; wave") {
		t.Fatal("the block is not listed, or its note is unescaped")
	}
	if n := e.countWhere("audit_log", "action", string(auth.ActionBlockDomain)); n != 1 {
		t.Fatalf("%d audit rows", n)
	}
	// Lifted, the server may follow again.
	if resp, _ := admin.post("/admin/settings/federation/blocks/unblock", url.Values{"kind": {"domain"}, "target": {bad.host()}}); resp.StatusCode != 303 {
		t.Fatalf("unblock: %d", resp.StatusCode)
	}
	if got := bad.send(e, "/ap/inbox", map[string]any{"id": bad.id() + "#follows/3", "type": "Follow", "actor": bad.id(),
		"object": e.ts.URL + "/ap/actor"}); got != 202 {
		t.Fatalf("follow after unblock: %d", got)
	}
}

// An actor block, given as a handle, refuses that actor only.
func TestFedModActorBlock(t *testing.T) {
	t.Parallel()
	e := newFedEnv(t)
	bad, good := newFollower(t, "Mallory"), newFollower(t, "Alice")
	video := e.ts.URL + "/ap/videos/7"
	bad.engage(e, video)
	admin := e.userClient(auth.RoleAdmin)
	if resp, body := admin.post("/admin/settings/federation/blocks/actor", url.Values{"actor": {"@alice@" + bad.host()}}); resp.StatusCode != 303 {
		t.Fatalf("block: %d %s", resp.StatusCode, body)
	}
	if n := e.countRows("fed_actor_blocks"); n != 1 || e.countWhere("fed_actor_blocks", "actor_id", bad.id()) != 1 {
		t.Fatal("the handle was not resolved to the actor's id")
	}
	for _, table := range []string{"fed_followers", "fed_reactions", "fed_replies"} {
		if n := e.countRows(table); n != 0 {
			t.Errorf("%s: %d rows of the blocked actor left", table, n)
		}
	}
	follow := func(f *follower) int {
		return f.send(e, "/ap/inbox", map[string]any{"id": f.id() + "#follows/9", "type": "Follow", "actor": f.id(), "object": e.ts.URL + "/ap/actor"})
	}
	if got := follow(bad); got != 403 {
		t.Fatalf("blocked actor's follow: %d, want 403", got)
	}
	if got := follow(good); got != 202 {
		t.Fatalf("other actor's follow: %d, want 202", got)
	}
	if st := e.followerState(good.id()); st != "accepted" {
		t.Fatalf("other actor: state %q", st)
	}
}

// A silenced server keeps its follow; its likes and boosts are not counted and its replies are
// out of the default list, shown on request.
func TestFedModSilence(t *testing.T) {
	t.Parallel()
	e := newFedEnv(t)
	quiet, loud := newFollower(t, "Quiet"), newFollower(t, "Loud")
	video := e.ts.URL + "/ap/videos/7"
	admin := e.userClient(auth.RoleAdmin)
	if resp, body := admin.post("/admin/settings/federation/blocks/domain", url.Values{"domain": {quiet.host()}, "severity": {"silence"}}); resp.StatusCode != 303 {
		t.Fatalf("silence: %d %s", resp.StatusCode, body)
	}
	quiet.engage(e, video)
	loud.engage(e, video)
	if st := e.followerState(quiet.id()); st != "accepted" {
		t.Fatalf("silenced follower: state %q", st)
	}
	rs, err := fed.Reactions(context.Background(), e.db.R, 10)
	if err != nil || len(rs) != 1 || rs[0].Likes != 1 || rs[0].Announces != 1 {
		t.Fatalf("reactions: %+v %v", rs, err)
	}
	_, body := admin.get("/admin/settings/federation")
	if strings.Contains(body, "Greetings from Quiet") || !strings.Contains(body, "Greetings from Loud") {
		t.Fatal("default reply list: silenced reply shown or other reply missing")
	}
	if _, body = admin.get("/admin/settings/federation?silenced=1"); !strings.Contains(body, "Greetings from Quiet") {
		t.Fatal("the silenced reply is not shown on request")
	}
	if _, pub := e.client().get("/en/"); strings.Contains(pub, "Greetings from") {
		t.Fatal("a reply shown publicly")
	}
}

// The block pages need the admin role and CSRF; bad input gets a 422 in the user's language and
// nothing is saved.
func TestFedModAdminInput(t *testing.T) {
	t.Parallel()
	e := newFedEnv(t)
	editor := e.userClient(auth.RoleEditor)
	if resp, _ := editor.get("/admin/settings/federation/blocks"); resp.StatusCode != 403 {
		t.Fatalf("editor GET: %d", resp.StatusCode)
	}
	if resp, _ := editor.post("/admin/settings/federation/blocks/domain", url.Values{"domain": {"spam.example"}, "severity": {"reject"}}); resp.StatusCode != 403 {
		t.Fatalf("editor POST: %d", resp.StatusCode)
	}
	admin := e.userClient(auth.RoleAdmin)
	if resp, _ := admin.post("/admin/settings/federation/blocks/domain", url.Values{"csrf_token": {"forged"}, "domain": {"spam.example"},
		"severity": {"reject"}}); resp.StatusCode != 403 {
		t.Fatalf("forged CSRF: %d", resp.StatusCode)
	}
	admin.lang = "ru"
	for _, tc := range []struct {
		path string
		form url.Values
		want string
	}{
		{"domain", url.Values{"domain": {""}, "severity": {"reject"}}, "Введите домен"},
		{"domain", url.Values{"domain": {"https://spam.example/users/x"}, "severity": {"reject"}}, "Введите домен"},
		{"domain", url.Values{"domain": {strings.Repeat("a", 10000) + ".example"}, "severity": {"reject"}}, "Введите домен"},
		{"domain", url.Values{"domain": {"<b>spam</b>.example"}, "severity": {"reject"}}, "Введите домен"},
		{"domain", url.Values{"domain": {"spam.example"}, "severity": {"ban"}}, "Выберите"},
		{"domain", url.Values{"domain": {"spam.example"}, "severity": {"reject"}, "note": {strings.Repeat("x", 10000)}}, "Заметка"},
		{"actor", url.Values{"actor": {""}}, "Введите имя"},
		{"actor", url.Values{"actor": {"<script>alert(1)</script>"}}, "Введите имя"},
		{"actor", url.Values{"actor": {strings.Repeat("@", 10000)}}, "Введите имя"},
	} {
		resp, body := admin.post("/admin/settings/federation/blocks/"+tc.path, tc.form)
		if resp.StatusCode != 422 || !strings.Contains(body, tc.want) {
			t.Errorf("%s %.40q: %d, want 422 with %q", tc.path, tc.form, resp.StatusCode, tc.want)
		}
		if strings.Contains(body, "<b>spam</b>") || strings.Contains(body, "<script>alert") || strings.Contains(body, strings.Repeat("a", 400)) {
			t.Errorf("%s: the refused input came back unescaped or uncut", tc.path)
		}
	}
	if n := e.countRows("fed_domain_blocks") + e.countRows("fed_actor_blocks"); n != 0 {
		t.Fatalf("%d blocks saved from refused input", n)
	}
	// The federation page links to the blocks.
	if _, body := admin.get("/admin/settings/federation"); !strings.Contains(body, `href="/admin/settings/federation/blocks"`) {
		t.Fatal("no link to the blocks page")
	}
}

// signedGet fetches path from our server signed by f, as a server in secure mode fetches.
func (f *follower) signedGet(e *testEnv, path string) int {
	f.t.Helper()
	req, err := http.NewRequest(http.MethodGet, e.ts.URL+path, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	req.Header.Set("Accept", fed.ContentType)
	req.Header.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	req.Header.Set("Host", req.URL.Host)
	signer, _, err := httpsig.NewSigner([]httpsig.Algorithm{httpsig.RSA_SHA256}, httpsig.DigestSha256,
		[]string{httpsig.RequestTarget, "host", "date"}, httpsig.Signature, 0)
	if err != nil {
		f.t.Fatal(err)
	}
	if err := signer.SignRequest(f.key, f.keyID(), req, nil); err != nil {
		f.t.Fatal(err)
	}
	req.Header.Del("Host")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// With authorized fetch on, a rejected server's signed GETs are refused (403) while another
// server's pass.
func TestFedModAuthorizedFetch(t *testing.T) {
	t.Parallel()
	e := newFedEnv(t)
	bad, good := newFollower(t, "Spam"), newFollower(t, "Alice")
	admin := e.userClient(auth.RoleAdmin)
	if resp, _ := admin.post("/admin/settings/federation", url.Values{"username": {"city"}, "authorized_fetch": {"on"}}); resp.StatusCode != 303 {
		t.Fatalf("save: %d", resp.StatusCode)
	}
	if resp, body := admin.post("/admin/settings/federation/blocks/domain", url.Values{"domain": {bad.host()}, "severity": {"reject"}}); resp.StatusCode != 303 {
		t.Fatalf("block: %d %s", resp.StatusCode, body)
	}
	if got := good.signedGet(e, "/ap/actor/outbox"); got != 200 {
		t.Fatalf("signed GET from another server: %d", got)
	}
	if got := bad.signedGet(e, "/ap/actor/outbox"); got != 403 {
		t.Fatalf("signed GET from a blocked server: %d, want 403", got)
	}
	if n := e.countWhere("fed_remote_actors", "id", bad.id()); n != 0 {
		t.Fatal("the blocked server's actor was fetched")
	}
}
