package web

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"golang.org/x/text/encoding/charmap"

	"sistercity/internal/auth"
	"sistercity/internal/polltest"
	"sistercity/internal/track"
	"sistercity/internal/video"
	"sistercity/internal/web/webtest"
)

// showingTrack reports the language of the player's showing text track and how many cues it
// has loaded: "ru:2", or "none".
const showingTrack = `(() => {
  const t = [...document.getElementById("player").textTracks].find((t) => t.mode === "showing");
  return t ? t.language + ":" + (t.cues ? t.cues.length : 0) : "none";
})()`

// waitEval evaluates expr until it gives want, failing the test after a while.
func waitEval(t *testing.T, ctx context.Context, expr, want string) {
	t.Helper()
	polltest.Until(t, fmt.Sprintf("%s to give %q", strings.TrimSpace(expr), want), func() (bool, string) {
		got, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
		if err != nil {
			t.Fatal(err)
		}
		return got == want, got
	})
}

// TestBrowserTrackChoiceAndTranscript opens the Russian watch page of a video with Korean,
// Russian and English tracks, Korean the default, in Chromium: the Russian track shows and its
// cues load; choosing English survives a reload; a line of the transcript seeks the video and
// is marked as playing. The watch page and the admin's tracks page pass the audit.
func TestBrowserTrackChoiceAndTranscript(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	_, _, p := seedVladivostok(t, e)
	v := seedVideo(t, e, p, video.StatePublished, ruOnly)
	addTrack(t, e, v.ID, "ko", track.StatusApproved, true, "부산 시민 여러분, 안녕하세요!", "블라디보스토크가 부산을 응원합니다.")
	addTrack(t, e, v.ID, "ru", track.StatusApproved, false, "Здравствуйте, жители Пусана!", "Владивосток поддерживает Пусан.")
	en := addTrack(t, e, v.ID, "en", track.StatusApproved, false, "Hello, people of Busan!", "Vladivostok stands with Busan.", "Together.")
	ctx := webtest.Browser(t)
	page := e.ts.URL + "/ru/videos/" + itoa64(v.ID)
	auditPage(t, ctx, page)
	waitEval(t, ctx, showingTrack, "ru:2")

	// Choose English in the page's menu, then come back: the choice is restored.
	_, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](`(() => { const s = document.getElementById("track-choice");
		s.value = "`+itoa64(en.ID)+`"; s.dispatchEvent(new Event("change")); })()`))
	if err != nil {
		t.Fatal(err)
	}
	waitEval(t, ctx, showingTrack, "en:3")
	if err := chromedp.Do(ctx, chromedp.Navigate(page), chromedp.WaitVisible(chromedp.CSS("main"))); err != nil {
		t.Fatal(err)
	}
	waitEval(t, ctx, showingTrack, "en:3")
	waitEval(t, ctx, `document.getElementById("track-choice").value`, itoa64(en.ID))
	// The transcript follows the choice.
	waitEval(t, ctx, `document.getElementById("transcript").lang + ":" + document.querySelectorAll("#transcript button").length`, "en:3")

	// A line of the transcript seeks the video there, by keyboard as well as by mouse.
	waitEval(t, ctx, `String(document.getElementById("player").readyState >= 1)`, "true")
	err = chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`document.querySelectorAll("#transcript button")[1].focus()`),
		chromedp.KeyEvent("\r"))
	if err != nil {
		t.Fatal(err)
	}
	waitEval(t, ctx, `(() => { const t = document.getElementById("player").currentTime; return String(t >= 0.5 && t < 0.6); })()`, "true")
	waitEval(t, ctx, `document.querySelectorAll("#transcript button")[1].getAttribute("aria-current") || ""`, "true")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#transcript li:nth-child(3) button`))); err != nil {
		t.Fatal(err)
	}
	waitEval(t, ctx, `(() => { const t = document.getElementById("player").currentTime; return String(t >= 1 && t < 1.1); })()`, "true")

	// Subtitles off is a choice too, and stays off after a reload despite the default track.
	_, err = chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](`(() => { const s = document.getElementById("track-choice");
		s.value = "off"; s.dispatchEvent(new Event("change")); })()`))
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(page), chromedp.WaitVisible(chromedp.CSS("main"))); err != nil {
		t.Fatal(err)
	}
	waitEval(t, ctx, `document.getElementById("track-choice").value`, "off")
	// The browser's own choice of a default track is made before the media has its metadata
	// (the text tracks must be ready first): once it has, no track can turn on by itself.
	waitEval(t, ctx, `String(document.getElementById("player").readyState >= 1)`, "true")
	if got, err := chromedp.Run(ctx, chromedp.Evaluate[string](showingTrack)); err != nil || got != "none" {
		t.Errorf("after choosing off and reloading: showing %q (%v), want none", got, err)
	}

	// The admin's tracks page passes the audit too.
	e.userClient(auth.RoleEditor)
	webtest.SignIn(t, ctx, e.ts.URL+"/admin/sign-in?lang=ko", "u-editor", testPassword)
	auditPage(t, ctx, e.ts.URL+"/admin/videos/"+itoa64(v.ID)+"/tracks")
	// The import preview of a Windows-1251 file too.
	file := filepath.Join(t.TempDir(), "vladivostok.srt")
	if err := os.WriteFile(file, encode(t, charmap.Windows1251, vladivostokSRT), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.SetUploadFiles(chromedp.ID("import-file"), []string{file})); err != nil {
		t.Fatalf("import preview: %v", err)
	}
	webtest.Submit(t, ctx, "#import-file")
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.ID("lang_0"))); err != nil {
		t.Fatalf("import preview: %v", err)
	}
	waitEval(t, ctx, `String(document.body.textContent.includes("Дорогие жители Пусана!"))`, "true")
	problems, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](a11yAudit))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("import preview: %s", p)
	}
}
