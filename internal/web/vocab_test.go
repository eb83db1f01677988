package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"sistercity/internal/auth"
	"sistercity/internal/langtext"
	"sistercity/internal/video"
)

// TestPartnerPageTextsPerLanguage: the place of signing is shown in the page's language; a
// page in a language it lacks shows the fallback with its lang and a marker naming it.
func TestPartnerPageTextsPerLanguage(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	_, partner, _ := seedVladivostok(t, e) // signed in "Vladivostok" (en) and "Владивосток" (ru)
	c := e.client()
	_, ru := c.get("/ru/partners/" + itoa64(partner.ID))
	if !strings.Contains(ru, "<dd>Владивосток</dd>") {
		t.Errorf("/ru/: the place of signing is not the Russian text")
	}
	resp, ko := c.get("/ko/partners/" + itoa64(partner.ID))
	if resp.StatusCode != http.StatusOK || !strings.Contains(ko, `<dd><span lang="en">Vladivostok</span> <span class="lang-marker">영어</span></dd>`) {
		t.Errorf("/ko/: the English fallback is not marked:\n%s", ko)
	}
}

// TestTagVocabulary: a video's tag joins the vocabulary; an editor labels it per language on
// /admin/tags; the watch page names it in the page's language, or marks the fallback, and
// links by slug. A viewer may read the list but not save it, and a bad language is refused.
func TestTagVocabulary(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	_, _, p := seedVladivostok(t, e)
	v := seedVideo(t, e, p, video.StatePublished, video.Text{Lang: "ru", Title: "Привет"}, video.Text{Lang: "ko", Title: "안녕"})
	editor := e.userClient(auth.RoleEditor)
	_, body := editor.get("/admin/tags")
	if !strings.Contains(body, `name="tag_0_slug" value="support"`) || !strings.Contains(body, `name="tag_0_label.ko"`) {
		t.Fatalf("the vocabulary does not list the video's tag with a field per language:\n%s", body)
	}
	resp, _ := editor.post("/admin/tags", url.Values{"tag_0_slug": {"support"}, "tag_0_label.ko": {"응원"}, "tag_0_label.en": {"Support"},
		"new_slug": {"Culture"}, "new_label.ru": {"Культура"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d", resp.StatusCode)
	}
	tags, err := video.Tags(context.Background(), e.db.R)
	if err != nil || len(tags) != 2 || tags[0].Slug != "culture" || tags[0].Labels["ru"] != "Культура" ||
		!langtext.Equal(tags[1].Labels, langtext.Texts{"ko": "응원", "en": "Support"}) {
		t.Fatalf("vocabulary: %+v %v", tags, err)
	}
	c := e.client()
	_, ko := c.get("/ko/videos/" + itoa64(v.ID))
	if !strings.Contains(ko, `<a href="/ko/videos?tag=support" class="badge">응원</a>`) {
		t.Errorf("/ko/: the tag is not named in Korean")
	}
	_, ru := c.get("/ru/videos/" + itoa64(v.ID))
	if !strings.Contains(ru, `<a href="/ru/videos?tag=support" class="badge"><span lang="en">Support</span> <span class="lang-marker">на английском</span></a>`) {
		t.Errorf("/ru/: the English fallback is not marked")
	}
	// The video form offers the vocabulary, the video's tag ticked.
	_, form := editor.get("/admin/videos/" + itoa64(v.ID))
	if !strings.Contains(form, `name="tag" value="support" checked`) || !strings.Contains(form, `name="tag" value="culture">`) {
		t.Errorf("the video form does not offer the vocabulary")
	}
	resp, _ = e.userClient(auth.RoleViewer).post("/admin/tags", url.Values{"tag_0_slug": {"support"}})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("a viewer saved the tags: %d", resp.StatusCode)
	}
	resp, body = editor.post("/admin/tags", url.Values{"tag_0_slug": {"support"}, "tag_0_label.not a tag": {"x"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "field-error") {
		t.Errorf("a bad language tag: %d", resp.StatusCode)
	}
}
