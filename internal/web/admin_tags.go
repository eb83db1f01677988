package web

import (
	"context"
	"database/sql"
	"net/http"
	"slices"
	"strconv"

	"golang.org/x/text/collate"

	"sistercity/internal/auth"
	"sistercity/internal/i18n"
	"sistercity/internal/langtext"
	"sistercity/internal/problem"
	"sistercity/internal/video"
)

// The tag vocabulary: each tag's slug (kept in addresses) and its label per language, which an
// editor gives here; the video form picks tags from it.

func (s *Server) tagRoutes() []route {
	return []route{
		{"GET /admin/tags", auth.RoleViewer, s.adminTags},
		{"POST /admin/tags", auth.RoleEditor, s.adminTagsSave},
	}
}

// maxTagRows bounds the vocabulary one form saves.
const maxTagRows = 500

// tagChoice is a tag of the vocabulary as the video form offers it.
type tagChoice struct {
	ID      int // the checkbox's number
	Slug    string
	Label   shownText
	Checked bool
}

// tagChoices lists the vocabulary, labelled in l's language, with picked ticked.
func (s *Server) tagChoices(ctx context.Context, l *i18n.Localizer, picked []string) ([]tagChoice, error) {
	tags, err := video.Tags(ctx, s.db.R)
	if err != nil {
		return nil, err
	}
	var out []tagChoice
	for i, t := range tags {
		out = append(out, tagChoice{ID: i, Slug: t.Slug, Label: tagLabel(l, t.Slug, t.Labels), Checked: slices.Contains(picked, t.Slug)})
	}
	return out, nil
}

// tagLabel is how a page in l's language names a tag: its label, or a fallback marked, or the
// slug itself (marked by its script) while the tag has no label.
func tagLabel(l *i18n.Localizer, slug string, labels langtext.Texts) shownText {
	if labels.Empty() {
		return shownText{Text: slug, Lang: typedLang(slug, l.Lang)}
	}
	return pickText(l, labels)
}

// tagLink is a tag as a public page links it: by slug, named by its label in the page's language.
type tagLink struct {
	Slug  string
	Label shownText
}

// tagOptions is the public tag filter's pick list: every tag of the vocabulary by its label in
// the page's language, in that language's order, and the chosen slug too when an old link names
// a tag the vocabulary no longer has, so that the filter still shows what it filters by.
func (s *Server) tagOptions(ctx context.Context, l *i18n.Localizer, chosen string) ([]tagLink, error) {
	tags, err := video.Tags(ctx, s.db.R)
	if err != nil {
		return nil, err
	}
	chosen = video.NormalizeTag(chosen)
	var out []tagLink
	for _, t := range tags {
		out = append(out, tagLink{Slug: t.Slug, Label: tagLabel(l, t.Slug, t.Labels)})
	}
	if chosen != "" && !slices.ContainsFunc(tags, func(t video.Tag) bool { return t.Slug == chosen }) {
		out = append(out, tagLink{Slug: chosen, Label: tagLabel(l, chosen, nil)})
	}
	col := collate.New(l.Tag())
	slices.SortStableFunc(out, func(a, b tagLink) int { return col.CompareString(a.Label.Text, b.Label.Text) })
	return out, nil
}

// tagRow is one tag of the vocabulary page: its slug and a field per language.
type tagRow struct {
	Index  int
	Slug   string
	Fields []langField
}

type tagsPageData struct {
	CanEdit bool
	Rows    []tagRow
	New     tagRow // a blank entry to add a tag
}

var tagNotices = noticeSet{"saved": "vocab.tags.saved"}

func (s *Server) adminTags(w http.ResponseWriter, r *http.Request) {
	tags, err := video.Tags(r.Context(), s.db.R)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderTags(w, r, http.StatusOK, tags, video.Tag{}, nil)
}

func (s *Server) renderTags(w http.ResponseWriter, r *http.Request, status int, tags []video.Tag, added video.Tag, errs problem.Fields) {
	p := s.adminPage(w, r, "vocab.tags.title")
	p.Errors = errs
	showNotice(p, r, tagNotices)
	d := tagsPageData{CanEdit: canEdit(r)}
	for i, t := range tags {
		d.Rows = append(d.Rows, tagRow{Index: i, Slug: t.Slug, Fields: s.langFields(p.L, "tag_"+strconv.Itoa(i)+"_label", t.Labels)})
	}
	d.New = tagRow{Slug: added.Slug, Fields: s.langFields(p.L, "new_label", added.Labels)}
	p.Data = d
	s.render(w, r, status, "admin/tags", p)
}

// adminTagsSave saves the labels of every tag on the page, and adds the new one if a slug was
// typed.
func (s *Server) adminTagsSave(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var tags []video.Tag
	var errs problem.Fields
	for i := range maxTagRows {
		n := "tag_" + strconv.Itoa(i)
		slug := video.NormalizeTag(formValue(r, n+"_slug"))
		if slug == "" {
			continue
		}
		t := video.Tag{Slug: slug, Labels: textsFrom(r, n+"_label")}
		for _, e := range t.Validate() {
			errs = append(errs, problem.FieldError{Field: n, Msg: e.Msg})
		}
		tags = append(tags, t)
	}
	added := video.Tag{Slug: video.NormalizeTag(formValue(r, "new_slug")), Labels: textsFrom(r, "new_label")}
	if added.Slug != "" || !added.Labels.Empty() {
		for _, e := range added.Validate() {
			errs = append(errs, problem.FieldError{Field: "new_slug", Msg: e.Msg})
		}
		if slices.ContainsFunc(tags, func(t video.Tag) bool { return t.Slug == added.Slug }) {
			errs.Add("new_slug", "vocab.tags.duplicate")
		}
	}
	if len(errs) > 0 {
		s.renderTags(w, r, http.StatusUnprocessableEntity, tags, added, errs)
		return
	}
	if added.Slug != "" {
		tags = append(tags, added)
	}
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		before, err := video.Tags(ctx, tx)
		if err != nil {
			return err
		}
		for _, t := range tags {
			if err := video.SaveTag(ctx, tx, t); err != nil {
				return err
			}
		}
		after, err := video.Tags(ctx, tx)
		if err != nil {
			return err
		}
		return auth.Audit(ctx, tx, userFrom(r), auth.ActionUpdate, auth.EntitySettings, 0,
			map[string][]video.Tag{"tags": before}, map[string][]video.Tag{"tags": after})
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/tags?notice=saved", http.StatusSeeOther)
}
