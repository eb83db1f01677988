package web

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strings"
	"testing"
	"time"

	"sistercity/internal/auth"
	"sistercity/internal/auth/authtest"
	"sistercity/internal/jobs"
	"sistercity/internal/jobs/jobstest"
	"sistercity/internal/media"
	"sistercity/internal/polltest"
	"sistercity/internal/video"
)

// videoCreateForm is a complete new video: Russian original with Korean and English texts,
// produced by the partner city, linked to the partnership.
func videoCreateForm(partnerCity, partnership int64) url.Values {
	return url.Values{
		"state":                {video.StateDraft},
		"original_lang":        {"ru"},
		"origin_city":          {itoa64(partnerCity)},
		"partnerships":         {itoa64(partnership)},
		"tags":                 {"Support, covid-19, support"},
		"texts.0.lang":         {"ru"},
		"texts.0.title":        {"Видеообращение Владивостока"},
		"texts.0.description":  {"Жители Владивостока поддерживают Пусан."},
		"texts.0.credits":      {"Администрация Владивостока"},
		"texts.1.lang":         {"ko"},
		"texts.1.title":        {"블라디보스토크 응원 영상"},
		"texts.2.lang":         {"EN"},
		"texts.2.title":        {"Vladivostok's message of support"},
		"texts.2.description":  {"Subtitled in Korean."},
		"zone":                 {"Asia/Seoul"},
		"scheduled_at":         {""},
		"texts.3.lang":         {""}, // a blank row, as the form sends it
		"texts.3.title":        {""},
		"texts.3.description":  {""},
		"texts.3.credits":      {""},
		"texts.29.description": {""},
	}
}

// createVideo posts the create form and returns the new video's id.
func createVideo(t *testing.T, c *client, form url.Values) int64 {
	t.Helper()
	resp, body := c.post("/admin/videos/new", form)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d\n%s", resp.StatusCode, body)
	}
	loc := resp.Header.Get("Location")
	rest, ok := strings.CutPrefix(loc, "/admin/videos/")
	if !ok || !strings.HasSuffix(rest, "?notice=created") {
		t.Fatalf("create redirects to %q", loc)
	}
	var id int64
	for _, r := range strings.TrimSuffix(rest, "?notice=created") {
		id = id*10 + int64(r-'0')
	}
	return id
}

