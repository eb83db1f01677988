package web

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"sistercity/internal/auth"
	"sistercity/internal/polltest"
	"sistercity/internal/track"
	"sistercity/internal/video"
	"sistercity/internal/web/webtest"
)

// TestBrowserBeaconCountsAView plays a video made like the demo's (Korean, Russian and English
// subtitles) on its Russian watch page in Chromium (with the user agent of an ordinary Chrome:
// a headless one counts as a bot) and waits for beacon.js to have counted one view with Russian
// subtitles, watched to the end; choosing English then counts English once, and playing it
// again in the same page load adds no view.
func TestBrowserBeaconCountsAView(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	_, _, p := seedVladivostok(t, e)
	v := seedVideo(t, e, p, video.StatePublished, ruOnly)
	addTrack(t, e, v.ID, "ko", track.StatusApproved, true, "부산 시민 여러분, 안녕하세요!", "블라디보스토크가 부산을 응원합니다.")
	addTrack(t, e, v.ID, "ru", track.StatusApproved, false, "Здравствуйте, жители Пусана!", "Владивосток поддерживает Пусан.")
	en := addTrack(t, e, v.ID, "en", track.StatusApproved, false, "Hello, people of Busan!", "Vladivostok stands with Busan.")
	ctx := webtest.Browser(t, chromedp.UserAgent(browserUA), chromedp.Flag("autoplay-policy", "no-user-gesture-required"))
	if err := chromedp.Do(ctx, chromedp.Navigate(e.ts.URL+"/ru/videos/"+itoa64(v.ID)), chromedp.WaitVisible(chromedp.CSS("#player"))); err != nil {
		t.Fatal(err)
	}
	play := `(() => { const p = document.getElementById("player"); p.muted = true; p.currentTime = 0; p.play().catch(() => {}); })()`
	waitFigures := func(what string, ok func(views, q100 int64) bool) {
		t.Helper()
		polltest.Until(t, what, func() (bool, string) {
			f := figuresOf(t, e, v.ID)
			var q100 int64
			for _, c := range f.Channels {
				q100 += c.Q100
			}
			return ok(f.Total, q100), fmt.Sprintf("%d views, %d to the end", f.Total, q100)
		})
	}
	waitEval(t, ctx, showingTrack, "ru:2")
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](play)); err != nil {
		t.Fatal(err)
	}
	waitFigures("after playing", func(views, q100 int64) bool { return views == 1 && q100 == 1 })
	f := figuresOf(t, e, v.ID)
	if len(f.Subtitles) != 1 || f.Subtitles[0].Lang != "ru" || f.Channels[0].Channel != "site" || f.Channels[0].Q25 != 1 {
		t.Errorf("figures: %+v", f)
	}
	_, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](`(() => { const s = document.getElementById("track-choice");
		s.value = "`+itoa64(en.ID)+`"; s.dispatchEvent(new Event("change")); })()`))
	if err != nil {
		t.Fatal(err)
	}
	polltest.Until(t, "choosing English counted", func() (bool, string) {
		f = figuresOf(t, e, v.ID)
		return len(f.Subtitles) == 2, fmt.Sprintf("%+v", f.Subtitles)
	})
	// Played again without reloading: still one page load, one view.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](play)); err != nil {
		t.Fatal(err)
	}
	var ended bool
	for deadline := time.Now().Add(time.Minute); !ended && time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		ended, _ = chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById("player").ended`))
	}
	if f := figuresOf(t, e, v.ID); f.Total != 1 {
		t.Errorf("a second play in the same page load counted: %d views", f.Total)
	}

	// The figures and the log, with a refused hand-recorded link, pass the audit.
	e.userClient(auth.RoleEditor)
	webtest.SignIn(t, ctx, e.ts.URL+"/admin/sign-in?lang=ru", "u-editor", testPassword)
	base := e.ts.URL + "/admin/videos/" + itoa64(v.ID)
	auditPage(t, ctx, base)
	auditPage(t, ctx, base+"/publications?lang=ko")
	err = chromedp.Do(ctx,
		chromedp.Evaluate[chromedp.Void](`document.getElementById("p-name").value = "Instagram";
			document.getElementById("p-date").value = "2020-07-10";
			document.getElementById("p-url").value = "javascript:alert(1)";
			document.querySelector("main form.form").submit();`),
		chromedp.WaitVisible(chromedp.CSS(`#p-url[aria-invalid="true"]`)),
	)
	if err != nil {
		t.Fatalf("send the form: %v", err)
	}
	problems, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](a11yAudit))
	if err != nil {
		t.Fatal(err)
	}
	refs, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](describedByAudit))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range append(problems, refs...) {
		t.Errorf("log form with a refused link: %s", p)
	}
}
