package web

import (
	"bytes"
	"context"
	"database/sql"
	"image"
	"image/png"
	"mime/multipart"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"sistercity/internal/auth"
	"sistercity/internal/identity"
	"sistercity/internal/register"
)

// identityFiles are the files of an identity form: field name → file name and content.
type identityFiles map[string]struct {
	name string
	body []byte
}

// postIdentity sends the identity form as the page does (multipart, CSRF field first), with
// the admin language lang (?lang=).
func (c *client) postIdentity(lang string, fields map[string]string, files identityFiles) (*http.Response, string) {
	c.e.t.Helper()
	_, page := c.get("/admin/settings/identity")
	m := csrfRe.FindStringSubmatch(page)
	if m == nil {
		c.e.t.Fatal("no csrf token on the identity page")
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("csrf_token", m[1])
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	for field, f := range files {
		fw, err := mw.CreateFormFile(field, f.name)
		if err != nil {
			c.e.t.Fatal(err)
		}
		_, _ = fw.Write(f.body)
	}
	_ = mw.Close()
	return c.do("POST", "/admin/settings/identity?lang="+lang, &body, mw.FormDataContentType())
}

func testPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, w, h))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

const testLogo = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 40"><circle cx="20" cy="20" r="15" fill="#00539f"/></svg>`

var busanFields = map[string]string{
	"name_ko": "부산광역시", "name_ru": "Пусан", "name_en": "Busan Metropolitan City",
	"footer_ko": "부산광역시 국제협력과", "footer_en": "Busan Metropolitan City, international relations",
	"accent": "#00539F", "contacts": "https://www.busan.go.kr\r\nmailto:office@example.org\r\n",
}

