package feed

import (
	"encoding/json"
	"io"
	"strings"
	"time"
)

// jsonFeedVersion is the version URL of JSON Feed 1.1.
const jsonFeedVersion = "https://jsonfeed.org/version/1.1"

type jsonFeed struct {
	Version     string       `json:"version"`
	Title       string       `json:"title"`
	HomePageURL string       `json:"home_page_url,omitempty"`
	FeedURL     string       `json:"feed_url,omitempty"`
	Description string       `json:"description,omitempty"`
	Language    string       `json:"language,omitempty"`
	Authors     []jsonAuthor `json:"authors,omitempty"`
	Items       []jsonItem   `json:"items"`
}

type jsonAuthor struct {
	Name string `json:"name"`
	URL  string `json:"url,omitempty"`
}

type jsonItem struct {
	ID            string           `json:"id"`
	URL           string           `json:"url,omitempty"`
	Title         string           `json:"title,omitempty"`
	ContentText   string           `json:"content_text"`
	Summary       string           `json:"summary,omitempty"`
	Image         string           `json:"image,omitempty"`
	DatePublished string           `json:"date_published,omitempty"`
	DateModified  string           `json:"date_modified,omitempty"`
	Tags          []string         `json:"tags,omitempty"`
	Language      string           `json:"language,omitempty"`
	Attachments   []jsonAttachment `json:"attachments,omitempty"`
}

type jsonAttachment struct {
	URL      string `json:"url"`
	MimeType string `json:"mime_type"`
	Title    string `json:"title,omitempty"`
	Size     int64  `json:"size_in_bytes,omitempty"`
	Duration int64  `json:"duration_in_seconds,omitempty"`
}

// WriteJSON writes f as JSON Feed 1.1: an item in another language than the feed's carries
// "language"; the renditions are attachments with one title (JSON Feed's "alternate
// representations"), each subtitle track an attachment of type text/vtt.
func WriteJSON(w io.Writer, f *Feed) error {
	doc := jsonFeed{Version: jsonFeedVersion, Title: f.Title, HomePageURL: f.HomeURL, FeedURL: f.SelfURL,
		Description: f.Description, Language: f.Lang, Items: make([]jsonItem, 0, len(f.Entries))}
	if f.Author != "" {
		doc.Authors = []jsonAuthor{{Name: f.Author, URL: f.HomeURL}}
	}
	for i := range f.Entries {
		e := &f.Entries[i]
		it := jsonItem{ID: e.ID, URL: e.URL, Title: e.Title.Value, Summary: e.Summary.Value, Tags: e.Categories}
		// content_text is required: the summary and the content, else the title.
		var parts []string
		for _, t := range []string{e.Summary.Value, e.Content.Value} {
			if t = strings.TrimSpace(t); t != "" {
				parts = append(parts, t)
			}
		}
		it.ContentText = strings.Join(parts, "\n\n")
		if it.ContentText == "" {
			it.ContentText = e.Title.Value
		}
		if lang := e.lang(f.Lang); lang != f.Lang {
			it.Language = lang
		}
		if e.Thumbnail != nil {
			it.Image = e.Thumbnail.URL
		}
		if !e.Published.IsZero() {
			it.DatePublished = e.Published.UTC().Format(time.RFC3339)
		}
		if !e.Updated.IsZero() {
			it.DateModified = e.Updated.UTC().Format(time.RFC3339)
		}
		for _, m := range e.Media {
			it.Attachments = append(it.Attachments, jsonAttachment{URL: m.URL, MimeType: m.Type, Title: m.Title,
				Size: m.Size, Duration: seconds(m.Duration)})
		}
		for _, s := range e.Subtitles {
			it.Attachments = append(it.Attachments, jsonAttachment{URL: s.URL, MimeType: s.Type, Title: s.Title})
		}
		doc.Items = append(doc.Items, it)
	}
	enc := json.NewEncoder(w)
	return enc.Encode(doc)
}

// Write writes f in format.
func Write(w io.Writer, format Format, f *Feed) error {
	switch format {
	case Atom:
		return WriteAtom(w, f)
	case JSON:
		return WriteJSON(w, f)
	}
	return WriteRSS(w, f)
}
