package web

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"sistercity/internal/auth"
	"sistercity/internal/jobs"
	"sistercity/internal/media"
	"sistercity/internal/polltest"
	"sistercity/internal/video"
	"sistercity/internal/web/webtest"
)

// halfUpload sends the first half of the chosen file as an earlier visit of the upload page
// would have, and remembers the upload where tus-js-client looks for it: in localStorage under
// the page's fingerprint of the video and the file (upload.js). It returns the upload's path.
const halfUpload = `(async () => {
  const f = document.getElementById("upload-file").files[0];
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const vid = document.getElementById("upload-form").dataset.video;
  const b64 = (s) => btoa(Array.from(new TextEncoder().encode(s), (b) => String.fromCharCode(b)).join(""));
  const res = await fetch("/admin/uploads/", { method: "POST", headers: { "Tus-Resumable": "1.0.0",
    "Upload-Length": String(f.size), "Upload-Metadata": "video " + b64(vid) + ",filename " + b64(f.name), "X-CSRF-Token": csrf } });
  if (res.status !== 201) return "create: " + res.status;
  const url = new URL(res.headers.get("Location"), location.href);
  const patch = await fetch(url, { method: "PATCH", headers: { "Tus-Resumable": "1.0.0", "Upload-Offset": "0",
    "Content-Type": "application/offset+octet-stream", "X-CSRF-Token": csrf }, body: f.slice(0, Math.floor(f.size / 2)) });
  if (patch.status !== 204) return "patch: " + patch.status;
  const fingerprint = ["sistercity", vid, f.name, f.size, f.lastModified].join(":");
  localStorage.setItem("tus::" + fingerprint + "::1", JSON.stringify({ size: f.size, creationTime: String(new Date()), uploadUrl: url.href }));
  return url.pathname;
})()`

// cspViolations collects, from the start of every page, what the Content-Security-Policy
// blocked.
const cspViolations = `window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => window.cspViolations.push(e.violatedDirective + " " + e.blockedURI));`

// watchUpload records, while the upload form's state is "running", each value of its progress
// bar and whether the upload button was ever enabled.
const watchUpload = `(() => {
  const form = document.getElementById("upload-form"), bar = document.getElementById("upload-progress");
  const start = document.getElementById("upload-start");
  window.uploadSeen = { running: false, enabledWhileRunning: false, bars: [] };
  new MutationObserver(() => {
    if (form.dataset.state !== "running") return;
    window.uploadSeen.running = true;
    if (!start.disabled) window.uploadSeen.enabledWhileRunning = true;
    window.uploadSeen.bars.push(bar.value);
  }).observe(form, { attributes: true, subtree: true, attributeFilter: ["data-state", "value", "disabled"] });
})()`

// uploadSeen is what watchUpload recorded.
type uploadSeen struct {
	Running             bool      `json:"running"`
	EnabledWhileRunning bool      `json:"enabledWhileRunning"`
	Bars                []float64 `json:"bars"`
}

// networkConditions are the parameters of Network.emulateNetworkConditions, which cdproto no
// longer generates (deprecated for emulateNetworkConditionsByRule) but Chromium still takes.
type networkConditions struct {
	Offline            bool    `json:"offline"`
	Latency            float64 `json:"latency"`
	DownloadThroughput float64 `json:"downloadThroughput"`
	UploadThroughput   float64 `json:"uploadThroughput"`
}

var emulateNetworkConditions = cdp.Command[networkConditions, cdp.Empty]{Method: "Network.emulateNetworkConditions"}

// throttle limits the browser's uploads to bytesPerSecond; -1 lifts the limit.
func throttle(t *testing.T, ctx context.Context, bytesPerSecond float64) {
	t.Helper()
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, emulateNetworkConditions, networkConditions{DownloadThroughput: -1, UploadThroughput: bytesPerSecond}); err != nil {
		t.Fatalf("Network.emulateNetworkConditions: %v", err)
	}
}

