package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestNoticesTellTheTruth: a notice of success is shown as one (role="status", the notice
// style), a failure as an error (role="alert", the error style), never the other way round;
// an approved track of a video not yet public says it will be public with the video.
func TestNoticesTellTheTruth(t *testing.T) {
	t.Parallel()
	f := newTranslateFixture(t)
	e := f.e
	edit := "/admin/tracks/" + itoa64(f.source.ID) + "/edit"
	status := func(text string) string { return `<p class="notice" role="status">` + text + `</p>` }
	alert := func(text string) string { return `<div class="errors" role="alert"><p>` + text + `</p></div>` }

	_, body := f.editor.get(edit + "?notice=mt_failed")
	if failed := e.shown("en", "translate.notice.mt_failed"); !strings.Contains(body, alert(failed)) || strings.Contains(body, status(failed)) {
		t.Errorf("a failed machine translation is not shown as an error")
	}
	if !strings.Contains(body, `id="save-problem" class="save-status" role="alert"`) {
		t.Errorf("the cue editor has no alert region for a failed save")
	}
	_, body = f.editor.get(edit + "?notice=mt_done")
	if !strings.Contains(body, status(e.shown("en", "translate.notice.mt_done"))) {
		t.Errorf("a machine translation done is not shown as a success")
	}

	// A refusal (a stale version) is an error on the page that answers it.
	resp, body := f.editor.post("/admin/tracks/"+itoa64(f.source.ID)+"/reopen", url.Values{"version": {"999"}})
	if resp.StatusCode != http.StatusConflict || !strings.Contains(body, alert(e.shown("en", "translate.error.stale"))) ||
		strings.Contains(body, `role="status">`+e.shown("en", "translate.error.stale")) {
		t.Errorf("stale review step: %d, not shown as an error", resp.StatusCode)
	}

	// Approved while the video is a draft: public once it is published.
	_, body = f.editor.get(edit + "?notice=approve")
	if !strings.Contains(body, status(e.shown("en", "translate.notice.approved_unpublished"))) {
		t.Errorf("approved track of a draft video: the notice does not say it waits for the video")
	}
	_, body = f.editor.get("/admin/videos/" + itoa64(f.videoID) + "/tracks")
	if !strings.Contains(body, e.shown("en", "tracks.status_approved_unpublished")) {
		t.Errorf("tracks page: an approved track of a draft video is called public")
	}
	if _, err := e.db.W.ExecContext(context.Background(), "UPDATE videos SET state = 'published' WHERE id = $1", f.videoID); err != nil {
		t.Fatal(err)
	}
	_, body = f.editor.get(edit + "?notice=approve")
	if !strings.Contains(body, status(e.shown("en", "translate.notice.approved"))) {
		t.Errorf("approved track of a published video: the notice does not say it is public")
	}

	// A notice the page does not know says nothing.
	_, body = f.editor.get(edit + "?notice=%3Cscript%3E")
	if strings.Contains(body, `class="notice"`) || strings.Contains(body, "<script>") {
		t.Errorf("an unknown notice is shown")
	}
}