func getVideo(t *testing.T, e *testEnv, id int64) *video.Video {
	t.Helper()
	v, err := video.Get(context.Background(), e.db.R, id)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestVideoEditCreateAndEdit(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	_, partner, p := seedVladivostok(t, e)
	editor := e.userClient(auth.RoleEditor)

	// The new form offers the partner city as origin and the partnership to link.
	resp, body := editor.get("/admin/videos/new")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `value="`+itoa64(partner.ID)+`"`) ||
		!strings.Contains(body, `id="f-partnership-`+itoa64(p.ID)+`"`) {
		t.Fatalf("new form: %d\n%s", resp.StatusCode, body)
	}

	id := createVideo(t, editor, videoCreateForm(partner.ID, p.ID))
	v := getVideo(t, e, id)
	if v.State != video.StateDraft || v.OriginalLang != "ru" || v.OriginCityID != partner.ID || len(v.Texts) != 3 ||
		len(v.Partnerships) != 1 || v.Partnerships[0] != p.ID || strings.Join(v.Tags, ",") != "covid-19,support" {
		t.Fatalf("created video = %+v", v)
	}
	if v.Title("en") != "Vladivostok's message of support" || v.Credits("ru") != "Администрация Владивостока" {
		t.Errorf("texts = %+v", v.Texts)
	}

	// The edit page shows every text and links to the upload page.
	_, body = editor.get("/admin/videos/" + itoa64(id))
	for _, want := range []string{"블라디보스토크 응원 영상", "Vladivostok&#39;s message of support", `href="/admin/videos/` + itoa64(id) + `/upload"`,
		`data-video-status="` + itoa64(id) + `"`, "No source file yet", `name="version" value="` + itoa64(v.Version) + `"`} {
		if !strings.Contains(body, want) {
			t.Errorf("edit page lacks %s", want)
		}
	}

	// Edit: drop the Korean row, change a title; the version moves on and the audit has both.
	created := v
	form := videoCreateForm(partner.ID, p.ID)
	form.Set("version", itoa64(created.Version))
	form.Del("texts.1.lang")
	form.Del("texts.1.title")
	form.Set("texts.2.title", "A message from Vladivostok")
	resp, body = editor.post("/admin/videos/"+itoa64(id), form)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin/videos/"+itoa64(id)+"?notice=saved" {
		t.Fatalf("edit: %d %s\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	v = getVideo(t, e, id)
	if v.Version != created.Version+1 || len(v.Texts) != 2 || v.Title("en") != "A message from Vladivostok" {
		t.Fatalf("edited video = version %d, texts %+v", v.Version, v.Texts)
	}
	entries, err := authtest.AuditLog(context.Background(), e.db.R, auth.EntityVideo, 10, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 || entries[0].Action != auth.ActionUpdate || !strings.Contains(entries[0].Before, "블라디보스토크") ||
		strings.Contains(entries[0].After, "블라디보스토크") || entries[1].Action != auth.ActionCreate {
		t.Errorf("audit = %+v", entries)
	}

	// A second editor still holding the version as created: 409, the typed form back, nothing saved.
	form.Set("texts.2.title", "Typed by someone late")
	resp, body = editor.post("/admin/videos/"+itoa64(id), form)
	if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "Typed by someone late") ||
		!strings.Contains(body, "Someone else changed this record") || !strings.Contains(body, "Open the current version") {
		t.Errorf("stale edit: %d\n%s", resp.StatusCode, body)
	}
	if got := getVideo(t, e, id); got.Version != v.Version || got.Title("en") != "A message from Vladivostok" {
		t.Errorf("a stale edit changed the video: %+v", got)
	}

	// "Add a language" sends the form back with one more row and saves nothing.
	form.Set("version", itoa64(v.Version))
	form.Set("add_text", "1")
	resp, body = editor.post("/admin/videos/"+itoa64(id), form)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `name="texts.0.lang"`) || !strings.Contains(body, `name="texts.1.lang"`) ||
		!strings.Contains(body, "Typed by someone late") || !strings.Contains(body, "Our city (Busan)") {
		t.Errorf("add a row: %d", resp.StatusCode)
	}
	form.Set("texts.2.remove", "1")
	_, body = editor.post("/admin/videos/"+itoa64(id), form)
	if strings.Contains(body, "Typed by someone late") || !strings.Contains(body, "Видеообращение Владивостока") {
		t.Errorf("remove a row: the row is still there or the others are gone")
	}
	form.Del("add_text")
	if got := getVideo(t, e, id); got.Version != v.Version {
		t.Errorf("adding a row saved the video")
	}
	// Saved with the English row ticked for removal: only the Russian text stays.
	if resp, body := editor.post("/admin/videos/"+itoa64(id), form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save with a row removed: %d\n%s", resp.StatusCode, body)
	}
	if got := getVideo(t, e, id); len(got.Texts) != 1 || got.Texts[0].Lang != "ru" {
		t.Errorf("after removing a row: %+v", got.Texts)
	}

	// A viewer reads the page without a form to send, and may not create.
	viewer := e.userClient(auth.RoleViewer)
	resp, body = viewer.get("/admin/videos/" + itoa64(id))
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "<fieldset disabled>") {
		t.Errorf("viewer: %d", resp.StatusCode)
	}
	if resp, _ := viewer.get("/admin/videos/new"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("viewer on the new form: %d", resp.StatusCode)
	}
}

