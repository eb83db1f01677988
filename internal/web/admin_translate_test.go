package web

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"html/template"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"sistercity/internal/auth"
	"sistercity/internal/auth/authtest"
	"sistercity/internal/config"
	"sistercity/internal/subtitle"
	"sistercity/internal/track"
	"sistercity/internal/video"
)

// translateFixture is a Korean video of 10 s with an approved Korean track of three cues, an
// editor, and two translators.
type translateFixture struct {
	e            *testEnv
	videoID      int64
	source       *track.Track
	editor       *client
	translator   *client
	other        *client
	translatorID int64
	otherID      int64
}

const koSourceVTT = "WEBVTT\n\n00:00:00.500 --> 00:00:02.000\n부산 친구\n\n" +
	"00:00:02.500 --> 00:00:04.000\n블라디보스토크\n\n00:00:04.500 --> 00:00:06.000\n안녕하세요\n"

func newTranslateFixture(t *testing.T) *translateFixture {
	t.Helper()
	e := newTestEnv(t)
	ctx := context.Background()
	f := &translateFixture{e: e}
	v := &video.Video{OriginalLang: "ko", State: video.StateDraft, Texts: []video.Text{{Lang: "ko", Title: "부산 응원 영상"}}}
	e.inTx(func(tx *sql.Tx) error {
		if err := video.Create(ctx, tx, v); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, "UPDATE videos SET duration_ms = $1 WHERE id = $2", 10000, v.ID)
		return err
	})
	f.videoID = v.ID
	st, err := subtitle.ParseWebVTTLimit(strings.NewReader(koSourceVTT), subtitle.DefaultMaxInputSize)
	if err != nil {
		t.Fatal(err)
	}
	src := &track.Track{VideoID: v.ID, Lang: "ko", Kind: subtitle.KindSubtitles, Label: "한국어", Status: track.StatusApproved}
	if err := src.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := src.SetCues(st); err != nil {
		t.Fatal(err)
	}
	e.inTx(func(tx *sql.Tx) error { return track.Create(ctx, tx, src) })
	f.source = src
	f.editor = e.userClient(auth.RoleEditor)
	f.translator, f.translatorID = namedClient(e, "olga", auth.RoleTranslator)
	f.other, f.otherID = namedClient(e, "minsu", auth.RoleTranslator)
	return f
}

// namedClient creates a user with a name of its own and signs in as them.
func namedClient(e *testEnv, name string, role auth.Role) (*client, int64) {
	e.t.Helper()
	var id int64
	e.inTx(func(tx *sql.Tx) error {
		u, err := auth.CreateUser(context.Background(), tx, name, "", testPassword, role)
		if err == nil {
			id = u.ID
		}
		return err
	})
	c := e.client()
	c.signIn(name, testPassword, http.StatusSeeOther)
	return c, id
}

