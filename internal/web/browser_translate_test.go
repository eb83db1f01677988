package web

import (
	"context"
	"database/sql"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"sistercity/internal/auth"
	"sistercity/internal/subtitle"
	"sistercity/internal/track"
	"sistercity/internal/video"
	"sistercity/internal/web/webtest"
)

// TestTranslationEditorBrowser signs in as the assigned translator in Chromium, types a cue and
// waits for the autosave, moves between cues and splits one with the keyboard, and audits the
// editor page.
func TestTranslationEditorBrowser(t *testing.T) {
	t.Parallel()
	f := newTranslateFixture(t)
	id := f.createTranslation(map[string][]string{"lang": {"ru"}, "translator": {itoa64(f.translatorID)}})
	editURL := f.e.ts.URL + "/admin/tracks/" + itoa64(id) + "/edit?lang=ru"
	ctx := webtest.Browser(t)
	webtest.SignIn(t, ctx, f.e.ts.URL+"/admin/sign-in?lang=ru", "olga", testPassword)
	var err error
	auditPage(t, ctx, editURL)

	waitSaved := chromedp.Poll[bool](`document.getElementById("save-status").dataset.state === "saved"`,
		chromedp.WithPollingTimeout(2*time.Minute))
	// Type into the first cue: the status says saved, and the database holds the text.
	err = chromedp.Do(ctx,
		chromedp.Focus(chromedp.ID("cue-1-text")),
		chromedp.SendKeys(chromedp.ID("cue-1-text"), "Друзья из Пусана"),
	)
	if err != nil {
		t.Fatalf("type: %v", err)
	}
	if _, err := chromedp.Run(ctx, waitSaved); err != nil {
		t.Fatalf("autosave: %v", err)
	}
	status, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("save-status").textContent`))
	if status != "Все изменения сохранены." {
		t.Errorf("status %q", status)
	}
	if tr := f.track(id); !strings.Contains(tr.PlainText, "Друзья из Пусана") || tr.DoneCount != 1 {
		t.Errorf("database after autosave: %q, %d done", tr.PlainText, tr.DoneCount)
	}
	progress, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("cue-progress-text").textContent`))
	if !strings.Contains(progress, "33\u00a0%") {
		t.Errorf("progress %q", progress)
	}

	// Alt+J moves to the next cue, Alt+K back.
	if err := chromedp.Do(ctx, chromedp.KeyEvent("j", chromedp.KeyModifiers(chromedp.ModifierAlt))); err != nil {
		t.Fatal(err)
	}
	if got, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.activeElement.id`)); got != "cue-2-text" {
		t.Errorf("after Alt+J the focus is on %q, want cue-2-text", got)
	}
	if err := chromedp.Do(ctx, chromedp.KeyEvent("k", chromedp.KeyModifiers(chromedp.ModifierAlt))); err != nil {
		t.Fatal(err)
	}
	if got, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.activeElement.id`)); got != "cue-1-text" {
		t.Errorf("after Alt+K the focus is on %q, want cue-1-text", got)
	}

	// Split the second cue at the cursor with Alt+S: two cues, saved as four.
	err = chromedp.Do(ctx,
		chromedp.KeyEvent("j", chromedp.KeyModifiers(chromedp.ModifierAlt)),
		chromedp.SendKeys(chromedp.ID("cue-2-text"), "Владивосток Приморье"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("cue-2-text").setSelectionRange(11, 11)`),
		chromedp.KeyEvent("s", chromedp.KeyModifiers(chromedp.ModifierAlt)),
	)
	if err != nil {
		t.Fatalf("split: %v", err)
	}
	type cueState struct {
		Count  int      `json:"count"`
		Texts  []string `json:"texts"`
		Starts []string `json:"starts"`
		Focus  string   `json:"focus"`
		Legend string   `json:"legend"`
	}
	st, err := chromedp.Run(ctx, chromedp.Evaluate[cueState](`({
		count: document.querySelectorAll("#cue-editor li.cue").length,
		texts: [...document.querySelectorAll(".cue-text")].map(t => t.value),
		starts: [...document.querySelectorAll(".cue-start")].map(t => t.value),
		focus: document.activeElement.id,
		legend: document.querySelectorAll("#cue-editor legend")[2].textContent,
	})`))
	if err != nil {
		t.Fatal(err)
	}
	if st.Count != 4 || st.Texts[1] != "Владивосток" || st.Texts[2] != "Приморье" || st.Focus != "cue-3-text" || st.Legend != "Реплика 3" {
		t.Errorf("after Alt+S: %+v", st)
	}
	if _, err := chromedp.Run(ctx, waitSaved); err != nil {
		t.Fatalf("autosave after split: %v", err)
	}
	if tr := f.track(id); tr.CueCount != 4 || tr.DoneCount != 3 {
		t.Errorf("database after split: %d cues, %d done\n%s", tr.CueCount, tr.DoneCount, tr.VTT)
	}

	// Merge it back with Alt+M from the first half.
	err = chromedp.Do(ctx,
		chromedp.KeyEvent("k", chromedp.KeyModifiers(chromedp.ModifierAlt)),
		chromedp.KeyEvent("m", chromedp.KeyModifiers(chromedp.ModifierAlt)),
	)
	if err != nil {
		t.Fatalf("merge: %v", err)
	}
	if _, err := chromedp.Run(ctx, waitSaved); err != nil {
		t.Fatalf("autosave after merge: %v", err)
	}
	if tr := f.track(id); tr.CueCount != 3 || !strings.Contains(tr.PlainText, "Владивосток Приморье") {
		t.Errorf("database after merge: %d cues\n%s", tr.CueCount, tr.PlainText)
	}
	// The page after the edits still passes the audit.
	problems, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](a11yAudit))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("editor after edits: %s", p)
	}

	// Type the last cue and submit at once: the page saves first, then submits that version.
	err = chromedp.Do(ctx,
		chromedp.Focus(chromedp.ID("cue-3-text")),
		chromedp.SendKeys(chromedp.ID("cue-3-text"), "Здравствуйте"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('form[action$="/submit"] button').click()`),
		chromedp.WaitVisible(chromedp.CSS(`main p.notice`)),
	)
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	if tr := f.track(id); tr.Status != "in_review" || !strings.Contains(tr.PlainText, "Здравствуйте") {
		t.Errorf("after submit: %s\n%s", tr.Status, tr.PlainText)
	}

	// The editor's view of the same page, with the review forms, passes the audit too.
	webtest.Submit(t, ctx, `form[action="/admin/sign-out"]`)
	webtest.SignIn(t, ctx, f.e.ts.URL+"/admin/sign-in?lang=ru", "u-editor", testPassword)
	auditPage(t, ctx, editURL)
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.ID("f-comment"))); err != nil {
		t.Errorf("no return form for the editor: %v", err)
	}
}