func TestVideoEditValidation(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	_, partner, p := seedVladivostok(t, e)
	editor := e.userClient(auth.RoleEditor)
	editor.lang = "ru"
	ru := e.srv.cat.Localizer("ru")

	// The original language has no text: 422 in the requester's language, all input kept.
	form := videoCreateForm(partner.ID, p.ID)
	form.Set("original_lang", "ja")
	form.Set("texts.1.lang", "ko-KR-x-y-z-!")
	resp, body := editor.post("/admin/videos/new", form)
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("missing original text: %d", resp.StatusCode)
	}
	for _, want := range []string{ru.T("video.error.original_missing"), ru.T("video.error.lang"), `id="err-texts.1.lang"`,
		"Жители Владивостока поддерживают Пусан.", "Vladivostok&#39;s message of support", `value="ja"`, `value="ko-KR-x-y-z-!"`,
		`value="Support, covid-19, support"`, `aria-invalid="true" aria-describedby="err-texts.1.lang"`} {
		if !strings.Contains(body, want) {
			t.Errorf("422 page lacks %q", want)
		}
	}

	// A title missing in a row with a description names that row; a city not in the register,
	// a partnership that does not exist and a scheduled time in the past are named too.
	form = videoCreateForm(partner.ID, p.ID)
	form.Set("texts.2.title", "")
	form.Set("origin_city", "999")
	form["partnerships"] = []string{itoa64(p.ID), "12345"}
	form.Set("scheduled_at", "2020-07-10T09:00") // 00:00 UTC; the test clock is at 12:00 UTC
	resp, body = editor.post("/admin/videos/new", form)
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("bad form: %d", resp.StatusCode)
	}
	for _, want := range []string{`id="err-texts.2.title"`, ru.T("video.error.title_missing"), `id="err-origin_city"`,
		`id="err-partnerships"`, `id="err-scheduled_at"`, ru.T("video.edit.schedule_past")} {
		if !strings.Contains(body, want) {
			t.Errorf("422 page lacks %q", want)
		}
	}
	form.Set("zone", "Mars/Olympus")
	form.Set("scheduled_at", "2020-08-01T09:00")
	if _, body = editor.post("/admin/videos/new", form); !strings.Contains(body, `id="err-zone"`) {
		t.Errorf("an unknown zone is not named")
	}
	if list, _, _ := video.List(context.Background(), e.db.R, video.Filter{}); len(list) != 0 {
		t.Errorf("a refused form saved %d videos", len(list))
	}

	// A time ahead, in Vladivostok's zone, is kept in UTC.
	form = videoCreateForm(partner.ID, p.ID)
	form.Set("zone", "Asia/Vladivostok")
	form.Set("scheduled_at", "2020-07-20T18:30")
	id := createVideo(t, editor, form)
	if got := getVideo(t, e, id).ScheduledAt; !got.Equal(time.Date(2020, 7, 20, 8, 30, 0, 0, time.UTC)) {
		t.Errorf("scheduled at %v", got)
	}
}

// publishJobs lists the publication jobs of the queue.
func publishJobs(t *testing.T, e *testEnv) []jobstest.Info {
	t.Helper()
	page, err := e.jobs().List(context.Background(), jobstest.Filter{Kinds: []string{video.PublishArgs{}.Kind()}})
	if err != nil {
		t.Fatal(err)
	}
	return page.Jobs
}