// postJSON sends a JSON body with the session's CSRF token in the header, as the editor does.
func (c *client) postJSON(path string, body any) (*http.Response, string) {
	c.e.t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		c.e.t.Fatal(err)
	}
	req, err := http.NewRequest("POST", c.e.ts.URL+path, bytes.NewReader(b))
	if err != nil {
		c.e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", c.csrf())
	if c.lang != "" {
		req.Header.Set("Accept-Language", c.lang)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp, string(out)
}

func (f *translateFixture) track(id int64) *track.Track {
	f.e.t.Helper()
	t, err := track.Get(context.Background(), f.e.db.R, id)
	if err != nil {
		f.e.t.Fatal(err)
	}
	return t
}

var editorPathRe = regexp.MustCompile(`^/admin/tracks/(\d+)/edit`)

// createTranslation makes a translation of the source track as the editor and returns its ID.
func (f *translateFixture) createTranslation(form url.Values) int64 {
	f.e.t.Helper()
	resp, body := f.editor.post("/admin/tracks/"+itoa64(f.source.ID)+"/translations", form)
	m := editorPathRe.FindStringSubmatch(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || m == nil {
		f.e.t.Fatalf("create translation: %d %q\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	return id
}

type savedCues struct {
	Version      int64  `json:"version"`
	Progress     int    `json:"progress"`
	ProgressText string `json:"progress_text"`
	Blocking     bool   `json:"blocking"`
	Error        string `json:"error"`
	Cues         []struct {
		Cue      int      `json:"cue"`
		Messages []string `json:"messages"`
		StartMS  int64    `json:"start_ms"`
		EndMS    int64    `json:"end_ms"`
		Text     string   `json:"text"`
		Source   string   `json:"source"`
	} `json:"cues"`
	Issues []struct {
		Cue      int    `json:"cue"`
		Severity string `json:"severity"`
		Message  string `json:"message"`
	} `json:"issues"`
}

func decodeCues(t *testing.T, body string) savedCues {
	t.Helper()
	var s savedCues
	if err := json.Unmarshal([]byte(body), &s); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, body)
	}
	return s
}

type cueIn struct {
	StartMS int64  `json:"start_ms"`
	EndMS   int64  `json:"end_ms"`
	Text    string `json:"text"`
}

func saveBody(version int64, cues ...cueIn) map[string]any {
	return map[string]any{"version": version, "cues": cues}
}

// version is track id's version as the database has it, for a form or an autosave.
func (f *translateFixture) version(id int64) int64 { return f.track(id).Version }

// isPublic tells whether track id is among the video's public tracks.
func (f *translateFixture) isPublic(id int64) bool {
	f.e.t.Helper()
	public, err := track.ForVideo(context.Background(), f.e.db.R, f.videoID, true)
	if err != nil {
		f.e.t.Fatal(err)
	}
	for _, p := range public {
		if p.ID == id {
			return true
		}
	}
	return false
}

// TestTranslationWorkflow follows one translation from its creation to its approval and back,
// one step per subtest on the same track; a failed step stops the steps after it.
func TestTranslationWorkflow(t *testing.T) {
	t.Parallel()
	f := newTranslateFixture(t)
	e := f.e
	id := f.createTranslation(url.Values{"lang": {"ru-ru"}, "translator": {itoa64(f.translatorID)}})
	edit := "/admin/tracks/" + itoa64(id)
	form := func(version int64, kv ...string) url.Values {
		v := url.Values{"version": {itoa64(version)}}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	// autosave saves cues from the track's current version and checks the version went up.
	autosave := func(t *testing.T, cues ...cueIn) savedCues {
		t.Helper()
		before := f.version(id)
		resp, body := f.translator.postJSON(edit+"/cues", saveBody(before, cues...))
		got := decodeCues(t, body)
		if resp.StatusCode != http.StatusOK || got.Version != before+1 {
			t.Fatalf("autosave from version %d: %d %s", before, resp.StatusCode, body)
		}
		return got
	}
	step := func(name string, fn func(t *testing.T)) {
		if !t.Run(name, fn) {
			t.FailNow()
		}
	}

	step("a translation copies the source's timings with empty text", func(t *testing.T) {
		tr := f.track(id)
		if tr.Lang != "ru-RU" || tr.SourceTrackID != f.source.ID || tr.TranslatorID != f.translatorID || tr.Status != track.StatusDraft ||
			tr.CueCount != 3 || tr.DoneCount != 0 || tr.Kind != subtitle.KindSubtitles {
			t.Fatalf("translation %+v", tr)
		}
		cues, _ := tr.Cues()
		if cues.Cues[1].Start.Milliseconds() != 2500 || cues.Cues[1].End.Milliseconds() != 4000 {
			t.Errorf("timings not copied: %+v", cues.Cues[1])
		}
	})

	step("the work lists and overviews show it to its translator and editors only", func(t *testing.T) {
		row := `id="translation-` + itoa64(id) + `"`
		if resp, body := f.translator.get("/admin/translations"); resp.StatusCode != http.StatusOK || !strings.Contains(body, row) {
			t.Errorf("assigned translator's list: %d", resp.StatusCode)
		}
		if resp, body := f.other.get("/admin/translations"); resp.StatusCode != http.StatusOK || strings.Contains(body, row) {
			t.Errorf("other translator's list shows the track: %d", resp.StatusCode)
		}
		if resp, body := f.editor.get("/admin/translations"); resp.StatusCode != http.StatusOK || !strings.Contains(body, row) || !strings.Contains(body, "olga") {
			t.Errorf("editor's list: %d", resp.StatusCode)
		}
		if _, body := f.translator.get("/admin/"); !strings.Contains(body, `id="assigned-translations" data-count="1"`) {
			t.Errorf("translator's overview does not mention the assigned translation")
		}
		if _, body := f.other.get("/admin/"); strings.Contains(body, `id="assigned-translations"`) {
			t.Errorf("other translator's overview mentions work they do not have")
		}
	})

	step("another translator and a viewer may not open or change it", func(t *testing.T) {
		viewer := e.userClient(auth.RoleViewer)
		v := f.version(id)
		for _, c := range []*client{f.other, viewer} {
			if resp, _ := c.get(edit + "/edit"); resp.StatusCode != http.StatusForbidden {
				t.Errorf("editor page for a stranger: %d, want 403", resp.StatusCode)
			}
			if resp, _ := c.get(edit + "/cues.json"); resp.StatusCode != http.StatusForbidden {
				t.Errorf("cues.json for a stranger: %d, want 403", resp.StatusCode)
			}
			if resp, _ := c.postJSON(edit+"/cues", saveBody(v, cueIn{500, 2000, "чужой"})); resp.StatusCode != http.StatusForbidden {
				t.Errorf("autosave by a stranger: %d, want 403", resp.StatusCode)
			}
			if resp, _ := c.post(edit+"/submit", form(v)); resp.StatusCode != http.StatusForbidden {
				t.Errorf("submit by a stranger: %d, want 403", resp.StatusCode)
			}
		}
		if f.version(id) != v {
			t.Errorf("a stranger changed the track")
		}
	})

	step("the editor shows the source text beside each cue", func(t *testing.T) {
		resp, body := f.translator.get(edit + "/edit")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("editor page: %d\n%s", resp.StatusCode, body)
		}
		for _, want := range []string{"부산 친구", "블라디보스토크", "Alt</kbd>+<kbd>S", staticURL("cue-editor.js"), staticURL("cue-editor.css"),
			`id="save-status"`, `id="cue-editor" data-track="` + itoa64(id) + `" data-version="` + itoa64(f.version(id)) + `"`, "부산 응원 영상"} {
			if !strings.Contains(body, want) {
				t.Errorf("editor page lacks %q", want)
			}
		}
		resp, body = f.translator.get(edit + "/cues.json")
		got := decodeCues(t, body)
		if resp.StatusCode != http.StatusOK || got.Version != f.version(id) || len(got.Cues) != 3 || got.Cues[0].Source != "부산 친구" || got.Cues[2].StartMS != 4500 {
			t.Fatalf("cues.json: %d %+v", resp.StatusCode, got)
		}
	})

	step("autosave raises the progress and a stale save changes nothing", func(t *testing.T) {
		if got := autosave(t, cueIn{500, 2000, "Пусан, друзья"}, cueIn{2500, 4000, ""}, cueIn{4500, 6000, ""}); got.Progress != 33 || got.ProgressText == "" {
			t.Errorf("progress %d %q", got.Progress, got.ProgressText)
		}
		v := f.version(id)
		resp, body := f.translator.postJSON(edit+"/cues", saveBody(v-1, cueIn{500, 2000, "старое"}, cueIn{2500, 4000, ""}, cueIn{4500, 6000, ""}))
		if resp.StatusCode != http.StatusConflict || decodeCues(t, body).Error == "" {
			t.Errorf("stale autosave: %d %s", resp.StatusCode, body)
		}
		if tr := f.track(id); !strings.Contains(tr.PlainText, "Пусан, друзья") || tr.Version != v {
			t.Errorf("stale autosave changed the track: %q v%d", tr.PlainText, tr.Version)
		}
	})

	step("a cue split in two and merged back is a plain cue list to the server", func(t *testing.T) {
		if got := autosave(t, cueIn{500, 1200, "Пусан,"}, cueIn{1200, 2000, "друзья"}, cueIn{2500, 4000, ""}, cueIn{4500, 6000, ""}); got.Progress != 50 {
			t.Errorf("progress after the split %d", got.Progress)
		}
		if tr := f.track(id); tr.CueCount != 4 || tr.DoneCount != 2 {
			t.Errorf("after split: %d cues, %d done", tr.CueCount, tr.DoneCount)
		}
		// The source still lines up with the split cues by time.
		_, body := f.translator.get(edit + "/cues.json")
		if got := decodeCues(t, body); got.Cues[1].Source != "부산 친구" || got.Cues[2].Source != "블라디보스토크" {
			t.Errorf("source after split: %+v", got.Cues)
		}
		autosave(t, cueIn{500, 2000, "Пусан,\nдрузья"}, cueIn{2500, 4000, ""}, cueIn{4500, 6000, ""})
		if tr := f.track(id); tr.CueCount != 3 {
			t.Errorf("after merge: %d cues", tr.CueCount)
		}
	})

	step("what cannot be a cue is refused with a message at the cue", func(t *testing.T) {
		v := f.version(id)
		resp, body := f.translator.postJSON(edit+"/cues", saveBody(v, cueIn{500, 2000, "a"}, cueIn{-5, 4000, "b"}))
		if got := decodeCues(t, body); resp.StatusCode != http.StatusUnprocessableEntity || len(got.Cues) != 1 || got.Cues[0].Cue != 2 ||
			len(got.Cues[0].Messages) == 0 {
			t.Errorf("negative time: %d %s", resp.StatusCode, body)
		}
		resp, body = f.translator.postJSON(edit+"/cues", saveBody(v, cueIn{500, 1 << 62, "a"}))
		if got := decodeCues(t, body); resp.StatusCode != http.StatusUnprocessableEntity || len(got.Cues) != 1 {
			t.Errorf("huge time: %d %s", resp.StatusCode, body)
		}
		if resp, _ := f.translator.postJSON(edit+"/cues", "not a cue list"); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("malformed body: %d", resp.StatusCode)
		}
		if f.version(id) != v {
			t.Errorf("a refused save changed the track")
		}
	})

	step("an end before its start is saved but blocks submitting", func(t *testing.T) {
		got := autosave(t, cueIn{500, 2000, "Пусан, друзья"}, cueIn{2500, 2000, "Владивосток"}, cueIn{4500, 6000, "Здравствуйте"})
		if !got.Blocking || got.Progress != 100 {
			t.Fatalf("end before start: blocking %v, progress %d", got.Blocking, got.Progress)
		}
		resp, body := f.translator.post(edit+"/submit", form(f.version(id)))
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `data-code="`+string(subtitle.CodeEndBeforeStart)+`"`) {
			t.Errorf("submit with an error: %d, want 422 naming the error", resp.StatusCode)
		}
		if tr := f.track(id); tr.Status != track.StatusDraft {
			t.Errorf("blocked submit moved the track to %s", tr.Status)
		}
	})

	step("a warning does not block; oversized, versionless and stale requests are refused", func(t *testing.T) {
		// Fixed, with an overlap left in.
		got := autosave(t, cueIn{500, 2000, "Пусан, друзья"}, cueIn{2500, 4600, "Владивосток"}, cueIn{4500, 6000, "Здравствуйте"})
		if got.Blocking || len(got.Issues) == 0 || got.Issues[0].Severity != string(subtitle.SeverityWarning) {
			t.Fatalf("fix: %+v", got)
		}
		v := f.version(id)
		resp, body := f.translator.postJSON(edit+"/cues", saveBody(v, cueIn{500, 2000, strings.Repeat("я", maxJSONBytes/2)}))
		if resp.StatusCode != http.StatusRequestEntityTooLarge || decodeCues(t, body).Error == "" {
			t.Errorf("huge autosave: %d %.200s", resp.StatusCode, body)
		}
		if resp, _ := f.translator.post(edit+"/submit", nil); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("submit without version: %d", resp.StatusCode)
		}
		if resp, _ := f.translator.post(edit+"/submit", form(v-1)); resp.StatusCode != http.StatusConflict {
			t.Errorf("submit of an old version: %d", resp.StatusCode)
		}
		if resp, body := f.translator.post(edit+"/submit", form(v)); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("submit: %d\n%s", resp.StatusCode, body)
		}
		if tr := f.track(id); tr.Status != track.StatusInReview {
			t.Fatalf("after submit: %s", tr.Status)
		}
	})

	step("in review the cues are locked and only an editor reviews", func(t *testing.T) {
		v := f.version(id)
		if resp, _ := f.translator.postJSON(edit+"/cues", saveBody(v, cueIn{500, 2000, "x"})); resp.StatusCode != http.StatusConflict {
			t.Errorf("autosave in review: %d, want 409", resp.StatusCode)
		}
		if resp, _ := f.translator.post(edit+"/approve", form(v)); resp.StatusCode != http.StatusForbidden {
			t.Errorf("translator approves: %d, want 403", resp.StatusCode)
		}
	})

	comment := "Проверьте написание «Владивосток» во второй реплике."
	step("sent back with a comment, which is required, the translator reads it", func(t *testing.T) {
		if resp, body := f.editor.post(edit+"/return", form(f.version(id))); resp.StatusCode != http.StatusUnprocessableEntity ||
			!strings.Contains(body, `id="f-comment-error"`) {
			t.Errorf("return without a comment: %d", resp.StatusCode)
		}
		if resp, body := f.editor.post(edit+"/return", form(f.version(id), "comment", comment)); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("return: %d\n%s", resp.StatusCode, body)
		}
		resp, body := f.translator.get(edit + "/edit")
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, `id="review-comment"`) || !strings.Contains(body, comment) {
			t.Errorf("translator does not see the comment: %d", resp.StatusCode)
		}
		if tr := f.track(id); tr.Status != track.StatusDraft {
			t.Errorf("returned track is %s", tr.Status)
		}
		if _, body := f.translator.get("/admin/translations"); !strings.Contains(body, `id="translation-`+itoa64(id)+`" data-status="draft" data-returned="true"`) {
			t.Errorf("work list does not say the track was sent back")
		}
	})

	step("resubmitted and approved, it is public and off the work list", func(t *testing.T) {
		if resp, _ := f.translator.post(edit+"/submit", form(f.version(id))); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("resubmit: %d", resp.StatusCode)
		}
		if f.isPublic(id) {
			t.Fatal("public before approval")
		}
		if resp, body := f.editor.post(edit+"/approve", form(f.version(id))); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("approve: %d\n%s", resp.StatusCode, body)
		}
		if !f.isPublic(id) {
			t.Error("approved translation is not public")
		}
		if _, body := f.translator.get("/admin/translations"); strings.Contains(body, `id="translation-`+itoa64(id)+`"`) {
			t.Error("approved track still in the translator's work list")
		}
	})

	step("every step is in the history, on the page and in the audit log", func(t *testing.T) {
		hist, _ := track.History(context.Background(), e.db.R, id)
		if len(hist) != 4 || hist[1].Action != track.ActionReturn || hist[1].Comment != comment {
			t.Errorf("history %+v", hist)
		}
		_, body := f.editor.get(edit + "/edit")
		if strings.Count(body, "data-action=") != 4 || !strings.Contains(body, `data-action="return"`) || !strings.Contains(body, comment) ||
			!strings.Contains(body, edit+"/reopen") {
			t.Errorf("editor page lacks the history or the reopen button")
		}
		entries, _ := authtest.AuditLog(context.Background(), e.db.R, auth.EntitySubtitleTrack, 100, 0)
		actions := map[auth.Action]int{}
		for _, en := range entries {
			actions[en.Action]++
		}
		if actions[auth.ActionCreate] != 1 || actions[auth.ActionEditCues] < 5 || actions[track.ActionSubmit] != 2 ||
			actions[track.ActionReturn] != 1 || actions[track.ActionApprove] != 1 {
			t.Errorf("audit %v", actions)
		}
	})

	step("reopened, it leaves the public site", func(t *testing.T) {
		if resp, _ := f.editor.post(edit+"/reopen", form(f.version(id))); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("reopen: %d", resp.StatusCode)
		}
		if f.isPublic(id) {
			t.Error("reopened track still public")
		}
	})
}