// TestBrowserUploadAndPlay signs in as an editor in Chromium, uploads a real clip through the
// upload page (upload.js on tus-js-client), lets job workers process it, publishes it and plays
// it on the public watch page.
func TestBrowserUploadAndPlay(t *testing.T) {
	t.Parallel()
	if tusLibURL() == "" {
		t.Fatal("tus-js-client is not embedded: run scripts/tusjs.sh (make test runs it) before the tests")
	}
	e := newUploadEnv(t, nil)
	v := e.uploadVideo(video.StateDraft)
	clip, data := testClip(t, 3*time.Second)
	e.userClient(auth.RoleEditor)
	ctx := webtest.Browser(t)
	webtest.SignIn(t, ctx, e.ts.URL+"/admin/sign-in?lang=en", "u-editor", testPassword)
	var err error
	if _, err := chromedp.Call(ctx, cdppage.AddScriptToEvaluateOnNewDocument,
		cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: cspViolations}); err != nil {
		t.Fatal(err)
	}
	page := e.ts.URL + "/admin/videos/" + itoa64(v.ID) + "/upload"
	auditPage(t, ctx, page)

	// An earlier visit sent half the file and the browser was closed: the page finds the
	// upload remembered under this file and sends only the rest.
	err = chromedp.Do(ctx, chromedp.SetUploadFiles(chromedp.ID("upload-file"), []string{clip}))
	if err != nil {
		t.Fatal(err)
	}
	half, err := chromedp.Run(ctx, chromedp.Evaluate[string](halfUpload, chromedp.EvalAwaitPromise))
	if err != nil || !strings.HasPrefix(half, "/admin/uploads/") {
		t.Fatalf("the first half: %q %v", half, err)
	}
	// The rest goes up throttled to take about two seconds, so that the page's reports while
	// it runs are seen: the bar moves within the one chunk, the button stays disabled.
	err = chromedp.Do(ctx,
		chromedp.Navigate(page),
		chromedp.SetUploadFiles(chromedp.ID("upload-file"), []string{clip}),
		chromedp.Evaluate[chromedp.Void](watchUpload),
	)
	if err != nil {
		t.Fatal(err)
	}
	throttle(t, ctx, float64(len(data))/4)
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.ID("upload-start")),
		chromedp.WaitVisible(chromedp.CSS(`#upload-form[data-state="done"]`)),
	)
	if err != nil {
		msg, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("upload-text").textContent`))
		t.Fatalf("upload: %v (page says %q)", err, msg)
	}
	throttle(t, ctx, -1)
	seen, err := chromedp.Run(ctx, chromedp.Evaluate[uploadSeen](`window.uploadSeen`))
	if err != nil {
		t.Fatal(err)
	}
	if !seen.Running || seen.EnabledWhileRunning {
		t.Errorf("while the upload ran, the upload button was enabled (%+v)", seen)
	}
	// The file is smaller than a chunk, and its first half was sent before: any value between
	// half and whole was reported within the chunk.
	if !slices.ContainsFunc(seen.Bars, func(v float64) bool { return v > 50 && v < 100 }) {
		t.Errorf("the progress bar went %v: nothing between the resumed half and the end", seen.Bars)
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("upload-text").textContent`))
	if err != nil || got != "Upload complete: the video is waiting for processing." {
		t.Errorf("after the upload the page says %q (%v)", got, err)
	}
	if off, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById("upload-start").disabled`)); off {
		t.Error("the upload button is still disabled after the upload")
	}
	if shown, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`getComputedStyle(document.getElementById("upload-pause")).display !== "none"`)); shown {
		t.Error("the pause button is still shown after the upload")
	}
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`localStorage.length`)); n != 0 {
		t.Errorf("%d upload URLs still remembered after completion", n)
	}
	// The upload went through tus-js-client, under the page's Content-Security-Policy.
	client, err := chromedp.Run(ctx, chromedp.Evaluate[string](`typeof tus === "object" && document.getElementById("upload-form").upload instanceof tus.Upload ? "tus-js-client" : "?"`))
	if err != nil || client != "tus-js-client" {
		t.Errorf("the upload was not made by tus-js-client: %q %v", client, err)
	}
	if blocked, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`window.cspViolations`)); err != nil || len(blocked) > 0 {
		t.Errorf("the Content-Security-Policy blocked %v (%v)", blocked, err)
	}
	e.checkUploaded(v.ID, data)
	if _, err := os.Stat(filepath.Join(e.srv.cfg.DataDir, "uploads", path.Base(half)+".done")); err != nil {
		t.Errorf("the page did not resume the half-sent upload %s: %v", half, err)
	}

	// Processing: a queue with a worker on the test database, as serve runs it.
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	q, err := jobs.New(e.db, jobs.Config{Workers: 1, FetchPollInterval: 100 * time.Millisecond}, log)
	if err != nil {
		t.Fatal(err)
	}
	deps := video.Deps{DB: e.db, Store: e.srv.docs, WorkDir: t.TempDir(), Encoder: media.X264{Preset: "ultrafast"},
		Heights: []int{240, 360}, Log: log}
	if err := video.Register(q, deps); err != nil {
		t.Fatal(err)
	}
	if err := q.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = q.Stop(context.Background()) })
	bg := context.Background()
	var processed *video.Video
	polltest.Within(t, 5*time.Minute, "the uploaded video to be processed", func() (bool, string) {
		if processed, err = video.Get(bg, e.db.R, v.ID); err != nil {
			t.Fatal(err)
		}
		if processed.Processing == video.ProcFailed {
			t.Fatalf("processing failed: %s", processed.Failure)
		}
		return processed.Processing == video.ProcReady, processed.Processing
	})
	// The page, left open, follows the processing to its end without a reload: the status
	// says ready, and the links to the video and its tracks appear.
	statusJS := `document.querySelector('[data-video-status] [data-status-text]').textContent`
	polltest.Until(t, "the upload page to show the processed video", func() (bool, string) {
		status, _ := chromedp.Run(ctx, chromedp.Evaluate[string](statusJS))
		shown, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`!document.querySelector("[data-status-links]").hidden`))
		return status == "Ready" && shown, fmt.Sprintf("status %q, links shown %v", status, shown)
	})
	links, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("[data-status-links] a")].filter((a) => a.offsetParent !== null).map((a) => a.getAttribute("href"))`))
	if want := []string{"/admin/videos/" + itoa64(v.ID), "/admin/videos/" + itoa64(v.ID) + "/tracks"}; err != nil || fmt.Sprint(links) != fmt.Sprint(want) {
		t.Errorf("links after processing %v (%v), want %v", links, err, want)
	}
	e.inTx(func(tx *sql.Tx) error {
		for _, st := range []string{video.StateInReview, video.StatePublished} {
			if err := video.SetState(bg, tx, processed, st, fixedNow); err != nil {
				return err
			}
		}
		return nil
	})

	// Published, the upload page links its watch page too.
	err = chromedp.Do(ctx, chromedp.Navigate(page), chromedp.WaitReady(chromedp.CSS("[data-status-links]")))
	watch, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => { const w = document.querySelector("[data-status-links] [data-watch]"); return w && !w.hidden ? w.querySelector("a").getAttribute("href") : ""; })()`))
	if err != nil || watch != "/en/videos/"+itoa64(v.ID) {
		t.Errorf("watch link on the upload page of the published video: %q (%v)", watch, err)
	}
	err = chromedp.Do(ctx,
		chromedp.Navigate(e.ts.URL+"/en/videos/"+itoa64(v.ID)),
		chromedp.WaitVisible(chromedp.ID("player")),
		chromedp.Evaluate[chromedp.Void](`(() => { const p = document.getElementById("player"); p.muted = true; p.play().catch(() => {}); })()`),
	)
	if err != nil {
		t.Fatalf("watch page: %v", err)
	}
	polltest.Until(t, "the uploaded video to play (readyState ≥ 3, HAVE_FUTURE_DATA)", func() (bool, string) {
		state, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.getElementById("player").readyState`))
		if err != nil {
			t.Fatal(err)
		}
		src, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("player").currentSrc`))
		return state >= 3, fmt.Sprintf("readyState %d on %s", state, src)
	})
	if src, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("player").currentSrc`)); !strings.Contains(src, "/media/") {
		t.Errorf("the player plays %q, not a stored rendition", src)
	}
}

