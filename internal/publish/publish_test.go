package publish

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestStartAt(t *testing.T) {
	d := 2*time.Minute + 5*time.Second
	for in, want := range map[string]time.Duration{
		"": 0, "90": 90 * time.Second, "90.5": 90500 * time.Millisecond, "1m30s": 90 * time.Second, "45s": 45 * time.Second,
		"2m": 2 * time.Minute, "2m5s": 0, "125": 0, "3m": 0, "-5": 0, "-1m": 0, "abc": 0, "1e2": 0, "NaN": 0, "Inf": 0,
		"0x10": 0, "1h": 0, "500ms": 0, "1m30": 0, "99999999999999999999": 0, strings.Repeat("1", 40): 0, "1.5m": 0,
	} {
		if got := StartAt(in, d); got != want {
			t.Errorf("StartAt(%q) = %v, want %v", in, got, want)
		}
	}
	if got := StartAt("1h2m3s", 2*time.Hour); got != time.Hour+2*time.Minute+3*time.Second {
		t.Errorf("1h2m3s: %v", got)
	}
	for at, want := range map[time.Duration]string{0: "0s", 90 * time.Second: "1m30s", 45 * time.Second: "45s", time.Hour + 3*time.Second: "1h0m3s"} {
		if got := StartParam(at); got != want {
			t.Errorf("StartParam(%v) = %q, want %q", at, got, want)
		}
	}
}

func TestParseOrigins(t *testing.T) {
	got, err := ParseOrigins("https://www.Busan.go.kr\n\n  http://localhost:8081/ \nhttps://example.org:443\nhttp://[::1]:9000\nhttps://www.busan.go.kr\n")
	if err != nil {
		t.Fatal(err)
	}
	want := "https://www.busan.go.kr http://localhost:8081 https://example.org http://[::1]:9000"
	if strings.Join(got, " ") != want {
		t.Errorf("got %q, want %q", strings.Join(got, " "), want)
	}
	if FrameAncestors(got) != "'self' "+want || FrameAncestors(nil) != "*" {
		t.Errorf("frame-ancestors: %q", FrameAncestors(got))
	}
	for _, bad := range []string{"ftp://example.org", "javascript:alert(1)", "https://example.org/path", "https://*.example.org",
		"https://user:pw@example.org", "https://example.org?x=1", "example.org", "https://", "https://exa mple.org",
		"https://example.org:99999", "https://example.org; script-src *", "data:text/html,x", "https://ex_ample.org",
		"https://" + strings.Repeat("a", 300) + ".org", "'self'", "https://example.org#x"} {
		if _, err := ParseOrigins("https://ok.example\n" + bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, err := ParseOrigins(strings.Repeat("https://a.example\n", 5000)); err == nil {
		t.Error("a huge list accepted")
	}
}

func TestFrameSize(t *testing.T) {
	for _, c := range []struct{ w, h, maxW, maxH, ww, wh int }{
		{1280, 720, 0, 0, 640, 360}, {640, 360, 320, 0, 320, 180}, {640, 360, 0, 180, 320, 180},
		{640, 360, 50, 0, 50, 28}, {100, 50, 0, 0, 200, 100}, {320, 240, 0, 0, 320, 240}, {0, 0, 0, 0, 640, 360}, {640, 360, 10000, 10000, 640, 360},
	} {
		if w, h := FrameSize(c.w, c.h, c.maxW, c.maxH); w != c.ww || h != c.wh {
			t.Errorf("FrameSize(%d, %d, %d, %d) = %d×%d, want %d×%d", c.w, c.h, c.maxW, c.maxH, w, h, c.ww, c.wh)
		}
	}
	h := IframeHTML(`/embed/videos/1?lang=ru&subtitles=ru`, `A "title" <b>`, 640, 360)
	if !strings.Contains(h, `src="/embed/videos/1?lang=ru&amp;subtitles=ru"`) || !strings.Contains(h, `title="A &#34;title&#34; &lt;b&gt;"`) {
		t.Errorf("iframe: %s", h)
	}
}

// StartParam writes a start time as the t parameter, as share.js does: "1m30s", "45s".
func StartParam(at time.Duration) string {
	sec := int(at / time.Second)
	var b strings.Builder
	if h := sec / 3600; h > 0 {
		b.WriteString(strconv.Itoa(h) + "h")
	}
	if m := sec / 60 % 60; m > 0 || sec >= 3600 {
		b.WriteString(strconv.Itoa(m) + "m")
	}
	b.WriteString(strconv.Itoa(sec%60) + "s")
	return b.String()
}
