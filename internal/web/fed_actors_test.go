package web

import (
	"bytes"
	"encoding/json"
	"image/png"
	"net/http"
	"strings"
	"testing"

	"sistercity/internal/auth"
	"sistercity/internal/fed"
	"sistercity/internal/polltest"
)

// actorDoc fetches the city's actor as a remote server does.
func (e *testEnv) actorDoc() map[string]any {
	e.t.Helper()
	resp, body := e.getAccept("/ap/actor", fed.ContentType)
	var a map[string]any
	if err := json.Unmarshal([]byte(body), &a); resp.StatusCode != 200 || err != nil {
		e.t.Fatalf("actor: %d %v\n%s", resp.StatusCode, err, body)
	}
	return a
}

// checkHeader fetches the actor's header image and checks it is the PNG of the size it names.
func (e *testEnv) checkHeader(img map[string]any) {
	e.t.Helper()
	u, _ := img["url"].(string)
	resp, body := e.getAccept(strings.TrimPrefix(u, e.ts.URL), "image/*")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" || img["mediaType"] != "image/png" {
		e.t.Fatalf("header %s: %d %s", u, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	cfg, err := png.DecodeConfig(bytes.NewReader([]byte(body)))
	if err != nil || float64(cfg.Width) != img["width"] || float64(cfg.Height) != img["height"] {
		e.t.Fatalf("header %s: %v %dx%d, actor says %v×%v", u, err, cfg.Width, cfg.Height, img["width"], img["height"])
	}
}

// TestFedIdentityUpdate: the actor has a header image (a band of the accent colour until one
// is set); saving the site identity with a new name, summary or header sends its followers an
// Update of the actor; a save that changes nothing the actor shows sends none; a header too
// small is refused.
func TestFedIdentityUpdate(t *testing.T) {
	t.Parallel()
	e := newFedEnv(t)
	a := e.actorDoc()
	img, _ := a["image"].(map[string]any)
	if img == nil || img["type"] != "Image" || img["url"] != e.ts.URL+"/site/header?v=d0b5394" || img["width"] != 1500.0 {
		t.Fatalf("default header: %v", a["image"])
	}
	e.checkHeader(img)

	f := newFollower(t, "Alice")
	if got := f.send(e, "/ap/inbox", map[string]any{"id": f.id() + "#follows/1", "type": "Follow", "actor": f.id(), "object": e.ts.URL + "/ap/actor"}); got != 202 {
		t.Fatalf("follow: %d", got)
	}
	polltest.Until(t, "the Accept", func() (bool, string) { return len(f.received("Accept")) == 1, strings.Join(f.badSig, "; ") })

	admin := e.userClient(auth.RoleAdmin)
	fields := map[string]string{"name_en": "Busan", "name_ko": "부산광역시", "summary_en": "Korea's port city <3",
		"summary_ru": "Портовый город Кореи", "accent": "#00539F"}
	if resp, body := admin.postIdentity("en", fields, identityFiles{"header": {"header.png", testPNG(t, 1500, 500)}}); resp.StatusCode != 303 {
		t.Fatalf("save: %d\n%s", resp.StatusCode, body)
	}
	polltest.Until(t, "the actor Update after the identity changed", func() (bool, string) {
		return len(f.received("Update")) == 1, strings.Join(f.badSig, "; ")
	})
	obj, _ := f.received("Update")[0]["object"].(map[string]any)
	sm, _ := obj["summaryMap"].(map[string]any)
	img, _ = obj["image"].(map[string]any)
	if obj["id"] != e.ts.URL+"/ap/actor" || obj["name"] != "Busan" || obj["summary"] != "<p>Korea&#39;s port city &lt;3</p>" ||
		sm["ru"] != "<p>Портовый город Кореи</p>" || img == nil || strings.Contains(img["url"].(string), "v=d") {
		t.Fatalf("updated actor: %v", obj)
	}
	e.checkHeader(e.actorDoc()["image"].(map[string]any))

	// The same identity again (the header kept): nothing the actor shows changed, no Update.
	// Then the name changes: one more Update, with the new name.
	if resp, body := admin.postIdentity("en", fields, nil); resp.StatusCode != 303 {
		t.Fatalf("save again: %d\n%s", resp.StatusCode, body)
	}
	fields["name_en"] = "Busan Metropolitan City"
	if resp, body := admin.postIdentity("en", fields, nil); resp.StatusCode != 303 {
		t.Fatalf("rename: %d\n%s", resp.StatusCode, body)
	}
	polltest.Until(t, "the Update after the rename", func() (bool, string) {
		u := f.received("Update")
		return len(u) >= 2 && u[len(u)-1]["object"].(map[string]any)["name"] == "Busan Metropolitan City", ""
	})
	if n := len(f.received("Update")); n != 2 {
		t.Fatalf("%d Updates, want 2 (an unchanged save sent one)", n)
	}

	// Removing the header goes back to the band, now in the city's accent colour.
	if resp, body := admin.postIdentity("en", map[string]string{"name_en": "Busan", "accent": "#00539F", "header_remove": "1"}, nil); resp.StatusCode != 303 {
		t.Fatalf("remove header: %d\n%s", resp.StatusCode, body)
	}
	img = e.actorDoc()["image"].(map[string]any)
	if img["url"] != e.ts.URL+"/site/header?v=d00539f" {
		t.Fatalf("default header in the accent: %v", img)
	}
	e.checkHeader(img)

	// A header of 50×50 pixels is refused, in the admin's language, and nothing is kept.
	resp, body := admin.postIdentity("en", fields, identityFiles{"header": {"small.png", testPNG(t, 50, 50)}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="err-header"`) {
		t.Fatalf("small header: %d\n%s", resp.StatusCode, body)
	}
	if _, page := admin.get("/admin/settings/identity"); !strings.Contains(page, `src="/site/header?v=d00539f"`) || !strings.Contains(page, `name="summary_ru"`) {
		t.Fatalf("identity page:\n%s", page)
	}
}

// TestFedChannel: the city's video channel (a Group) and the account that owns it (a Person)
// answer as PeerTube fetches them, with the city's key under their own key ids, and WebFinger
// finds the channel by its handle.
func TestFedChannel(t *testing.T) {
	t.Parallel()
	e := newFedEnv(t)
	host := strings.TrimPrefix(e.ts.URL, "http://")
	city := e.actorDoc()
	for _, tt := range []struct{ path, typ, user string }{{"/ap/channel", "Group", "city_videos"}, {"/ap/account", "Person", "city_office"}} {
		resp, body := e.getAccept(tt.path, fed.ContentType)
		var a map[string]any
		if err := json.Unmarshal([]byte(body), &a); resp.StatusCode != 200 || err != nil {
			t.Fatalf("%s: %d %v", tt.path, resp.StatusCode, err)
		}
		id := e.ts.URL + tt.path
		pk, _ := a["publicKey"].(map[string]any)
		if a["type"] != tt.typ || a["id"] != id || a["preferredUsername"] != tt.user || pk["id"] != id+"#main-key" || pk["owner"] != id ||
			pk["publicKeyPem"] != city["publicKey"].(map[string]any)["publicKeyPem"] || a["inbox"] != city["inbox"] || a["image"] == nil {
			t.Fatalf("%s: %s", tt.path, body)
		}
		if tt.typ == "Group" {
			by, _ := a["attributedTo"].([]any)
			if len(by) == 0 || by[0].(map[string]any)["type"] != "Person" || by[0].(map[string]any)["id"] != e.ts.URL+"/ap/account" {
				t.Fatalf("the channel's owner: %v", a["attributedTo"])
			}
		}
		resp, body = e.getAccept("/.well-known/webfinger?resource=acct:"+tt.user+"@"+host, "application/jrd+json")
		if resp.StatusCode != 200 || !strings.Contains(body, `"href":"`+id+`"`) || !strings.Contains(body, `"subject":"acct:`+tt.user+"@") {
			t.Fatalf("webfinger %s: %d %s", tt.user, resp.StatusCode, body)
		}
	}
}