func TestTranslationCreateChecks(t *testing.T) {
	t.Parallel()
	f := newTranslateFixture(t)
	viewerID := int64(0)
	f.e.inTx(func(tx *sql.Tx) error {
		u, err := auth.CreateUser(context.Background(), tx, "reader", "", testPassword, auth.RoleViewer)
		viewerID = u.ID
		return err
	})
	path := "/admin/tracks/" + itoa64(f.source.ID) + "/translations"
	for _, tc := range []struct {
		name string
		form url.Values
		want int
	}{
		{"no language", url.Values{"lang": {""}}, http.StatusUnprocessableEntity},
		{"not a tag", url.Values{"lang": {"русский"}}, http.StatusUnprocessableEntity},
		{"the source's language", url.Values{"lang": {"ko"}}, http.StatusUnprocessableEntity},
		{"a viewer as translator", url.Values{"lang": {"en"}, "translator": {itoa64(viewerID)}}, http.StatusUnprocessableEntity},
		{"nobody as translator", url.Values{"lang": {"en"}, "translator": {"999999"}}, http.StatusUnprocessableEntity},
		{"junk translator", url.Values{"lang": {"en"}, "translator": {"x"}}, http.StatusUnprocessableEntity},
		{"no translator", url.Values{"lang": {"en"}}, http.StatusSeeOther},
	} {
		resp, body := f.editor.post(path, tc.form)
		if resp.StatusCode != tc.want {
			t.Errorf("%s: %d, want %d\n%s", tc.name, resp.StatusCode, tc.want, body)
		}
		if tc.want == http.StatusUnprocessableEntity && !strings.Contains(body, `aria-invalid="true"`) {
			t.Errorf("%s: the form does not mark the field", tc.name)
		}
	}
	if resp, _ := f.editor.post("/admin/tracks/999999/translations", url.Values{"lang": {"en"}}); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown track: %d", resp.StatusCode)
	}
	if resp, _ := f.translator.post(path, url.Values{"lang": {"en"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a translator creates a translation: %d", resp.StatusCode)
	}
	// Machine translation is off by default: no button, and its route is not there.
	_, body := f.editor.get("/admin/tracks/" + itoa64(f.source.ID) + "/edit")
	if strings.Contains(body, "machine") {
		t.Error("machine translation offered while off")
	}
	id := f.createTranslation(url.Values{"lang": {"ru"}, "translator": {itoa64(f.translatorID)}})
	// Every page in every language, with no message missing from a catalog.
	untranslated := regexp.MustCompile(`translate\.[a-z_]+\.`)
	for _, lang := range []string{"ko", "ru", "en"} {
		for _, p := range []string{"/admin/tracks/" + itoa64(f.source.ID) + "/edit", "/admin/tracks/" + itoa64(id) + "/edit",
			"/admin/translations"} {
			for _, c := range []*client{f.editor, f.translator} {
				resp, body := c.get(p + "?lang=" + lang)
				if p == "/admin/tracks/"+itoa64(f.source.ID)+"/edit" && c == f.translator {
					if resp.StatusCode != http.StatusForbidden {
						t.Errorf("translator opens an unassigned source track: %d", resp.StatusCode)
					}
					continue
				}
				if resp.StatusCode != 200 || untranslated.MatchString(body) {
					t.Errorf("%s in %s: %d %q", p, lang, resp.StatusCode, untranslated.FindString(body))
				}
			}
		}
	}
	if resp, _ := f.translator.post("/admin/tracks/"+itoa64(id)+"/machine-translate", url.Values{"version": {itoa64(f.version(id))}}); resp.StatusCode != http.StatusNotFound {
		t.Errorf("machine translation while off: %d, want 404", resp.StatusCode)
	}
}

// libreStandIn is a local LibreTranslate: Korean to Russian from a small dictionary. It
// records the keys it was sent, and answers with the status in fail when that is set.
type libreStandIn struct {
	mu   sync.Mutex
	keys []string
	fail int
}

func (s *libreStandIn) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Q      []string `json:"q"`
		Source string   `json:"source"`
		Target string   `json:"target"`
		APIKey string   `json:"api_key"`
	}
	w.Header().Set("Content-Type", "application/json")
	if r.URL.Path != "/translate" || json.NewDecoder(r.Body).Decode(&req) != nil {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"error":"Invalid request"}`))
		return
	}
	s.mu.Lock()
	s.keys = append(s.keys, req.APIKey)
	fail := s.fail
	s.mu.Unlock()
	if fail != 0 {
		w.WriteHeader(fail)
		_, _ = w.Write([]byte(`{"error":"refused for key ` + req.APIKey + `"}`))
		return
	}
	dict := map[string]string{"부산 친구": "Друзья из Пусана", "블라디보스토크": "Владивосток & <Приморье>", "안녕하세요": "Здравствуйте"}
	out := make([]string, len(req.Q))
	for i, q := range req.Q {
		out[i] = dict[q]
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"translatedText": out})
}

// shown is how the page shows the catalog's message key in lang: the test names the message,
// not its wording.
func (e *testEnv) shown(lang, key string) string {
	return template.HTMLEscapeString(e.srv.cat.Localizer(lang).T(key))
}

// TestTranslationMachine follows a translation made and filled through a machine translation
// service (a local stand-in for LibreTranslate), one step per subtest.
func TestTranslationMachine(t *testing.T) {
	t.Parallel()
	f := newTranslateFixture(t)
	const key = "lt-key-7f3a9c"
	lt := &libreStandIn{}
	ts := httptest.NewServer(lt)
	defer ts.Close()
	machine, err := newMachine(config.Config{TranslateURL: ts.URL, TranslateKey: key})
	if err != nil {
		t.Fatal(err)
	}
	f.e.srv.machine = machine
	id := f.createTranslation(url.Values{"lang": {"ru"}, "translator": {itoa64(f.translatorID)}, "machine": {"1"}})
	edit := "/admin/tracks/" + itoa64(id)
	fill := func(c *client) *http.Response {
		resp, _ := c.post(edit+"/machine-translate", url.Values{"version": {itoa64(f.version(id))}})
		return resp
	}
	step := func(name string, fn func(t *testing.T)) {
		if !t.Run(name, fn) {
			t.FailNow()
		}
	}

	step("a translation is made machine-translated, its text escaped as cue text", func(t *testing.T) {
		tr := f.track(id)
		if tr.DoneCount != 3 || !strings.Contains(tr.PlainText, "Друзья из Пусана") || !strings.Contains(tr.PlainText, "Владивосток & <Приморье>") {
			t.Fatalf("machine-translated track: %d done\n%s", tr.DoneCount, tr.VTT)
		}
		if strings.Contains(tr.VTT, "<Приморье>") {
			t.Errorf("translated text not escaped as cue text:\n%s", tr.VTT)
		}
	})

	step("a draft with empty cues offers the button", func(t *testing.T) {
		resp, _ := f.translator.postJSON(edit+"/cues", saveBody(f.version(id),
			cueIn{500, 2000, "Мои друзья"}, cueIn{2500, 4000, ""}, cueIn{4500, 6000, ""}))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("autosave: %d", resp.StatusCode)
		}
		if _, page := f.translator.get(edit + "/edit"); !strings.Contains(page, `action="`+edit+`/machine-translate"`) {
			t.Error("no machine translation button")
		}
	})

	step("a failing service gives a message in the user's language, never a 500, and changes nothing", func(t *testing.T) {
		before := f.track(id)
		f.translator.lang = "ko"
		defer func() { f.translator.lang = "" }()
		for _, tc := range []struct {
			fail, want int
			msg        string
		}{
			{http.StatusForbidden, http.StatusServiceUnavailable, "translate.mt.refused"},
			{http.StatusTooManyRequests, http.StatusTooManyRequests, "translate.mt.busy"},
			{http.StatusBadRequest, http.StatusUnprocessableEntity, "translate.mt.unsupported"},
			{http.StatusInternalServerError, http.StatusServiceUnavailable, "translate.mt.unavailable"},
		} {
			lt.mu.Lock()
			lt.fail = tc.fail
			lt.mu.Unlock()
			resp, body := f.translator.post(edit+"/machine-translate", url.Values{"version": {itoa64(f.version(id))}})
			if resp.StatusCode != tc.want || !strings.Contains(body, f.e.shown("ko", tc.msg)) {
				t.Errorf("service answers %d: %d, want %d with %s", tc.fail, resp.StatusCode, tc.want, tc.msg)
			}
			if strings.Contains(body, key) {
				t.Errorf("service answers %d: the page shows the key", tc.fail)
			}
		}
		lt.mu.Lock()
		lt.fail = 0
		lt.mu.Unlock()
		if got := f.track(id); got.Version != before.Version || got.DoneCount != 1 {
			t.Errorf("a failed machine translation changed the track: v%d, %d done", got.Version, got.DoneCount)
		}
	})

	step("the service fills the empty cues and keeps the translator's", func(t *testing.T) {
		if resp := fill(f.translator); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("machine translation: %d", resp.StatusCode)
		}
		got := f.track(id)
		if got.DoneCount != 3 || !strings.Contains(got.PlainText, "Мои друзья") || !strings.Contains(got.PlainText, "Здравствуйте") {
			t.Errorf("after machine translation: %d done\n%s", got.DoneCount, got.PlainText)
		}
	})

	step("with nothing left to fill it says so; another translator may not use it", func(t *testing.T) {
		if resp := fill(f.translator); resp.StatusCode != http.StatusSeeOther || !strings.HasSuffix(resp.Header.Get("Location"), "notice=mt_nothing") {
			t.Errorf("nothing to fill: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		if resp := fill(f.other); resp.StatusCode != http.StatusForbidden {
			t.Errorf("machine translation by another translator: %d", resp.StatusCode)
		}
	})

	step("the key went to the service with every request, and nowhere else", func(t *testing.T) {
		lt.mu.Lock()
		for _, k := range lt.keys {
			if k != key {
				t.Errorf("service received key %q", k)
			}
		}
		if len(lt.keys) < 6 {
			t.Errorf("%d requests reached the service", len(lt.keys))
		}
		lt.mu.Unlock()
		entries, _ := authtest.AuditLog(context.Background(), f.e.db.R, "", 200, 0)
		for _, en := range entries {
			if strings.Contains(en.Before+en.After, key) {
				t.Errorf("audit entry %s shows the key", en.Action)
			}
		}
		for _, c := range []*client{f.translator, f.editor} {
			for _, p := range []string{edit + "/edit", "/admin/translations", edit + "/cues.json"} {
				if _, body := c.get(p); strings.Contains(body, key) {
					t.Errorf("%s shows the key", p)
				}
			}
		}
	})
}

// TestTranslationAutosaveLongTrack: a track as long as a track may be (track.MaxCues cues of
// ordinary length, some 3 MB of JSON) still autosaves: the body limit is above it.
func TestTranslationAutosaveLongTrack(t *testing.T) {
	t.Parallel()
	f := newTranslateFixture(t)
	id := f.createTranslation(url.Values{"lang": {"ru"}, "translator": {itoa64(f.translatorID)}})
	long := make([]cueIn, track.MaxCues)
	for i := range long {
		long[i] = cueIn{int64(i) * 1000, int64(i)*1000 + 900, "Пусан и Владивосток — города-побратимы " + strconv.Itoa(i)}
	}
	v := f.version(id)
	resp, body := f.translator.postJSON("/admin/tracks/"+itoa64(id)+"/cues", saveBody(v, long...))
	if got := decodeCues(t, body); resp.StatusCode != http.StatusOK || got.Version != v+1 || got.Progress != 100 {
		t.Fatalf("autosave of %d cues: %d %.300s", len(long), resp.StatusCode, body)
	}
	if tr := f.track(id); tr.CueCount != track.MaxCues {
		t.Errorf("stored %d cues, want %d", tr.CueCount, track.MaxCues)
	}
}