// TestVideoEditScheduling follows one video from review to its scheduled publication by the
// queue, one step per subtest; a failed step stops the steps after it.
func TestVideoEditScheduling(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	home, _, p := seedVladivostok(t, e)
	setCityZone(t, e, home.ID, "Asia/Seoul") // the form types and shows times in the home city's zone
	v := seedVideo(t, e, p, video.StateDraft, ruOnly)
	editor := e.userClient(auth.RoleEditor)
	path := "/admin/videos/" + itoa64(v.ID)
	// state posts the state form from the version the database has now, moved by delta.
	state := func(delta int64, to, at string) (*http.Response, string) {
		version := getVideo(t, e, v.ID).Version + delta
		return editor.post(path+"/state", url.Values{"version": {itoa64(version)}, "state": {to}, "scheduled_at": {at},
			"zone": {"Asia/Seoul"}, "return": {"edit"}})
	}
	// details is the details form as read now, with scheduled_at typed.
	details := func(scheduledAt string) url.Values {
		return url.Values{"version": {itoa64(getVideo(t, e, v.ID).Version)}, "original_lang": {"ru"}, "texts.0.lang": {"ru"},
			"texts.0.title": {ruOnly.Title}, "zone": {"Asia/Seoul"}, "scheduled_at": {scheduledAt}, "partnerships": {itoa64(p.ID)}}
	}
	at := time.Date(2020, 7, 11, 0, 0, 0, 0, time.UTC) // 09:00 in Seoul
	step := func(name string, fn func(t *testing.T)) {
		if !t.Run(name, fn) {
			t.FailNow()
		}
	}

	step("a schedule in the past, without a time or from a stale version is refused", func(t *testing.T) {
		if resp, body := state(0, video.StateInReview, ""); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("to review: %d\n%s", resp.StatusCode, body)
		}
		// 09:00 in Seoul is 00:00 UTC, and the clock is at 12:00 UTC.
		resp, body := state(0, video.StateScheduled, "2020-07-10T09:00")
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="err-state_scheduled_at"`) ||
			!strings.Contains(body, `value="2020-07-10T09:00"`) {
			t.Errorf("past: %d\n%s", resp.StatusCode, body)
		}
		if resp, body := state(0, video.StateScheduled, ""); resp.StatusCode != http.StatusUnprocessableEntity ||
			!strings.Contains(body, `id="err-state_scheduled_at"`) {
			t.Errorf("no time: %d", resp.StatusCode)
		}
		if resp, _ := state(-1, video.StateScheduled, "2020-07-11T09:00"); resp.StatusCode != http.StatusConflict {
			t.Errorf("stale: %d", resp.StatusCode)
		}
		if got := getVideo(t, e, v.ID); got.State != video.StateInReview || !got.ScheduledAt.IsZero() || len(publishJobs(t, e)) != 0 {
			t.Fatalf("a refused schedule changed something: %s %v, %d jobs", got.State, got.ScheduledAt, len(publishJobs(t, e)))
		}
	})

	step("a time ahead schedules the video and enqueues its publication", func(t *testing.T) {
		resp, body := state(0, video.StateScheduled, "2020-07-11T09:00")
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != path+"?notice=scheduled" {
			t.Fatalf("schedule: %d\n%s", resp.StatusCode, body)
		}
		got := getVideo(t, e, v.ID)
		js := publishJobs(t, e)
		if got.State != video.StateScheduled || !got.ScheduledAt.Equal(at) || len(js) != 1 || !js[0].ScheduledAt.Equal(at) {
			t.Fatalf("scheduled: %s at %v; jobs %+v", got.State, got.ScheduledAt, js)
		}
		if _, body := editor.get(path + "?notice=scheduled"); !strings.Contains(body, `value="2020-07-11T09:00"`) {
			t.Errorf("the page does not show the schedule")
		}
	})

	step("another time from the details form is enqueued again; a past one is refused", func(t *testing.T) {
		if resp, _ := editor.post(path, details("2020-07-09T09:00")); resp.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("edit to the past: %d", resp.StatusCode)
		}
		if resp, body := editor.post(path, details("2020-07-12T10:00")); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("new time: %d\n%s", resp.StatusCode, body)
		}
		if js := publishJobs(t, e); len(js) != 2 || !js[0].ScheduledAt.Equal(at.Add(25*time.Hour)) {
			t.Fatalf("after a new time: jobs %+v", js)
		}
	})

	step("the queue publishes it once; the job for the old time does nothing", func(t *testing.T) {
		// An anonymous visitor's video index, kept by the page cache, lacks the video until the
		// job publishes it; the job's write makes the next view show it.
		anon := e.client()
		watchLink := `href="/en/videos/` + itoa64(v.ID) + `"`
		for range 2 {
			if _, body := anon.get("/en/videos"); strings.Contains(body, watchLink) {
				t.Fatal("the index shows the scheduled video")
			}
		}
		// Their time is long past for the real clock.
		deps := video.Deps{DB: e.db, Store: e.srv.docs, WorkDir: t.TempDir()}
		q, err := jobs.New(e.db, jobs.Config{Workers: 1, FetchPollInterval: 100 * time.Millisecond, StopTimeout: 5 * time.Second},
			slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		if err := video.Register(q, deps); err != nil {
			t.Fatal(err)
		}
		if err := q.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		defer func() {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			_ = q.Stop(ctx)
		}()
		polltest.Until(t, "both publication jobs to complete", func() (bool, string) {
			done, list := 0, publishJobs(t, e)
			for _, j := range list {
				if j.State == jobstest.StateCompleted {
					done++
				}
			}
			return done == 2, fmt.Sprintf("%+v", list)
		})
		if got := getVideo(t, e, v.ID); got.State != video.StatePublished || got.PublishedAt.IsZero() {
			t.Errorf("after the jobs: %s, published at %v", got.State, got.PublishedAt)
		}
		if _, body := anon.get("/en/videos"); !strings.Contains(body, watchLink) {
			t.Error("the index does not show the video the job published")
		}
	})

	step("a published video's past time, saved unchanged, is kept to the second", func(t *testing.T) {
		// Stored with seconds: the form shows it to the minute.
		past := time.Date(2020, 7, 1, 3, 4, 5, 678e6, time.UTC)
		e.inTx(func(tx *sql.Tx) error {
			got := getVideo(t, e, v.ID)
			got.ScheduledAt = past
			return video.Update(context.Background(), tx, got)
		})
		if resp, body := editor.post(path, details("2020-07-01T12:04")); resp.StatusCode != http.StatusSeeOther { // in Seoul
			t.Fatalf("unchanged past time: %d\n%s", resp.StatusCode, body)
		}
		if got := getVideo(t, e, v.ID); !got.ScheduledAt.Equal(past) {
			t.Errorf("an unchanged time became %v", got.ScheduledAt)
		}
	})
}

func TestVideoEditStatusAndReprocess(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	_, partner, p := seedVladivostok(t, e)
	editor := e.userClient(auth.RoleEditor)
	id := createVideo(t, editor, videoCreateForm(partner.ID, p.ID))
	ctx := context.Background()

	// A source that is no video: processing fails with a reason.
	e.inTx(func(tx *sql.Tx) error {
		key := video.SourceKey(id, "notes.mp4")
		if err := e.srv.docs.Put(ctx, key, strings.NewReader(strings.Repeat("not a video\n", 400))); err != nil {
			return err
		}
		return video.AttachSource(ctx, tx, id, key)
	})
	viewer := e.userClient(auth.RoleViewer)
	viewer.lang = "ru"
	status := func() videoStatusJSON {
		t.Helper()
		resp, body := viewer.get("/admin/videos/" + itoa64(id) + "/status")
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("status: %d %s\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
		var s videoStatusJSON
		if err := json.Unmarshal([]byte(body), &s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	ru := e.srv.cat.Localizer("ru")
	if s := status(); s.Processing != video.ProcWaiting || s.Done || s.Text != ru.T("video.processing.waiting") || s.StateLabel != ru.T("video.state.draft") {
		t.Errorf("waiting: %+v", s)
	}
	deps := video.Deps{DB: e.db, Store: e.srv.docs, WorkDir: t.TempDir(), Encoder: media.X264{Preset: "ultrafast"}}
	if err := video.ProcessVideo(ctx, deps, id); err == nil {
		t.Fatal("a text file was processed")
	}
	v := getVideo(t, e, id)
	code, _, _ := strings.Cut(v.Failure, ":")
	want := ru.T("video.media_error." + code)
	s := status()
	if v.Processing != video.ProcFailed || want == "video.media_error."+code || s.Failure != want || !s.Done ||
		s.Text != ru.T("video.processing.failed", "reason", want) || s.Renditions != 0 {
		t.Fatalf("failed: %q → %+v", v.Failure, s)
	}

	// A rejected file is gone: the edit page tells why and asks for another file, and there is
	// nothing to try again.
	_, body := editor.get("/admin/videos/" + itoa64(id))
	en := e.srv.cat.Localizer("en")
	if !strings.Contains(body, htmlText(en.T("video.media_error."+code))) || strings.Contains(body, `/reprocess"`) ||
		!strings.Contains(body, `href="/admin/videos/`+itoa64(id)+`/upload"`) {
		t.Errorf("edit page after a rejection: want the reason and the upload link, no retry")
	}
	if resp, _ := editor.post("/admin/videos/"+itoa64(id)+"/reprocess", nil); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("reprocess without a source: %d, want 422", resp.StatusCode)
	}

	// A failure that may pass (ffmpeg stopped, the disk was full) keeps the source: the edit
	// page offers to try again, and the retry queues the processing.
	e.inTx(func(tx *sql.Tx) error {
		key := video.SourceKey(id, "clip.mp4")
		if err := e.srv.docs.Put(ctx, key, strings.NewReader("kept")); err != nil {
			return err
		}
		if err := video.AttachSource(ctx, tx, id, key); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, "UPDATE videos SET processing = $1, failure = $2 WHERE id = $3",
			video.ProcFailed, "encode_failed: No space left on device", id)
		return err
	})
	_, body = editor.get("/admin/videos/" + itoa64(id))
	if !strings.Contains(body, `action="/admin/videos/`+itoa64(id)+`/reprocess"`) || !strings.Contains(body, "No space left on device") {
		t.Errorf("edit page lacks the failure or the retry")
	}
	resp, _ := editor.post("/admin/videos/"+itoa64(id)+"/reprocess", nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("reprocess: %d", resp.StatusCode)
	}
	page, err := e.jobs().List(ctx, jobstest.Filter{Kinds: []string{video.ProcessArgs{}.Kind()}})
	if err != nil {
		t.Fatal(err)
	}
	var args video.ProcessArgs
	if len(page.Jobs) == 1 {
		_ = json.Unmarshal(page.Jobs[0].Args, &args)
	}
	if s := status(); s.Processing != video.ProcWaiting || s.Failure != "" || len(page.Jobs) != 1 || args.VideoID != id {
		t.Errorf("after reprocess: %+v, jobs %+v", s, page.Jobs)
	}
	// Not failed (waiting now): nothing to retry.
	if resp, _ := editor.post("/admin/videos/"+itoa64(id)+"/reprocess", nil); resp.StatusCode != http.StatusConflict {
		t.Errorf("reprocess while waiting: %d", resp.StatusCode)
	}
	if resp, _ := viewer.get("/admin/videos/999999/status"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("status of no video: %d", resp.StatusCode)
	}
}

