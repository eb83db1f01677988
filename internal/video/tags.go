package video

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"sistercity/internal/db"
	"sistercity/internal/langtext"
	"sistercity/internal/problem"
)

// Tag is an entry of the tag vocabulary: the slug addresses and video_tags use, and a label
// per language for pages to show.
type Tag struct {
	Slug   string         `json:"slug"`
	Labels langtext.Texts `json:"labels,omitempty"`
}

// NormalizeTag is a tag as video_tags keeps it: trimmed and in lower case.
func NormalizeTag(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// ValidTag tells whether slug may be a tag: the rule Validate applies to a video's tags.
func ValidTag(slug string) bool {
	return slug != "" && len([]rune(slug)) <= MaxTag && !strings.ContainsAny(slug, ",<>\"")
}

// Validate checks a vocabulary entry: its slug and its labels (any BCP 47 tag, MaxTag each).
func (t *Tag) Validate() problem.Fields {
	var f problem.Fields
	if !ValidTag(t.Slug) {
		f.Add("slug", "video.error.tags")
	}
	if len(t.Labels.CheckLangs()) > 0 {
		f.Add("labels", "validation.language_tag")
	}
	for _, l := range t.Labels.Langs() {
		if len([]rune(t.Labels[l])) > MaxTag*2 {
			f.Add("labels", "validation.too_long", "count", MaxTag*2)
		}
	}
	return f
}

// Tags returns the vocabulary with its labels, by slug.
func Tags(ctx context.Context, q db.Querier) ([]Tag, error) {
	labels, err := TagLabels(ctx, q)
	if err != nil {
		return nil, err
	}
	var out []Tag
	err = db.Each(ctx, q, "SELECT slug FROM tags ORDER BY slug", nil, func(r *sql.Rows) error {
		var t Tag
		if err := r.Scan(&t.Slug); err != nil {
			return err
		}
		t.Labels = labels[t.Slug]
		out = append(out, t)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("video: tags: %w", err)
	}
	return out, nil
}

// TagLabels returns the labels of every tag that has one, by slug.
func TagLabels(ctx context.Context, q db.Querier) (map[string]langtext.Texts, error) {
	out := map[string]langtext.Texts{}
	err := db.Each(ctx, q, "SELECT slug, lang, label FROM tag_labels", nil, func(r *sql.Rows) error {
		var slug, lang, label string
		if err := r.Scan(&slug, &lang, &label); err != nil {
			return err
		}
		if out[slug] == nil {
			out[slug] = langtext.Texts{}
		}
		out[slug].Set(lang, label)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("video: tag labels: %w", err)
	}
	return out, nil
}

// SaveTag adds t to the vocabulary, or replaces its labels. The caller validates first.
func SaveTag(ctx context.Context, tx *sql.Tx, t Tag) error {
	if err := ensureTag(ctx, tx, t.Slug); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM tag_labels WHERE slug = $1", t.Slug); err != nil {
		return fmt.Errorf("video: tag %q: %w", t.Slug, err)
	}
	for _, lang := range t.Labels.Langs() {
		if _, err := tx.ExecContext(ctx, "INSERT INTO tag_labels (slug, lang, label) VALUES ($1, $2, $3)",
			t.Slug, lang, t.Labels[lang]); err != nil {
			return fmt.Errorf("video: tag %q label %s: %w", t.Slug, lang, err)
		}
	}
	return nil
}

// ensureTag makes slug an entry of the vocabulary, if it is not one yet: a tag given to a
// video joins the vocabulary, for an editor to label.
func ensureTag(ctx context.Context, tx *sql.Tx, slug string) error {
	if _, err := tx.ExecContext(ctx, "INSERT INTO tags (slug) VALUES ($1) ON CONFLICT (slug) DO NOTHING", slug); err != nil {
		return fmt.Errorf("video: tag %q: %w", slug, err)
	}
	return nil
}
