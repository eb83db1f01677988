// Package identity is the site's identity as an administrator sets it: the city's name and a
// footer per language, a logo and a favicon, the accent colour and contact links. The public
// pages show it and the ActivityPub actor can be named from it (Name, Names). It knows the
// database but not HTTP.
package identity

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"sistercity/internal/db"
)

// Asset kinds.
const (
	KindLogo    = "logo"
	KindFavicon = "favicon"
	KindHeader  = "header" // the actor's banner on the fediverse
)

// Identity is the site's identity. Its zero value is "nothing set": the site then uses its
// defaults (the catalog's name, no logo, the built-in favicon and colours).
type Identity struct {
	Names      map[string]string // language → the city's name, e.g. "ko" → "부산광역시"
	Footers    map[string]string // language → footer text
	Summaries  map[string]string // language → a few lines about the city (the actor's summary)
	Accent     string            // #rrggbb for the light scheme; "" is the default
	AccentDark string            // #rrggbb for the dark scheme; "" is derived from Accent
	Contacts   []string          // http(s), mailto: and tel: URLs
	Logo       *AssetInfo        // nil when none is set
	Favicon    *AssetInfo
	Header     *AssetInfo
}

// AssetInfo describes a kept logo or favicon without its bytes.
type AssetInfo struct {
	ContentType   string // image/png or image/svg+xml
	Width, Height int
	Sum           string // a content hash, for URLs that change with the file
}

// Asset is a kept image with its bytes.
type Asset struct {
	AssetInfo
	Body []byte
}

// ErrNotFound is returned when there is no such asset.
var ErrNotFound = errors.New("identity: not found")

// fallbackLangs are tried, in order, when a text has no version in the language asked for.
var fallbackLangs = []string{"en", "ko", "ru"}

// pick returns the text for lang from texts, or the first fallback that has one, with the
// language of the text returned; "" when there is none at all.
func pick(texts map[string]string, lang string) (text, textLang string) {
	if t := texts[lang]; t != "" {
		return t, lang
	}
	for _, l := range fallbackLangs {
		if t := texts[l]; t != "" {
			return t, l
		}
	}
	keys := make([]string, 0, len(texts))
	for k := range texts {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if texts[k] != "" {
			return texts[k], k
		}
	}
	return "", ""
}

// Name returns the city's name in lang, falling back to another language's; "" when no name
// is set (callers then use the site's default name).
func (id Identity) Name(lang string) string {
	t, _ := id.NameIn(lang)
	return t
}

// NameIn is Name with the language of the text returned, so a page can mark a fallback.
func (id Identity) NameIn(lang string) (text, textLang string) { return pick(id.Names, lang) }

// FooterIn returns the footer text for lang, with the language of the text returned.
func (id Identity) FooterIn(lang string) (text, textLang string) { return pick(id.Footers, lang) }

// Load reads the identity; with nothing set it returns the zero Identity.
func Load(ctx context.Context, q db.Querier) (Identity, error) {
	var id Identity
	var names, footers, summaries, contacts string
	err := q.QueryRowContext(ctx, `SELECT names, footers, summaries, accent, accent_dark, contacts FROM site_identity WHERE id = 1`).
		Scan(&names, &footers, &summaries, &id.Accent, &id.AccentDark, &contacts)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return Identity{}, fmt.Errorf("identity: load: %w", err)
	default:
		if err := errors.Join(json.Unmarshal([]byte(names), &id.Names), json.Unmarshal([]byte(footers), &id.Footers),
			json.Unmarshal([]byte(summaries), &id.Summaries),
			json.Unmarshal([]byte(contacts), &id.Contacts)); err != nil {
			return Identity{}, fmt.Errorf("identity: load: %w", err)
		}
	}
	err = db.Each(ctx, q, `SELECT kind, content_type, width, height, sum FROM site_assets`, nil, func(rows *sql.Rows) error {
		var kind string
		a := &AssetInfo{}
		if err := rows.Scan(&kind, &a.ContentType, &a.Width, &a.Height, &a.Sum); err != nil {
			return err
		}
		switch kind {
		case KindLogo:
			id.Logo = a
		case KindFavicon:
			id.Favicon = a
		case KindHeader:
			id.Header = a
		}
		return nil
	})
	if err != nil {
		return Identity{}, fmt.Errorf("identity: load assets: %w", err)
	}
	return id, nil
}

// Save stores the texts (names, footers, summaries), colours and contacts of id (not its assets), checked by Check.
func Save(ctx context.Context, tx *sql.Tx, id Identity) error {
	names, _ := json.Marshal(nonEmpty(id.Names))
	footers, _ := json.Marshal(nonEmpty(id.Footers))
	summaries, _ := json.Marshal(nonEmpty(id.Summaries))
	contacts := []byte("[]")
	if len(id.Contacts) > 0 {
		contacts, _ = json.Marshal(id.Contacts)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO site_identity (id, names, footers, summaries, accent, accent_dark, contacts)
		VALUES (1, $1, $2, $3, $4, $5, $6)
		ON CONFLICT (id) DO UPDATE SET names = excluded.names, footers = excluded.footers, summaries = excluded.summaries,
			accent = excluded.accent, accent_dark = excluded.accent_dark, contacts = excluded.contacts`,
		string(names), string(footers), string(summaries), id.Accent, id.AccentDark, string(contacts))
	if err != nil {
		return fmt.Errorf("identity: save: %w", err)
	}
	return nil
}

func nonEmpty(m map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		if v != "" {
			out[k] = v
		}
	}
	return out
}

// LoadAsset returns the kept asset of kind, or ErrNotFound.
func LoadAsset(ctx context.Context, q db.Querier, kind string) (Asset, error) {
	var a Asset
	err := q.QueryRowContext(ctx, `SELECT content_type, width, height, sum, body FROM site_assets WHERE kind = $1`, kind).
		Scan(&a.ContentType, &a.Width, &a.Height, &a.Sum, &a.Body)
	if errors.Is(err, sql.ErrNoRows) {
		return Asset{}, ErrNotFound
	}
	if err != nil {
		return Asset{}, fmt.Errorf("identity: load %s: %w", kind, err)
	}
	return a, nil
}

// SaveAsset keeps a, as returned by CheckImage, as the asset of kind.
func SaveAsset(ctx context.Context, tx *sql.Tx, kind string, a Asset) error {
	sum := sha256.Sum256(a.Body)
	a.Sum = hex.EncodeToString(sum[:8])
	_, err := tx.ExecContext(ctx, `INSERT INTO site_assets (kind, content_type, body, width, height, sum)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (kind) DO UPDATE SET content_type = excluded.content_type, body = excluded.body,
			width = excluded.width, height = excluded.height, sum = excluded.sum`,
		kind, a.ContentType, a.Body, a.Width, a.Height, a.Sum)
	if err != nil {
		return fmt.Errorf("identity: save %s: %w", kind, err)
	}
	return nil
}

// DeleteAsset removes the asset of kind; the site goes back to its default.
func DeleteAsset(ctx context.Context, tx *sql.Tx, kind string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM site_assets WHERE kind = $1`, kind); err != nil {
		return fmt.Errorf("identity: delete %s: %w", kind, err)
	}
	return nil
}