// TestIdentityShownOnEveryPage: the admin sets Busan's identity; the public pages show it at
// once (the page cache is not left stale), with the assets served safely.
func TestIdentityShownOnEveryPage(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	seedVladivostok(t, e)
	visitor := e.client()
	// Without settings the site has its default name and favicon.
	resp, page := visitor.get("/ko/")
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "자매도시") || !strings.Contains(page, `rel="icon" href="/static/favicon.`) {
		t.Fatalf("default identity: %d\n%s", resp.StatusCode, page)
	}
	visitor.get("/ko/") // kept in the page cache now

	admin := e.userClient(auth.RoleAdmin)
	resp, hub := admin.get("/admin/settings")
	if resp.StatusCode != http.StatusOK || !strings.Contains(hub, `href="/admin/settings/identity"`) || !strings.Contains(hub, `href="/admin/settings/embeds"`) {
		t.Fatalf("settings hub: %d\n%s", resp.StatusCode, hub)
	}
	audits := auditCount(t, e, auth.EntitySettings)
	resp, body := admin.postIdentity("en", busanFields, identityFiles{
		"logo": {"busan.svg", []byte(testLogo)}, "favicon": {"favicon.png", testPNG(t, 32, 32)}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d\n%s", resp.StatusCode, body)
	}
	if auditCount(t, e, auth.EntitySettings) != audits+1 {
		t.Error("no audit entry")
	}

	for lang, name := range map[string]string{"ko": "부산광역시", "ru": "Пусан", "en": "Busan Metropolitan City"} {
		resp, page = visitor.get("/" + lang + "/")
		if resp.StatusCode != http.StatusOK || !strings.Contains(page, "<span>"+name+"</span>") ||
			!strings.Contains(page, "<title>") || !strings.Contains(page, " · "+name+"</title>") && !strings.Contains(page, "<title>"+name+"</title>") {
			t.Errorf("%s: name not shown (stale page?)\n%s", lang, page)
		}
		if !regexp.MustCompile(`<img class="logo" src="/site/logo\?v=[0-9a-f]+" alt="" width="120" height="40">`).MatchString(page) {
			t.Errorf("%s: no logo", lang)
		}
		if !regexp.MustCompile(`<link rel="icon" href="/site/favicon\?v=[0-9a-f]+" type="image/png">`).MatchString(page) {
			t.Errorf("%s: no favicon", lang)
		}
		if !strings.Contains(page, `<link rel="stylesheet" href="/site/theme.css?v=00539f-">`) {
			t.Errorf("%s: no theme", lang)
		}
		if !strings.Contains(page, `<a href="https://www.busan.go.kr">www.busan.go.kr</a>`) || !strings.Contains(page, `<a href="mailto:office@example.org">office@example.org</a>`) {
			t.Errorf("%s: no contacts", lang)
		}
	}
	// The calendar feed is named after the city too.
	if _, ics := visitor.get("/ko/calendar.ics"); !strings.Contains(ics, "부산광역시") {
		t.Errorf("calendar not named after the city:\n%s", ics)
	}
	// So are the link previews, the feeds and their links on the pages.
	if _, page := visitor.get("/ru/"); !strings.Contains(page, `<meta property="og:site_name" content="Пусан">`) ||
		!strings.Contains(page, `title="Пусан: программа обменов (Atom)"`) {
		t.Errorf("ru home: og:site_name or feed links not named after the city:\n%s", page)
	}
	if _, atom := visitor.get("/ko/videos/feed.atom"); !strings.Contains(atom, "<name>부산광역시</name>") || !strings.Contains(atom, "<title>부산광역시: 영상</title>") {
		t.Errorf("video feed not named after the city:\n%s", atom)
	}
	if _, atom := visitor.get("/en/timeline.atom"); !strings.Contains(atom, "Busan Metropolitan City") {
		t.Errorf("timeline feed not named after the city:\n%s", atom)
	}
	// Russian has no footer: the English one, marked with its language.
	_, page = visitor.get("/ru/")
	if !strings.Contains(page, `<p class="footer-text" lang="en">Busan Metropolitan City, international relations</p>`) {
		t.Errorf("ru footer fallback not marked:\n%s", page)
	}
	_, page = visitor.get("/ko/partners")
	if !strings.Contains(page, `<p class="footer-text">부산광역시 국제협력과</p>`) {
		t.Error("ko footer missing on the partners page")
	}

	// The assets: right type, no sniffing, no script, cached under their versioned URL.
	logoURL := regexp.MustCompile(`/site/logo\?v=[0-9a-f]+`).FindString(page)
	resp, svg := visitor.get(logoURL)
	h := resp.Header
	if resp.StatusCode != http.StatusOK || h.Get("Content-Type") != "image/svg+xml" || h.Get("X-Content-Type-Options") != "nosniff" ||
		!strings.Contains(h.Get("Content-Security-Policy"), "default-src 'none'") || !strings.Contains(h.Get("Content-Security-Policy"), "sandbox") ||
		!strings.Contains(h.Get("Cache-Control"), "immutable") || !strings.HasPrefix(svg, `<svg xmlns="http://www.w3.org/2000/svg"`) {
		t.Errorf("logo: %d %v\n%s", resp.StatusCode, h, svg)
	}
	resp, _ = visitor.get("/site/favicon")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/png" || strings.Contains(resp.Header.Get("Cache-Control"), "immutable") {
		t.Errorf("favicon: %d %v", resp.StatusCode, resp.Header)
	}
	resp, css := visitor.get("/site/theme.css?v=00539f-")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/css; charset=utf-8" ||
		!strings.Contains(css, "--accent: #00539f;") || !strings.Contains(css, "--accent-dark: #") {
		t.Errorf("theme: %d\n%s", resp.StatusCode, css)
	}

	// Removing the logo and favicon goes back to the defaults.
	resp, body = admin.postIdentity("en", map[string]string{"name_en": "Busan", "logo_remove": "1", "favicon_remove": "1"}, nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("remove: %d\n%s", resp.StatusCode, body)
	}
	_, page = visitor.get("/ko/")
	if strings.Contains(page, `class="logo"`) || !strings.Contains(page, `rel="icon" href="/static/favicon.`) || strings.Contains(page, "theme.css") {
		t.Errorf("defaults not back:\n%s", page)
	}
	// ko has no name now: the English one, marked.
	if !strings.Contains(page, `<span lang="en">Busan</span>`) {
		t.Error("fallback name not marked with its language")
	}
	if resp, _ := visitor.get("/site/logo"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("removed logo: %d", resp.StatusCode)
	}
}

