package web

import (
	"net/http"
	"strings"

	"golang.org/x/text/language"
)

// What search engines and link previews read from a public page: its meta description, the
// hreflang alternates (layout.html, from page.Langs), and the OpenGraph and Twitter card tags
// of the pages people share — home, partner and video pages.

// metaTag is one <meta> of a page's head: property="og:…" or name="twitter:…".
type metaTag struct {
	Property, Name, Content string
}

// MetaDescription is the page's meta description: its own, or the site's tagline.
func (p *page) MetaDescription() string {
	if d := strings.TrimSpace(p.Description); d != "" {
		return shorten(d, 300)
	}
	return p.L.T("site.tagline")
}

// ogLocale is lang as OpenGraph spells a locale: ko_KR, ru_RU, en_US.
func ogLocale(lang string) string {
	tag := language.Make(lang)
	base, _ := tag.Base()
	region, _ := tag.Region() // the likely region when the tag names none
	return base.String() + "_" + region.String()
}

// socialCard is what a link preview shows of a page.
type socialCard struct {
	Type        string // og:type: website, video.other
	Title       string
	Description string
	URL         string // absolute
	Image       string // absolute; "" for none
	ImageAlt    string
	// Extra are further OpenGraph tags in order (og:video…), written after the common ones.
	Extra []metaTag
}

// setSocial fills p.Social with the OpenGraph and Twitter tags of card: og:locale is the page's,
// og:locale:alternate each other language the page exists in.
func (s *Server) setSocial(r *http.Request, p *page, card socialCard) {
	abs := func(u string) string {
		if u == "" || strings.HasPrefix(u, "http://") || strings.HasPrefix(u, "https://") {
			return u
		}
		return s.absoluteURL(r, u)
	}
	desc := shorten(strings.TrimSpace(card.Description), 300)
	if desc == "" {
		desc = p.MetaDescription()
	}
	tags := []metaTag{
		{Property: "og:type", Content: card.Type},
		{Property: "og:site_name", Content: p.Site.Name},
		{Property: "og:locale", Content: ogLocale(p.Lang)},
	}
	for _, l := range p.Langs {
		if !l.Current {
			tags = append(tags, metaTag{Property: "og:locale:alternate", Content: ogLocale(l.Lang)})
		}
	}
	tags = append(tags,
		metaTag{Property: "og:title", Content: card.Title},
		metaTag{Property: "og:description", Content: desc},
		metaTag{Property: "og:url", Content: abs(card.URL)})
	twitter := "summary"
	if card.Image != "" {
		twitter = "summary_large_image"
		tags = append(tags, metaTag{Property: "og:image", Content: abs(card.Image)})
		if card.ImageAlt != "" {
			tags = append(tags, metaTag{Property: "og:image:alt", Content: card.ImageAlt})
		}
	}
	tags = append(tags, card.Extra...)
	tags = append(tags,
		metaTag{Name: "twitter:card", Content: twitter},
		metaTag{Name: "twitter:title", Content: card.Title},
		metaTag{Name: "twitter:description", Content: desc})
	if card.Image != "" {
		tags = append(tags, metaTag{Name: "twitter:image", Content: abs(card.Image)})
		if card.ImageAlt != "" {
			tags = append(tags, metaTag{Name: "twitter:image:alt", Content: card.ImageAlt})
		}
	}
	p.Social = tags
}
