package web

import (
	"context"
	"database/sql"
	"regexp"
	"strings"
	"testing"

	"sistercity/internal/langtext"
	"sistercity/internal/video"
)

// TestVideoFilterTagPickList: the public video index filters by a pick list of the tag
// vocabulary, each tag named in the page's language (a fallback label carries its lang) and
// sent by slug; the chosen tag is selected whatever its case in the address, and a tag from an
// old link that the vocabulary no longer has is still shown as chosen.
func TestVideoFilterTagPickList(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	_, _, p := seedVladivostok(t, e)
	seedVideo(t, e, p, video.StatePublished, video.Text{Lang: "ru", Title: "Привет"}) // tagged "support"
	e.inTx(func(tx *sql.Tx) error {
		ctx := context.Background()
		if err := video.SaveTag(ctx, tx, video.Tag{Slug: "support", Labels: langtext.Texts{"ko": "응원", "ru": "Поддержка"}}); err != nil {
			return err
		}
		return video.SaveTag(ctx, tx, video.Tag{Slug: "culture", Labels: langtext.Texts{"en": "Culture"}})
	})
	c := e.client()
	options := func(body string) []string {
		t.Helper()
		m := regexp.MustCompile(`(?s)<select id="video-tag" name="tag">(.*?)</select>`).FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no tag pick list:\n%s", body)
		}
		return regexp.MustCompile(`<option[^<]*</option>`).FindAllString(m[1], -1)
	}
	_, ru := c.get("/ru/videos")
	got := strings.Join(options(ru), "\n")
	for _, want := range []string{`<option value="">Все теги</option>`, `<option value="support">Поддержка</option>`,
		`<option value="culture" lang="en">Culture</option>`} {
		if !strings.Contains(got, want) {
			t.Errorf("/ru/videos: the pick list has no %s:\n%s", want, got)
		}
	}
	_, ko := c.get("/ko/videos?tag=SUPPORT")
	if got := strings.Join(options(ko), "\n"); !strings.Contains(got, `<option value="support" selected>응원</option>`) {
		t.Errorf("/ko/videos?tag=SUPPORT: support is not chosen:\n%s", got)
	}
	if !strings.Contains(ko, `href="/ko/videos/`) {
		t.Errorf("/ko/videos?tag=SUPPORT lists no video")
	}
	_, old := c.get("/en/videos?tag=gone")
	if got := strings.Join(options(old), "\n"); !regexp.MustCompile(`<option value="gone"[^>]* selected>gone</option>`).MatchString(got) {
		t.Errorf("/en/videos?tag=gone: the old tag is not shown as chosen:\n%s", got)
	}
}