// TestIdentityBadInput: what is refused is said in the reader's language, with a 4xx, and
// nothing of the form is saved.
func TestIdentityBadInput(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	admin := e.userClient(auth.RoleAdmin)
	ctx := context.Background()
	e.inTx(func(tx *sql.Tx) error {
		return identity.Save(ctx, tx, identity.Identity{Names: map[string]string{"en": "Before"}})
	})
	svgWith := func(inner string) []byte {
		return []byte(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"` + inner + `</svg>`)
	}
	for _, tt := range []struct {
		name   string
		lang   string
		fields map[string]string
		files  identityFiles
		want   string
	}{
		{"logo not an image", "en", nil, identityFiles{"logo": {"logo.png", []byte("GIF89a not what it says")}}, "The file is not a PNG or SVG image."},
		{"logo too large", "ru", nil, identityFiles{"logo": {"logo.svg", append(svgWith(">"), bytes.Repeat([]byte(" "), 300<<10)...)}}, "Файл больше 256\u00a0КБ."},
		{"svg with script", "ko", nil, identityFiles{"logo": {"logo.svg", svgWith("><script>alert(1)</script>")}}, "SVG 파일에 &lt;script&gt; 요소를 넣을 수 없습니다"},
		{"svg with onload", "en", nil, identityFiles{"favicon": {"f.svg", svgWith(` onload="alert(1)">`)}}, "event handlers such as onload"},
		{"svg with external href", "ru", nil, identityFiles{"logo": {"logo.svg", svgWith(`><use href="https://evil.example/a.svg#x"/>`)}}, "не может ссылаться ни на что вне себя"},
		{"png too many pixels", "ru", nil, identityFiles{"favicon": {"f.png", testPNG(t, 600, 600)}}, "Размер изображения — 600×600\u00a0пикселей; допускается не более 512\u00a0пикселей"},
		{"accent fails contrast", "en", map[string]string{"accent": "#ffcc00"}, nil, "The colour has a contrast of only 1.38:1 with the header background (#f3f5f8); at least 4.5:1 is needed."},
		{"accent fails contrast, ru", "ru", map[string]string{"accent": "#999999"}, nil, "Контраст этого цвета с фоном шапки (#f3f5f8) всего 2,6:1"},
		{"dark accent fails", "en", map[string]string{"accent_dark": "#0b5394"}, nil, "only 1.99:1 with the header background (#1e242b)"},
		{"unknown language", "en", map[string]string{"name_de": "Busan"}, nil, "“de” is not a language of this site."},
		{"unknown footer language, ko", "ko", map[string]string{"footer_xx": "x"}, nil, "“xx”은(는) 이 사이트의 언어가 아닙니다."},
		{"bad contact", "en", map[string]string{"contacts": "javascript:alert(1)"}, nil, "Line 1: “javascript:alert(1)” is not an https"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			audits := auditCount(t, e, auth.EntitySettings)
			fields := map[string]string{"name_en": "After", "accent": "#0b5394"}
			for k, v := range tt.fields {
				fields[k] = v
			}
			resp, body := admin.postIdentity(tt.lang, fields, tt.files)
			if resp.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422", resp.StatusCode)
			}
			if !strings.Contains(body, tt.want) {
				t.Errorf("message %q not found\n%s", tt.want, body)
			}
			if !strings.Contains(body, `role="alert"`) || !strings.Contains(body, `aria-invalid="true"`) && !strings.Contains(tt.name, "language") {
				t.Error("errors not marked")
			}
			id, err := identity.Load(ctx, e.db.R)
			if err != nil || id.Name("en") != "Before" || id.Accent != "" || id.Logo != nil || id.Favicon != nil {
				t.Errorf("saved anyway: %+v %v", id, err)
			}
			if auditCount(t, e, auth.EntitySettings) != audits {
				t.Error("audited anyway")
			}
		})
	}
}