// TestBrowserUploadRetriesAndRefusals: in Chromium, the upload page's first chunk is lost on the
// network (the connection reset); tus-js-client says it is trying again, asks the server where
// the upload stands and completes it. Then a video is withdrawn while its file is on the way:
// the server refuses the chunk, and the page shows the server's reason in the reader's
// language, forgets the upload and lets the editor start again.
func TestBrowserUploadRetriesAndRefusals(t *testing.T) {
	t.Parallel()
	e := newUploadEnv(t, nil)
	v := e.uploadVideo(video.StateDraft)
	clip, data := testClip(t, 2*time.Second)
	e.userClient(auth.RoleEditor)
	ctx := webtest.Browser(t)
	webtest.SignIn(t, ctx, e.ts.URL+"/admin/sign-in?lang=en", "u-editor", testPassword)
	var err error
	// The first PATCH never reaches the server.
	// The first PATCH never reaches the server; before the next PATCH after withdraw is set,
	// that video is withdrawn.
	var patches atomic.Int32
	var withdraw atomic.Pointer[video.Video]
	err = chromedp.Listen(ctx, func(ev any) {
		paused, ok := ev.(*fetch.EventRequestPaused)
		if !ok {
			return
		}
		// The listener may not send commands itself.
		go func() {
			if paused.Request.Method == http.MethodPatch {
				if patches.Add(1) == 1 {
					_, _ = chromedp.Call(ctx, fetch.FailRequest, fetch.FailRequestParams{RequestID: paused.RequestID, ErrorReason: network.ErrorReasonConnectionReset})
					return
				}
				if w := withdraw.Swap(nil); w != nil {
					bg := context.Background()
					if err := e.db.InTx(bg, func(tx *sql.Tx) error { return video.SetState(bg, tx, w, video.StateWithdrawn, fixedNow) }); err != nil {
						t.Errorf("withdraw: %v", err)
					}
				}
			}
			_, _ = chromedp.Call(ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: paused.RequestID})
		}()
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: "*/admin/uploads/*"}}}); err != nil {
		t.Fatal(err)
	}
	// upload opens the upload page of id, records every status line it shows, and uploads clip.
	upload := func(id int64) (state string, said []string) {
		t.Helper()
		err := chromedp.Do(ctx,
			chromedp.Navigate(e.ts.URL+"/admin/videos/"+itoa64(id)+"/upload"),
			chromedp.WaitVisible(chromedp.ID("upload-file")),
			chromedp.Evaluate[chromedp.Void](`window.said = []; { const text = document.getElementById("upload-text");
				new MutationObserver(() => window.said.push(text.textContent)).observe(text, { childList: true, characterData: true, subtree: true }); }`),
			chromedp.SetUploadFiles(chromedp.ID("upload-file"), []string{clip}),
			chromedp.Click(chromedp.ID("upload-start")),
			chromedp.WaitVisible(chromedp.CSS(`#upload-form[data-state="done"], #upload-form[data-state="failed"]`)),
		)
		if err != nil {
			t.Fatal(err)
		}
		state, _ = chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("upload-form").dataset.state`))
		said, _ = chromedp.Run(ctx, chromedp.Evaluate[[]string](`window.said`))
		return state, said
	}

	state, said := upload(v.ID)
	if state != "done" || !slices.Contains(said, "The connection was lost; trying again in 1 s…") ||
		said[len(said)-1] != "Upload complete: the video is waiting for processing." {
		t.Errorf("after a lost chunk: %s, the page said %q", state, said)
	}
	if n := patches.Load(); n < 2 {
		t.Errorf("%d PATCH requests, want the lost one and at least one more", n)
	}
	e.checkUploaded(v.ID, data)

	w := e.uploadVideo(video.StateDraft)
	withdraw.Store(w)
	state, said = upload(w.ID)
	want := "The upload stopped: The video was scheduled, published or withdrawn while its file was being uploaded. " +
		"The upload was stopped and deleted; the video keeps its current file. To replace it, withdraw the video and bring it back to draft first."
	if state != "failed" || len(said) == 0 || said[len(said)-1] != want {
		t.Errorf("the refused upload: %s, the page said %q, want at last %q", state, said, want)
	}
	if off, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById("upload-start").disabled`)); off {
		t.Error("the upload button is still disabled after the refusal")
	}
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`localStorage.length`)); n != 0 {
		t.Errorf("%d upload URLs remembered after the refusal", n)
	}
}
