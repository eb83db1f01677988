package identity

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"image"
	"image/color"
	"image/png"
	"math"
	"strings"
	"testing"

	"sistercity/internal/db/dbtest"
	"sistercity/internal/problem"
)

func TestContrast(t *testing.T) {
	c := func(s string) RGB {
		v, ok := ParseHex(s)
		if !ok {
			t.Fatalf("ParseHex(%q) failed", s)
		}
		return v
	}
	// Known ratios (WebAIM's contrast checker).
	for _, tt := range []struct {
		a, b string
		want float64
	}{
		{"#000000", "#ffffff", 21},
		{"#ffffff", "#ffffff", 1},
		{"#777777", "#ffffff", 4.48},
		{"#0b5394", "#ffffff", 7.84},
		{"#f00", "#fff", 3.99},
	} {
		if got := Contrast(c(tt.a), c(tt.b)); math.Abs(got-tt.want) > 0.01 {
			t.Errorf("Contrast(%s, %s) = %.3f, want %.2f", tt.a, tt.b, got, tt.want)
		}
	}
	for _, bad := range []string{"", "#12", "red", "#gggggg", "#1234567"} {
		if _, ok := ParseHex(bad); ok {
			t.Errorf("ParseHex(%q) accepted", bad)
		}
	}
	// A derived dark accent passes against every dark background.
	for _, light := range []string{"#0b5394", "#000000", "#a11a1a", "#00539f"} {
		d := DeriveDark(c(light))
		if _, r := weakest(d, DarkBackgrounds); r < MinContrast {
			t.Errorf("DeriveDark(%s) = %s: %.2f", light, d.Hex(), r)
		}
	}
}

func TestCheck(t *testing.T) {
	langs := []string{"en", "ko", "ru"}
	ok := Identity{Names: map[string]string{"ko": "부산광역시", "en": "Busan Metropolitan City"}, Accent: "#0B5394",
		Contacts: []string{"https://www.busan.go.kr", "mailto:office@example.org", "tel:+82-51-120"}}
	if f := Check(&ok, langs); len(f) > 0 {
		t.Fatalf("valid identity refused: %v", f)
	}
	if ok.Accent != "#0b5394" {
		t.Errorf("accent not normalised: %s", ok.Accent)
	}
	for _, tt := range []struct {
		name  string
		id    Identity
		field string
		key   string
	}{
		{"unknown language", Identity{Names: map[string]string{"xx": "X"}}, "name", "identity.error.unknown_lang"},
		{"unknown footer language", Identity{Footers: map[string]string{"de": "X"}}, "footer", "identity.error.unknown_lang"},
		{"control character", Identity{Names: map[string]string{"en": "A\x07B"}}, "name_en", "identity.error.control"},
		{"too long", Identity{Names: map[string]string{"en": strings.Repeat("a", 121)}}, "name_en", "identity.error.too_long"},
		{"not a colour", Identity{Accent: "blue"}, "accent", "identity.error.colour"},
		{"light fails", Identity{Accent: "#ffcc00"}, "accent", "identity.error.contrast"},
		{"dark fails", Identity{AccentDark: "#0b5394"}, "accent_dark", "identity.error.contrast"},
		{"javascript link", Identity{Contacts: []string{"javascript:alert(1)"}}, "contacts", "identity.error.contact"},
		{"ftp link", Identity{Contacts: []string{"ftp://example.org"}}, "contacts", "identity.error.contact"},
		{"bad mail", Identity{Contacts: []string{"mailto:nobody"}}, "contacts", "identity.error.contact"},
		{"too many", Identity{Contacts: strings.Fields(strings.Repeat("https://a.example ", 11))}, "contacts", "identity.error.too_many_contacts"},
	} {
		f := Check(&tt.id, langs)
		if len(f) == 0 || f[0].Field != tt.field || f[0].Msg.Key != tt.key {
			t.Errorf("%s: got %v, want %s on %s", tt.name, f, tt.key, tt.field)
		}
	}
	// The refusal names the measured ratio.
	id := Identity{Accent: "#ffcc00"}
	f := Check(&id, langs)
	yellow, _ := ParseHex("#ffcc00")
	header, _ := ParseHex("#f3f5f8") // the weaker of the two light backgrounds
	if len(f) != 1 || f[0].Msg.Args[0] != "ratio" || f[0].Msg.Args[1].(float64) != RoundRatio(Contrast(yellow, header)) ||
		f[0].Msg.Args[3] != "#f3f5f8" {
		t.Errorf("contrast message: %+v", f)
	}
}

