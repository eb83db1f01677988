package web

import (
	"context"
	"database/sql"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"sistercity/internal/auth"
	"sistercity/internal/video"
)

// TestVideoPublishingWorkflow: the state control offers only the steps possible from the
// video's state, each with what it means, to editors only; an editor publishes a draft in one
// action; an administrator's setting makes the review step required, and a draft's direct
// publication is then refused in the editor's language, nothing changed.
func TestVideoPublishingWorkflow(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	_, _, p := seedVladivostok(t, e)
	draft := seedVideo(t, e, p, video.StateDraft, ruOnly)
	planned := &video.Video{OriginalLang: "ru", State: video.StatePlanned, Texts: []video.Text{ruOnly}}
	planned.Normalize()
	e.inTx(func(tx *sql.Tx) error { return video.Create(context.Background(), tx, planned) })
	editor, admin := e.userClient(auth.RoleEditor), e.userClient(auth.RoleAdmin)
	viewer, translator := e.userClient(auth.RoleViewer), e.userClient(auth.RoleTranslator)
	draftPath, plannedPath := "/admin/videos/"+itoa64(draft.ID), "/admin/videos/"+itoa64(planned.ID)

	offered := func(c *client, path string) []string {
		t.Helper()
		resp, body := c.get(path + "?lang=en")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", path, resp.StatusCode)
		}
		var out []string
		for _, st := range video.States {
			if strings.Contains(body, `id="s-state-`+st+`"`) {
				out = append(out, st)
			}
		}
		return out
	}
	for _, tc := range []struct {
		name string
		c    *client
		path string
		want string
	}{
		{"viewer, draft", viewer, draftPath, ""},
		{"translator, draft", translator, draftPath, ""},
		{"editor, draft", editor, draftPath, "planned in_review scheduled published withdrawn"},
		{"admin, draft", admin, draftPath, "planned in_review scheduled published withdrawn"},
		{"editor, planned and not processed", editor, plannedPath, "draft withdrawn"},
	} {
		if got := strings.Join(offered(tc.c, tc.path), " "); got != tc.want {
			t.Errorf("%s: offered %q, want %q", tc.name, got, tc.want)
		}
	}
	_, page := editor.get(draftPath + "?lang=en")
	for _, want := range []string{
		"Now Draft. Next step:",
		`aria-describedby="h-state-published"> Publish now</label>`,
		"The video appears at once on the public site, in its feeds and on the fediverse.",
		`id="s-scheduled_at"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the draft's state form lacks %q", want)
		}
	}
	if _, page := editor.get(plannedPath + "?lang=en"); strings.Contains(page, `id="s-scheduled_at"`) {
		t.Error("a planned video offers a publication time")
	}
	if resp, _ := viewer.post(draftPath+"/state", url.Values{"state": {video.StatePublished}, "version": {itoa64(draft.Version)}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a viewer changes the state: %d", resp.StatusCode)
	}

	// The setting is the administrator's, and audited.
	setting := func(c *client, v url.Values) int {
		resp, _ := c.post("/admin/settings/workflow", v)
		return resp.StatusCode
	}
	if st := setting(editor, url.Values{"review_required": {"1"}}); st != http.StatusForbidden {
		t.Errorf("an editor changes the workflow: %d", st)
	}
	if st := setting(admin, url.Values{"review_required": {"yes please"}}); st != http.StatusBadRequest {
		t.Errorf("a bad value: %d", st)
	}
	if st := setting(admin, url.Values{"review_required": {"1"}}); st != http.StatusSeeOther {
		t.Fatalf("require review: %d", st)
	}
	if _, hub := admin.get("/admin/settings"); !strings.Contains(hub, `href="/admin/settings/workflow"`) {
		t.Error("the settings hub does not link to the workflow")
	}
	if _, form := admin.get("/admin/settings/workflow?lang=en"); !strings.Contains(form, `value="1" aria-describedby="h-review_required" checked>`) {
		t.Error("the setting is not shown as saved")
	}
	if got := strings.Join(offered(editor, draftPath), " "); got != "planned in_review withdrawn" {
		t.Errorf("with a review required, a draft offers %q", got)
	}
	resp, body := editor.post(draftPath+"/state?lang=ru", url.Values{"state": {video.StatePublished}, "version": {itoa64(draft.Version)}, "return": {"edit"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "видео публикуется только после согласования") {
		t.Errorf("direct publication with a review required: %d\n%s", resp.StatusCode, body)
	}
	if got := getVideo(t, e, draft.ID); got.State != video.StateDraft || got.Version != draft.Version {
		t.Fatalf("the refused publication changed the video: %s v%d", got.State, got.Version)
	}

	// Without the setting, one action publishes the draft.
	if st := setting(admin, url.Values{}); st != http.StatusSeeOther {
		t.Fatalf("drop the review: %d", st)
	}
	if n := auditCount(t, e, auth.EntitySettings); n != 2 {
		t.Errorf("%d audit entries for the workflow, want 2", n)
	}
	resp, body = editor.post(draftPath+"/state", url.Values{"state": {video.StatePublished}, "version": {itoa64(draft.Version)}, "return": {"edit"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("one-action publication: %d\n%s", resp.StatusCode, body)
	}
	if got := getVideo(t, e, draft.ID); got.State != video.StatePublished || !got.PublishedAt.Equal(fixedNow) {
		t.Errorf("after publishing from draft: %s %v", got.State, got.PublishedAt)
	}
	if got := strings.Join(offered(editor, draftPath), " "); got != "unlisted withdrawn" {
		t.Errorf("a published video offers %q", got)
	}
}
