package feed

import (
	"encoding/xml"
	"io"
	"time"
)

type atomFeed struct {
	XMLName   xml.Name    `xml:"feed"`
	NS        string      `xml:"xmlns,attr"`
	NSMedia   string      `xml:"xmlns:media,attr"`
	Lang      string      `xml:"xml:lang,attr,omitempty"`
	ID        string      `xml:"id"`
	Title     string      `xml:"title"`
	Subtitle  string      `xml:"subtitle,omitempty"`
	Updated   string      `xml:"updated"`
	Links     []atomLink  `xml:"link"`
	Author    atomAuthor  `xml:"author"`
	Generator string      `xml:"generator"`
	Entries   []atomEntry `xml:"entry"`
}

type atomLink struct {
	Rel    string `xml:"rel,attr,omitempty"`
	Type   string `xml:"type,attr,omitempty"`
	Href   string `xml:"href,attr"`
	Length int64  `xml:"length,attr,omitempty"`
	Lang   string `xml:"hreflang,attr,omitempty"`
	Title  string `xml:"title,attr,omitempty"`
}

type atomAuthor struct {
	Name string `xml:"name"`
	URI  string `xml:"uri,omitempty"`
}

type atomText struct {
	Type  string `xml:"type,attr"`
	Lang  string `xml:"xml:lang,attr,omitempty"`
	Value string `xml:",chardata"`
}

type atomCategory struct {
	Term string `xml:"term,attr"`
}

type atomEntry struct {
	Lang       string          `xml:"xml:lang,attr,omitempty"`
	ID         string          `xml:"id"`
	Title      atomText        `xml:"title"`
	Links      []atomLink      `xml:"link"`
	Published  string          `xml:"published,omitempty"`
	Updated    string          `xml:"updated"`
	Categories []atomCategory  `xml:"category"`
	Summary    *atomText       `xml:"summary"`
	Content    *atomText       `xml:"content"`
	Group      *mediaGroup     `xml:"media:group"`
	Thumbnail  *mediaThumbnail `xml:"media:thumbnail"`
	Subtitles  []mediaSubTitle `xml:"media:subTitle"`
}

// WriteAtom writes f as Atom 1.0 (RFC 4287): an entry in another language than the feed's
// carries xml:lang, each rendition is a link rel="enclosure", and the Media RSS elements of the
// RSS feed come along for readers that know them.
func WriteAtom(w io.Writer, f *Feed) error {
	doc := atomFeed{NS: nsAtom, NSMedia: nsMedia, Lang: f.Lang, ID: f.ID, Title: f.Title, Subtitle: f.Description,
		Updated: f.updated().Format(time.RFC3339),
		Links: []atomLink{
			{Rel: "self", Type: Atom.MediaType(), Href: f.SelfURL},
			{Rel: "alternate", Type: "text/html", Href: f.HomeURL},
		},
		Author:    atomAuthor{Name: f.Author, URI: f.HomeURL},
		Generator: "sistercity",
	}
	doc.Entries = make([]atomEntry, 0, len(f.Entries))
	for i := range f.Entries {
		e := &f.Entries[i]
		lang := e.lang(f.Lang)
		en := atomEntry{ID: e.ID, Title: atomText{Type: "text", Value: e.Title.Value},
			Links:   []atomLink{{Rel: "alternate", Type: "text/html", Href: e.URL}},
			Updated: nonZero(e.updated()).Format(time.RFC3339)}
		if lang != f.Lang {
			en.Lang = lang
		}
		if !e.Published.IsZero() {
			en.Published = e.Published.UTC().Format(time.RFC3339)
		}
		for _, c := range e.Categories {
			en.Categories = append(en.Categories, atomCategory{Term: c})
		}
		if e.Summary.Value != "" {
			en.Summary = &atomText{Type: "text", Lang: otherLang(e.Summary.Lang, lang), Value: e.Summary.Value}
		}
		if e.Content.Value != "" {
			en.Content = &atomText{Type: "text", Lang: otherLang(e.Content.Lang, lang), Value: e.Content.Value}
		}
		if len(e.Media) > 0 {
			en.Group = &mediaGroup{}
		}
		for _, m := range e.Media {
			en.Links = append(en.Links, atomLink{Rel: "enclosure", Type: m.Type, Href: m.URL, Length: m.Size, Lang: m.Lang, Title: m.Title})
			en.Group.Content = append(en.Group.Content, mediaContent{URL: m.URL, Type: m.Type, Medium: "video",
				IsDefault: m.Default, FileSize: m.Size, Bitrate: (m.Bitrate + 500) / 1000, Duration: seconds(m.Duration),
				Width: m.Width, Height: m.Height, Lang: m.Lang})
		}
		if t := e.Thumbnail; t != nil {
			en.Thumbnail = &mediaThumbnail{URL: t.URL, Width: t.Width, Height: t.Height}
		}
		for _, s := range e.Subtitles {
			en.Subtitles = append(en.Subtitles, mediaSubTitle{Type: s.Type, Lang: s.Lang, Href: s.URL})
		}
		doc.Entries = append(doc.Entries, en)
	}
	return writeXML(w, doc)
}

// otherLang is lang when it is set and differs from the language around it, else empty.
func otherLang(lang, around string) string {
	if lang == around {
		return ""
	}
	return lang
}

func nonZero(t time.Time) time.Time {
	if t.IsZero() {
		return epoch
	}
	return t.UTC()
}