// TestVideoEditShowsMedia: a processed draft shows its renditions, poster and source in the
// admin, whose file route serves them (with ranges) before the video is public.
func TestVideoEditShowsMedia(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	_, _, p := seedVladivostok(t, e)
	v := seedVideo(t, e, p, video.StateDraft, ruOnly)
	viewer := e.userClient(auth.RoleViewer)
	_, body := viewer.get("/admin/videos/" + itoa64(v.ID))
	for _, want := range []string{"360p", "240p", "640×360", "0:02", "h264", `<img src="/admin/videos/` + itoa64(v.ID) + `/files/`, "Ready"} {
		if !strings.Contains(body, want) {
			t.Errorf("edit page lacks %q", want)
		}
	}
	best := v.Best()
	file := "/admin/videos/" + itoa64(v.ID) + "/files/" + best.Key[len(video.KeyPrefix(v.ID)):]
	req, _ := http.NewRequest("GET", e.ts.URL+file, nil)
	req.Header.Set("Range", "bytes=0-7")
	resp, err := viewer.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusPartialContent || len(b) != 8 || string(b[4:8]) != "ftyp" {
		t.Errorf("ranged rendition: %d %q", resp.StatusCode, b)
	}
	if resp, _ := viewer.get("/admin/videos/" + itoa64(v.ID) + "/files/other.mp4"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a file the video does not have: %d", resp.StatusCode)
	}
	// The public route does not serve a draft.
	if resp, _ := e.client().get(mediaURL(best.Key)); resp.StatusCode != http.StatusNotFound {
		t.Errorf("public media of a draft: %d", resp.StatusCode)
	}
	// The list links the video and carries its status element.
	_, list := viewer.get("/admin/videos")
	if !strings.Contains(list, `href="/admin/videos/`+itoa64(v.ID)+`"`) || !strings.Contains(list, `data-video-status="`+itoa64(v.ID)+`" data-active="false"`) {
		t.Errorf("list lacks the link or the status element")
	}
	// Mid-way through processing, as after its first stage: the renditions made from the
	// source are listed as ready, and the page says the others are being made.
	e.inTx(func(tx *sql.Tx) error {
		if _, err := tx.Exec("UPDATE videos SET processing = $1 WHERE id = $2", video.ProcProcessing, v.ID); err != nil {
			return err
		}
		_, err := tx.Exec("UPDATE video_renditions SET source_key = 'sources/old.mp4' WHERE video_id = $1 AND lines = 360", v.ID)
		return err
	})
	_, body = viewer.get("/admin/videos/" + itoa64(v.ID))
	if want := htmlText(e.srv.cat.Localizer("en").T("video.edit.renditions_partial", "items", "240p")); !strings.Contains(body, want) || strings.Contains(body, "/files/"+path.Base(best.Key)) {
		t.Errorf("mid-way: the page lacks %q or lists the 360p", want)
	}
}

// htmlText is s as html/template writes it in text.
func htmlText(s string) string {
	return strings.NewReplacer("&", "&amp;", "'", "&#39;", "<", "&lt;", ">", "&gt;", `"`, "&#34;").Replace(s)
}