// TestIdentityNeedsAdmin: only an admin sees or changes the settings, and only with the token.
func TestIdentityNeedsAdmin(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	editor := e.userClient(auth.RoleEditor)
	for _, path := range []string{"/admin/settings", "/admin/settings/identity"} {
		if resp, _ := editor.get(path); resp.StatusCode != http.StatusForbidden {
			t.Errorf("editor GET %s: %d", path, resp.StatusCode)
		}
	}
	if resp, _ := editor.post("/admin/settings/identity", map[string][]string{"name_en": {"X"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("editor POST: %d", resp.StatusCode)
	}
	admin := e.userClient(auth.RoleAdmin)
	resp, _ := admin.do("POST", "/admin/settings/identity", strings.NewReader("name_en=X"), "application/x-www-form-urlencoded")
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("admin POST without token: %d", resp.StatusCode)
	}
	if id, _ := identity.Load(context.Background(), e.db.R); id.Name("en") != "" {
		t.Error("saved without right")
	}
}

// TestZoneFields: every admin form that takes a time zone offers the whole list, refuses an
// unknown zone in the reader's language (suggesting the one meant), and the activity form
// starts from the partner city's zone.
func TestZoneFields(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	home, partner, p := seedVladivostok(t, e)
	ctx := context.Background()
	home.Timezone, partner.Timezone = "Asia/Seoul", "Asia/Vladivostok"
	e.inTx(func(tx *sql.Tx) error {
		if err := register.UpdateCity(ctx, tx, home); err != nil {
			return err
		}
		return register.UpdateCity(ctx, tx, partner)
	})
	editor := e.userClient(auth.RoleEditor)
	for _, path := range []string{"/admin/activities/new?partnership=" + itoa64(p.ID), "/admin/cities/new", "/admin/videos/new"} {
		_, body := editor.get(path)
		if !strings.Contains(body, `<datalist id="zones">`) || !strings.Contains(body, `<option value="Asia/Yakutsk">`) || !strings.Contains(body, `list="zones"`) {
			t.Errorf("%s: no full zone list", path)
		}
	}
	_, body := editor.get("/admin/activities/new?partnership=" + itoa64(p.ID))
	if !strings.Contains(body, `name="planned_start_zone" list="zones" value="Asia/Vladivostok"`) {
		t.Error("activity zone does not default to the partner's")
	}
	_, body = editor.get("/admin/activities/new")
	if !strings.Contains(body, `name="planned_start_zone" list="zones" value="Asia/Seoul"`) {
		t.Error("activity zone without a partner does not default to the home city's")
	}

	v := busanDayValues(p.ID)
	v.Set("planned_start_time", "18:00")
	v.Set("planned_start_zone", "vladivostok")
	editor.lang = "ru"
	resp, body := editor.post("/admin/activities?lang=ru", v)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "«vladivostok» — не часовой пояс. Возможно, вы имели в виду Asia/Vladivostok?") {
		t.Errorf("bad zone: %d", resp.StatusCode)
	}
	// IANA keeps Khabarovsk on Vladivostok's time, under Vladivostok's name.
	v.Set("planned_start_zone", "Asia/Khabarovsk")
	editor.lang = "en"
	resp, body = editor.post("/admin/activities?lang=en", v)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "“Asia/Khabarovsk” is not a time zone. Did you mean Asia/Vladivostok?") {
		t.Errorf("Asia/Khabarovsk: %d", resp.StatusCode)
	}
	// UTC, offered first, is accepted.
	v.Set("planned_start_zone", "UTC")
	v.Set("planned_start_time", "00:30") // before the end, 18:00 in Vladivostok
	if resp, body := editor.post("/admin/activities", v); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("UTC refused: %d\n%s", resp.StatusCode, regexp.MustCompile(`field-error[^<]*<`).FindAllString(body, -1))
	}
}