func pngOf(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := range w {
		img.Set(x, 0, color.RGBA{11, 83, 148, 255})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

const goodSVG = `<?xml version="1.0" encoding="UTF-8"?>
<!-- made by hand -->
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" viewBox="0 0 64 32" inkscape:version="1.0">
<metadata><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/></metadata>
<inkscape:thing/>
<title>Busan &amp; sea</title>
<defs><linearGradient id="g"><stop offset="0" stop-color="#0b5394"/></linearGradient></defs>
<circle cx="16" cy="16" r="10" fill="url(#g)" style="stroke: #fff"/>
<use xlink:href="#g" x="30"/>
<text x="30" y="20" font-size="10">부산 &lt;3</text>
</svg>`

func TestSanitizeSVG(t *testing.T) {
	a, err := CheckImage(KindLogo, []byte(goodSVG))
	if err != nil {
		t.Fatalf("good SVG refused: %v", err)
	}
	out := string(a.Body)
	if a.ContentType != "image/svg+xml" || a.Width != 64 || a.Height != 32 {
		t.Errorf("asset: %+v", a.AssetInfo)
	}
	for _, gone := range []string{"metadata", "inkscape", "rdf", "<?xml", "<!--", "xlink"} {
		if strings.Contains(out, gone) {
			t.Errorf("kept %q:\n%s", gone, out)
		}
	}
	for _, kept := range []string{`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 32">`, `fill="url(#g)"`,
		`<use href="#g" x="30">`, `<title>Busan &amp; sea</title>`, `부산 &lt;3`} {
		if !strings.Contains(out, kept) {
			t.Errorf("lost %q:\n%s", kept, out)
		}
	}
	// What is written parses again to the same.
	again, _, _, err := SanitizeSVG(a.Body, 4096)
	if err != nil || !bytes.Equal(again, a.Body) {
		t.Errorf("not stable: %v\n%s\n%s", err, a.Body, again)
	}
}

func TestCheckImageRefuses(t *testing.T) {
	svg := func(inner string) []byte {
		return []byte(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">` + inner + `</svg>`)
	}
	for _, tt := range []struct {
		name string
		kind string
		data []byte
		key  string
	}{
		{"text file", KindLogo, []byte("hello, I am not an image"), "identity.error.not_image"},
		{"jpeg", KindLogo, []byte("\xff\xd8\xff\xe0\x00\x10JFIF"), "identity.error.not_image"},
		{"empty", KindFavicon, nil, "identity.error.empty"},
		{"too large", KindLogo, append(svg(""), bytes.Repeat([]byte(" "), 300<<10)...), "identity.error.too_large"},
		{"png too many pixels", KindFavicon, pngOf(t, 1024, 16), "identity.error.too_many_pixels"},
		{"png too small", KindFavicon, pngOf(t, 8, 8), "identity.error.too_small"},
		{"truncated png", KindLogo, pngOf(t, 64, 64)[:60], "identity.error.bad_png"},
		{"script", KindLogo, svg(`<script>alert(1)</script>`), "identity.error.svg_element"},
		{"script in another namespace's element", KindLogo, svg(`<x:y xmlns:x="urn:x"><script>alert(1)</script></x:y>`), "identity.error.svg_element"},
		{"onload", KindLogo, []byte(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10" onload="alert(1)"/>`), "identity.error.svg_event"},
		{"onclick upper case", KindLogo, svg(`<rect ONCLICK="alert(1)" width="1" height="1"/>`), "identity.error.svg_event"},
		{"external href", KindLogo, svg(`<use href="https://evil.example/x.svg#a"/>`), "identity.error.svg_reference"},
		{"external xlink:href", KindLogo, svg(`<use xmlns:xlink="http://www.w3.org/1999/xlink" xlink:href="data:image/svg+xml,x"/>`), "identity.error.svg_reference"},
		{"javascript href", KindLogo, svg(`<a href="javascript:alert(1)"><rect/></a>`), "identity.error.svg_element"},
		{"external url() fill", KindLogo, svg(`<rect fill="url(https://evil.example/p)"/>`), "identity.error.svg_reference"},
		{"style import", KindLogo, svg(`<rect style="@import 'x'"/>`), "identity.error.svg_reference"},
		{"css escape", KindLogo, svg(`<rect style="fill: u\72l(x)"/>`), "identity.error.svg_reference"},
		{"foreignObject", KindLogo, svg(`<foreignObject><div xmlns="http://www.w3.org/1999/xhtml">x</div></foreignObject>`), "identity.error.svg_element"},
		{"image", KindLogo, svg(`<image href="#x"/>`), "identity.error.svg_element"},
		{"style element", KindLogo, svg(`<style>rect{fill:url(https://e.example)}</style>`), "identity.error.svg_element"},
		{"animation", KindLogo, svg(`<set attributeName="href" to="javascript:alert(1)"/>`), "identity.error.svg_element"},
		{"xhtml", KindLogo, svg(`<h:script xmlns:h="http://www.w3.org/1999/xhtml">alert(1)</h:script>`), "identity.error.svg_element"},
		{"doctype", KindLogo, []byte(`<!DOCTYPE svg [<!ENTITY x "y">]><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"/>`), "identity.error.svg_doctype"},
		{"not svg root", KindLogo, []byte(`<html><body/></html>`), "identity.error.svg_parse"},
		{"broken xml", KindLogo, []byte(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><rect></svg>`), "identity.error.svg_parse"},
		{"no size", KindLogo, []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`), "identity.error.svg_size"},
		{"svg too many pixels", KindFavicon, []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="5000" height="10"/>`), "identity.error.too_many_pixels"},
		{"deep", KindLogo, []byte(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1">` + strings.Repeat("<g>", 100) + strings.Repeat("</g>", 100) + `</svg>`), "identity.error.svg_complex"},
	} {
		_, err := CheckImage(tt.kind, tt.data)
		var f problem.Fields
		if !errors.As(err, &f) || len(f) != 1 || f[0].Field != tt.kind || f[0].Msg.Key != tt.key {
			t.Errorf("%s: got %v, want %s", tt.name, err, tt.key)
		}
	}
	if a, err := CheckImage(KindFavicon, pngOf(t, 32, 32)); err != nil || a.ContentType != "image/png" || a.Width != 32 {
		t.Errorf("good png: %+v, %v", a.AssetInfo, err)
	}
}

// TestStore runs on SQLite and, with SISTERCITY_TEST_DATABASE_URL, on PostgreSQL.
func TestStore(t *testing.T) {
	d := dbtest.Open(t)
	ctx := context.Background()
	id, err := Load(ctx, d.R)
	if err != nil || id.Name("ko") != "" || id.Logo != nil {
		t.Fatalf("empty identity: %+v, %v", id, err)
	}
	png32 := pngOf(t, 32, 32)
	logo, err := CheckImage(KindLogo, []byte(goodSVG))
	if err != nil {
		t.Fatal(err)
	}
	fav, err := CheckImage(KindFavicon, png32)
	if err != nil {
		t.Fatal(err)
	}
	want := Identity{Names: map[string]string{"ko": "부산광역시", "en": "Busan Metropolitan City", "ru": ""},
		Footers: map[string]string{"ru": "Пусан"}, Accent: "#00539f", Contacts: []string{"https://www.busan.go.kr"}}
	err = d.InTx(ctx, func(tx *sql.Tx) error {
		if err := Save(ctx, tx, want); err != nil {
			return err
		}
		if err := SaveAsset(ctx, tx, KindLogo, logo); err != nil {
			return err
		}
		return SaveAsset(ctx, tx, KindFavicon, fav)
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := Load(ctx, d.R)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name("ko") != "부산광역시" || got.Accent != "#00539f" || len(got.Contacts) != 1 || got.Logo == nil || got.Favicon == nil {
		t.Errorf("loaded: %+v", got)
	}
	// ru has no name: English is the fallback, with its language.
	if n, l := got.NameIn("ru"); n != "Busan Metropolitan City" || l != "en" {
		t.Errorf("ru name: %q %q", n, l)
	}
	if f, l := got.FooterIn("ko"); f != "Пусан" || l != "ru" {
		t.Errorf("ko footer: %q %q", f, l)
	}
	a, err := LoadAsset(ctx, d.R, KindFavicon)
	if err != nil || !bytes.Equal(a.Body, png32) || a.Sum != got.Favicon.Sum || a.Width != 32 {
		t.Errorf("favicon: %+v %v", a.AssetInfo, err)
	}
	err = d.InTx(ctx, func(tx *sql.Tx) error { return DeleteAsset(ctx, tx, KindLogo) })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := LoadAsset(ctx, d.R, KindLogo); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleted logo: %v", err)
	}
}
