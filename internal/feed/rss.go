package feed

import (
	"encoding/xml"
	"html"
	"io"
	"strings"
	"time"
)

// Namespaces of the extensions the RSS and Atom feeds use.
const (
	nsAtom  = "http://www.w3.org/2005/Atom"
	nsMedia = "http://search.yahoo.com/mrss/"
	nsDC    = "http://purl.org/dc/elements/1.1/"
)

// encoding/xml writes a name with a prefix ("media:content") as it is, and the prefixes are
// declared on the root element; that is all a writer needs of namespaces.

type rssDoc struct {
	XMLName xml.Name   `xml:"rss"`
	Version string     `xml:"version,attr"`
	NSAtom  string     `xml:"xmlns:atom,attr"`
	NSMedia string     `xml:"xmlns:media,attr"`
	NSDC    string     `xml:"xmlns:dc,attr"`
	Channel rssChannel `xml:"channel"`
}

type rssChannel struct {
	Title         string    `xml:"title"`
	Link          string    `xml:"link"`
	Description   string    `xml:"description"`
	Language      string    `xml:"language,omitempty"`
	LastBuildDate string    `xml:"lastBuildDate,omitempty"`
	Generator     string    `xml:"generator"`
	Self          atomLink  `xml:"atom:link"`
	Items         []rssItem `xml:"item"`
}

type rssItem struct {
	// xml:lang marks an item in another language than the channel's; RSS 2.0 has no element
	// for it, dc:language says it again for readers that know Dublin Core.
	Lang        string          `xml:"xml:lang,attr,omitempty"`
	Title       string          `xml:"title"`
	Link        string          `xml:"link"`
	GUID        rssGUID         `xml:"guid"`
	Description string          `xml:"description,omitempty"`
	PubDate     string          `xml:"pubDate,omitempty"`
	Categories  []string        `xml:"category"`
	DCLanguage  string          `xml:"dc:language,omitempty"`
	Enclosure   *rssEnclosure   `xml:"enclosure"`
	Group       *mediaGroup     `xml:"media:group"`
	Thumbnail   *mediaThumbnail `xml:"media:thumbnail"`
	Subtitles   []mediaSubTitle `xml:"media:subTitle"`
}

type rssGUID struct {
	IsPermaLink bool   `xml:"isPermaLink,attr"`
	Value       string `xml:",chardata"`
}

type rssEnclosure struct {
	URL    string `xml:"url,attr"`
	Length int64  `xml:"length,attr"`
	Type   string `xml:"type,attr"`
}

// mediaGroup holds the renditions of one video: Media RSS's "the same content, different
// representations".
type mediaGroup struct {
	Content []mediaContent `xml:"media:content"`
}

type mediaContent struct {
	URL       string `xml:"url,attr"`
	Type      string `xml:"type,attr,omitempty"`
	Medium    string `xml:"medium,attr"`
	IsDefault bool   `xml:"isDefault,attr,omitempty"`
	FileSize  int64  `xml:"fileSize,attr,omitempty"`
	Bitrate   int64  `xml:"bitrate,attr,omitempty"` // kilobits per second
	Duration  int64  `xml:"duration,attr,omitempty"`
	Width     int    `xml:"width,attr,omitempty"`
	Height    int    `xml:"height,attr,omitempty"`
	Lang      string `xml:"lang,attr,omitempty"`
}

type mediaThumbnail struct {
	URL    string `xml:"url,attr"`
	Width  int    `xml:"width,attr,omitempty"`
	Height int    `xml:"height,attr,omitempty"`
}

type mediaSubTitle struct {
	Type string `xml:"type,attr"`
	Lang string `xml:"lang,attr"`
	Href string `xml:"href,attr"`
}

// WriteRSS writes f as RSS 2.0 with Media RSS: per item the renditions (media:group of
// media:content with size, duration and type, and the default one as the enclosure), the
// thumbnail, and each subtitle track as media:subTitle with its language.
func WriteRSS(w io.Writer, f *Feed) error {
	doc := rssDoc{Version: "2.0", NSAtom: nsAtom, NSMedia: nsMedia, NSDC: nsDC, Channel: rssChannel{
		Title:       f.Title,
		Link:        f.HomeURL,
		Description: f.Description,
		Language:    f.Lang,
		Generator:   "sistercity",
		Self:        atomLink{Rel: "self", Type: RSS.MediaType(), Href: f.SelfURL},
	}}
	if !f.Updated.IsZero() {
		doc.Channel.LastBuildDate = f.Updated.UTC().Format(time.RFC1123Z)
	}
	doc.Channel.Items = make([]rssItem, 0, len(f.Entries))
	for i := range f.Entries {
		e := &f.Entries[i]
		it := rssItem{
			Title:       e.Title.Value,
			Link:        e.URL,
			GUID:        rssGUID{IsPermaLink: e.ID == e.URL, Value: e.ID},
			Description: htmlParagraphs(e.Summary.Value, e.Content.Value),
			Categories:  e.Categories,
		}
		if lang := e.lang(f.Lang); lang != f.Lang {
			it.Lang, it.DCLanguage = lang, lang
		}
		if !e.Published.IsZero() {
			it.PubDate = e.Published.UTC().Format(time.RFC1123Z)
		}
		if len(e.Media) > 0 {
			it.Group = &mediaGroup{}
			def := e.Media[0]
			for _, m := range e.Media {
				it.Group.Content = append(it.Group.Content, mediaContent{URL: m.URL, Type: m.Type, Medium: "video",
					IsDefault: m.Default, FileSize: m.Size, Bitrate: (m.Bitrate + 500) / 1000, Duration: seconds(m.Duration),
					Width: m.Width, Height: m.Height, Lang: m.Lang})
				if m.Default {
					def = m
				}
			}
			it.Enclosure = &rssEnclosure{URL: def.URL, Length: def.Size, Type: def.Type}
		}
		if t := e.Thumbnail; t != nil {
			it.Thumbnail = &mediaThumbnail{URL: t.URL, Width: t.Width, Height: t.Height}
		}
		for _, s := range e.Subtitles {
			it.Subtitles = append(it.Subtitles, mediaSubTitle{Type: s.Type, Lang: s.Lang, Href: s.URL})
		}
		doc.Channel.Items = append(doc.Channel.Items, it)
	}
	return writeXML(w, doc)
}

// htmlParagraphs makes the HTML of an RSS description from plain-text paragraphs: RSS readers
// take a description for HTML, so the text is escaped once for HTML here and once more for
// XML by the encoder, and markup in a title or description shows as the characters typed.
func htmlParagraphs(texts ...string) string {
	var b strings.Builder
	for _, t := range texts {
		for p := range strings.SplitSeq(strings.TrimSpace(t), "\n\n") {
			if p = strings.TrimSpace(p); p == "" {
				continue
			}
			b.WriteString("<p>")
			b.WriteString(strings.ReplaceAll(html.EscapeString(p), "\n", "<br>"))
			b.WriteString("</p>")
		}
	}
	return b.String()
}

// writeXML writes the XML declaration and doc.
func writeXML(w io.Writer, doc any) error {
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	if err := enc.Encode(doc); err != nil {
		return err
	}
	if err := enc.Close(); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