// TestTranslationEditorPlaysCue opens the editor of a draft video that has been processed (a
// real 2 s clip): the video loads from the admin's copy, and Ctrl+Enter plays the current cue
// and stops at its end.
func TestTranslationEditorPlaysCue(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	v := seedVideo(t, e, nil, video.StateDraft, video.Text{Lang: "ko", Title: "부산 응원 영상"})
	st, err := subtitle.ParseWebVTTLimit(strings.NewReader("WEBVTT\n\n00:00:00.100 --> 00:00:00.600\n부산\n\n00:00:00.800 --> 00:00:01.400\n친구\n"), subtitle.DefaultMaxInputSize)
	if err != nil {
		t.Fatal(err)
	}
	src := &track.Track{VideoID: v.ID, Lang: "ko", Kind: subtitle.KindSubtitles, Status: track.StatusApproved}
	if err := src.SetCues(st); err != nil {
		t.Fatal(err)
	}
	e.inTx(func(tx *sql.Tx) error { return track.Create(context.Background(), tx, src) })
	editor := e.userClient(auth.RoleEditor)
	resp, _ := editor.post("/admin/tracks/"+itoa64(src.ID)+"/translations", url.Values{"lang": {"en"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create translation: %d", resp.StatusCode)
	}
	editURL := e.ts.URL + strings.Split(resp.Header.Get("Location"), "?")[0]

	ctx := webtest.Browser(t)
	webtest.SignIn(t, ctx, e.ts.URL+"/admin/sign-in", "u-editor", testPassword)
	err = chromedp.Do(ctx,
		chromedp.Navigate(editURL),
		chromedp.WaitVisible(chromedp.ID("cue-video")),
	)
	if err != nil {
		t.Fatalf("open the editor: %v", err)
	}
	ready := chromedp.Poll[bool](`document.getElementById("cue-video").readyState >= 2`, chromedp.WithPollingTimeout(2*time.Minute))
	if _, err := chromedp.Run(ctx, ready); err != nil {
		src, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("cue-video").currentSrc`))
		t.Fatalf("video does not load from %s: %v", src, err)
	}
	if src, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("cue-video").currentSrc`)); !strings.Contains(src, "/admin/videos/"+itoa64(v.ID)+"/files/") {
		t.Errorf("video source %q", src)
	}
	// Muted, so that the browser's autoplay rules do not depend on how the key press counts.
	// At a tenth of the speed the 0.6 s between the cue's end and the clip's take 6 s: the
	// editor's per-frame check stops the video in time even when a busy machine delays frames.
	err = chromedp.Do(ctx,
		chromedp.Evaluate[chromedp.Void](`(() => { const v = document.getElementById("cue-video"); v.muted = true; v.playbackRate = 0.1; })()`),
		chromedp.Focus(chromedp.ID("cue-2-text")),
		chromedp.KeyEvent("\r", chromedp.KeyModifiers(chromedp.ModifierCtrl)),
	)
	if err != nil {
		t.Fatal(err)
	}
	// Paused by the editor at the cue's end (1.4 s), not by the clip's end.
	played := chromedp.Poll[bool](`(() => { const v = document.getElementById("cue-video");
		return v.paused && !v.ended && v.currentTime >= 1.35 && v.currentTime < 1.95; })()`, chromedp.WithPollingTimeout(2*time.Minute))
	if _, err := chromedp.Run(ctx, played); err != nil {
		at, _ := chromedp.Run(ctx, chromedp.Evaluate[float64](`document.getElementById("cue-video").currentTime`))
		t.Errorf("Ctrl+Enter did not play cue 2 to its end: at %.2f s: %v", at, err)
	}
	if text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("cue-2-text").value`)); text != "" {
		t.Errorf("Ctrl+Enter typed into the cue: %q", text)
	}
}
