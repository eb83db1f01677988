package web

import (
	"context"
	"database/sql"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"sistercity/internal/auth"
	"sistercity/internal/exchange"
	"sistercity/internal/video"
)

func TestAdminActivityVideos(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ctx := context.Background()
	_, _, p := seedVladivostok(t, e)
	editor := e.userClient(auth.RoleEditor)
	// Planned, and chosen public by the editor, so that the partner page shows it.
	v := busanDayValues(p.ID)
	v.Set("visibility", "public")
	resp, _ := editor.post("/admin/activities", v)
	id := idFrom(t, resp)
	base := "/admin/activities/" + itoa64(id)

	published := &video.Video{OriginalLang: "ru", State: video.StatePublished, Partnerships: []int64{p.ID},
		Texts: []video.Text{{Lang: "ru", Title: "Видеообращение Владивостока"}, {Lang: "en", Title: "Support video from Vladivostok"}}}
	draft := &video.Video{OriginalLang: "en", State: video.StateDraft, Texts: []video.Text{{Lang: "en", Title: "Rough cut"}}}
	err := e.db.InTx(ctx, func(tx *sql.Tx) error {
		if err := video.Create(ctx, tx, published); err != nil {
			return err
		}
		return video.Create(ctx, tx, draft)
	})
	if err != nil {
		t.Fatal(err)
	}

	resp, body := editor.get(base)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `name="video"`) || !strings.Contains(body, "Support video from Vladivostok") ||
		!strings.Contains(body, "Rough cut (Draft)") || !strings.Contains(body, "No video is linked to this activity.") {
		t.Fatalf("edit page: %d\n%s", resp.StatusCode, body)
	}
	for range 2 { // linking twice makes one link and one audit entry
		resp, body = editor.post(base+"/videos", url.Values{"video": {itoa64(published.ID)}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("link: %d\n%s", resp.StatusCode, body)
		}
	}
	if n := auditCount(t, e, auth.EntityActivityVideo); n != 1 {
		t.Errorf("audit entries = %d, want 1", n)
	}
	resp, _ = editor.post(base+"/videos", url.Values{"video": {itoa64(draft.ID)}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("link draft: %d", resp.StatusCode)
	}
	for _, bad := range []struct {
		values url.Values
		status int
	}{
		{url.Values{"video": {""}}, http.StatusUnprocessableEntity},
		{url.Values{"video": {"x"}}, http.StatusUnprocessableEntity},
		{url.Values{"video": {"999999"}}, http.StatusNotFound},
	} {
		if resp, _ := editor.post(base+"/videos", bad.values); resp.StatusCode != bad.status {
			t.Errorf("link %v: %d, want %d", bad.values, resp.StatusCode, bad.status)
		}
	}
	if resp, _ := editor.post("/admin/activities/999999/videos", url.Values{"video": {itoa64(draft.ID)}}); resp.StatusCode != http.StatusNotFound {
		t.Errorf("link to a missing activity: %d", resp.StatusCode)
	}

	a, err := exchange.Get(ctx, e.db.R, id)
	if err != nil || len(a.Videos) != 2 {
		t.Fatalf("videos: %+v, %v", a, err)
	}
	resp, body = editor.get(base)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("edit page: %d", resp.StatusCode)
	}
	if !strings.Contains(body, `href="/en/videos/`+itoa64(published.ID)+`"`) || !strings.Contains(body, base+"/videos/"+itoa64(draft.ID)+"/delete") {
		t.Errorf("edit page lists no linked video:\n%s", body)
	}
	viewer := e.userClient(auth.RoleViewer)
	if _, body := viewer.get(base); strings.Contains(body, `name="video"`) || strings.Contains(body, "/videos/"+itoa64(draft.ID)+"/delete") {
		t.Error("a viewer gets the link controls")
	}

	// The public timeline shows the published video in the viewer's language, not the draft.
	for lang, title := range map[string]string{"en": "Support video from Vladivostok", "ko": "Видеообращение Владивостока"} {
		resp, body = e.client().get("/" + lang + "/partners/" + itoa64(p.PartnerCityID))
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, `href="/`+lang+`/videos/`+itoa64(published.ID)+`"`) ||
			!strings.Contains(body, title) || strings.Contains(body, "Rough cut") {
			t.Errorf("%s partner page: %d\n%s", lang, resp.StatusCode, body)
		}
	}

	resp, _ = editor.post(base+"/videos/"+itoa64(draft.ID)+"/delete", nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("unlink: %d", resp.StatusCode)
	}
	if resp, _ := editor.post(base+"/videos/"+itoa64(draft.ID)+"/delete", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("second unlink: %d", resp.StatusCode)
	}
	if n := auditCount(t, e, auth.EntityActivityVideo); n != 3 {
		t.Errorf("audit entries = %d, want 3", n)
	}
	if a, _ = exchange.Get(ctx, e.db.R, id); len(a.Videos) != 1 || a.Videos[0].ID != published.ID {
		t.Errorf("after unlink: %+v", a.Videos)
	}
}
