package web

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"sistercity/internal/auth"
	"sistercity/internal/media"
	"sistercity/internal/polltest"
	"sistercity/internal/video"
	"sistercity/internal/web/webtest"
)

// TestBrowserVideoEdit signs in as an editor in Chromium: the video list, the new form, a
// processed video's page and a form sent back with mistakes pass the audit; and on the page of
// a video waiting for processing, video-status.js shows the status change as the processing
// finishes, without a reload.
func TestBrowserVideoEdit(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	_, _, p := seedVladivostok(t, e)
	done := seedVideo(t, e, p, video.StateDraft, ruOnly, video.Text{Lang: "ko", Title: "블라디보스토크 응원 영상"})
	e.userClient(auth.RoleEditor)

	// A video whose source waits for processing.
	ctx := context.Background()
	clip := filepath.Join(t.TempDir(), "clip.mp4")
	if err := media.TestClip(ctx, clip, media.ClipOptions{Width: 640, Height: 360, Duration: 2 * time.Second}); err != nil {
		t.Fatal(err)
	}
	waiting := &video.Video{OriginalLang: "ru", State: video.StateDraft, Texts: []video.Text{ruOnly}}
	e.inTx(func(tx *sql.Tx) error {
		if err := video.Create(ctx, tx, waiting); err != nil {
			return err
		}
		f, err := os.Open(clip)
		if err != nil {
			return err
		}
		defer f.Close()
		key := video.SourceKey(waiting.ID, "clip.mp4")
		if err := e.srv.docs.Put(ctx, key, f); err != nil {
			return err
		}
		return video.AttachSource(ctx, tx, waiting.ID, key)
	})

	bctx := webtest.Browser(t)
	webtest.SignIn(t, bctx, e.ts.URL+"/admin/sign-in?lang=ru", "u-editor", testPassword)
	for _, path := range []string{"/admin/videos", "/admin/videos/new", "/admin/videos/" + itoa64(done.ID)} {
		auditPage(t, bctx, e.ts.URL+path)
	}

	// The new form without a text in the original language, past the browser's own checks.
	err := chromedp.Do(bctx,
		chromedp.Navigate(e.ts.URL+"/admin/videos/new"),
		chromedp.WaitVisible(chromedp.ID("f-original_lang")),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("f-original_lang").value = "ja";
			document.getElementById("f-texts.0.lang").value = "ru";
			document.getElementById("f-texts.0.title").value = "Видеообращение";
			document.querySelector("main form.form").submit();`),
		chromedp.WaitVisible(chromedp.ID("err-texts")),
	)
	if err != nil {
		t.Fatalf("send the form: %v", err)
	}
	problems, err := chromedp.Run(bctx, chromedp.Evaluate[[]string](a11yAudit))
	if err != nil {
		t.Fatal(err)
	}
	refs, err := chromedp.Run(bctx, chromedp.Evaluate[[]string](describedByAudit))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range append(problems, refs...) {
		t.Errorf("video form with a mistake: %s", p)
	}

	// Live status: the page shows "waiting" with a progress bar; processing finishes meanwhile
	// and the script writes the new status in, the bar gone.
	ru := e.srv.cat.Localizer("ru")
	status := `(() => {
	  const el = document.querySelector('[data-video-status="` + itoa64(waiting.ID) + `"]');
	  const bar = el.querySelector("progress");
	  return el.querySelector("[data-status-text]").textContent + "|" + (bar ? (bar.hidden ? "hidden" : "shown") : "none");
	})()`
	err = chromedp.Do(bctx, chromedp.Navigate(e.ts.URL+"/admin/videos/"+itoa64(waiting.ID)), chromedp.WaitVisible(chromedp.CSS("main")))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := chromedp.Run(bctx, chromedp.Evaluate[string](status)); err != nil || got != ru.T("video.processing.waiting")+"|shown" {
		t.Fatalf("before processing: %q %v", got, err)
	}
	deps := video.Deps{DB: e.db, Store: e.srv.docs, WorkDir: t.TempDir(), Encoder: media.X264{Preset: "ultrafast"}, Heights: []int{240}}
	if err := video.ProcessVideo(ctx, deps, waiting.ID); err != nil {
		t.Fatal(err)
	}
	want := ru.T("video.processing.ready") + "|hidden"
	polltest.Until(t, fmt.Sprintf("the page to show %q after processing", want), func() (bool, string) {
		got, err := chromedp.Run(bctx, chromedp.Evaluate[string](status))
		if err != nil {
			t.Fatal(err)
		}
		return got == want, got
	})
}
