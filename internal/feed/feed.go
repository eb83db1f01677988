// Package feed writes syndication feeds — RSS 2.0 with Media RSS, Atom 1.0 and JSON Feed 1.1 —
// from one description of a feed and its entries. It is a leaf library: it knows nothing of
// the database or HTTP; internal/web fills in a Feed and serves what it writes.
//
// It is our own small writer over encoding/xml and encoding/json rather than a library:
// github.com/gorilla/feeds, the maintained one, writes no Media RSS (renditions, thumbnails,
// subtitle tracks), which is what these feeds are for.
package feed

import (
	"strings"
	"time"
)

// Content types of the three formats.
const (
	TypeRSS  = "application/rss+xml; charset=utf-8"
	TypeAtom = "application/atom+xml; charset=utf-8"
	TypeJSON = "application/feed+json; charset=utf-8"
)

// Format is one of the three formats.
type Format string

// The formats, named by the extension of their URLs.
const (
	RSS  Format = "rss"
	Atom Format = "atom"
	JSON Format = "json"
)

// Formats lists the formats in the order pages offer them.
var Formats = []Format{RSS, Atom, JSON}

// ContentType is the media type a format is served with.
func (f Format) ContentType() string {
	switch f {
	case Atom:
		return TypeAtom
	case JSON:
		return TypeJSON
	}
	return TypeRSS
}

// MediaType is the content type without parameters, as a <link rel="alternate"> names it.
func (f Format) MediaType() string {
	t, _, _ := strings.Cut(f.ContentType(), ";")
	return t
}

// Text is a text with the language it is written in (BCP 47); Lang is empty when the text is
// in the language of what contains it.
type Text struct {
	Value string
	Lang  string
}

// Feed is a feed in any of the formats. Every URL is absolute.
type Feed struct {
	Title       string
	Description string
	// Lang is the feed's language; empty for a feed whose entries are in many languages, where
	// every entry says its own.
	Lang string
	// HomeURL is the page the feed belongs to; SelfURL is the feed's own URL in the format
	// being written (set by the caller per format).
	HomeURL, SelfURL string
	// ID identifies the feed across formats and moves (Atom's id).
	ID     string
	Author string // the publisher's name: the site's
	// Updated is when the newest entry changed; the zero time when there is none. It is part
	// of the written feed, so it must come from the data, never from the clock, or every
	// request would give a new ETag.
	Updated time.Time
	Entries []Entry
}

// Entry is one item of a feed: a video, or an activity of the exchange programme.
type Entry struct {
	ID  string // stable and unique: the entry's permanent URL, or an IRI
	URL string // the page of the entry
	// Title and Summary are plain text. Title.Lang is the entry's language: when it differs
	// from the feed's, the entry is marked with it (xml:lang, dc:language, "language").
	Title   Text
	Summary Text
	// Content is plain text too, the entry's longer text, in Title's language unless its own
	// Lang says otherwise.
	Content    Text
	Published  time.Time
	Updated    time.Time
	Categories []string
	Thumbnail  *Image
	// Media are the renditions of one video: the same content in several sizes, the one a
	// player should start with marked Default.
	Media     []Media
	Subtitles []Subtitle
}

// Image is a picture of an entry.
type Image struct {
	URL           string
	Width, Height int
}

// Media is one file of an entry's video.
type Media struct {
	URL           string
	Type          string // video/mp4
	Width, Height int
	Duration      time.Duration
	Size          int64 // bytes
	Bitrate       int64 // bits per second
	Lang          string
	Title         string // names it among the attachments of a JSON Feed item
	Default       bool
}

// Subtitle is a subtitle track of an entry's video.
type Subtitle struct {
	URL   string
	Type  string // text/vtt
	Lang  string
	Label string
	// Title names it among the attachments of a JSON Feed item.
	Title string
}

// lang is the language of the entry: its title's, else the feed's.
func (e *Entry) lang(feedLang string) string {
	if e.Title.Lang != "" {
		return e.Title.Lang
	}
	return feedLang
}

// updated is when the entry last changed: Updated, else Published.
func (e *Entry) updated() time.Time {
	if e.Updated.IsZero() {
		return e.Published
	}
	return e.Updated
}

// epoch stands for "never" where a format needs a date and a feed has no entry: fixed, so the
// bytes of an empty feed do not change between requests.
var epoch = time.Unix(0, 0).UTC()

func (f *Feed) updated() time.Time {
	if f.Updated.IsZero() {
		return epoch
	}
	return f.Updated.UTC()
}

// seconds is a duration in whole seconds, as Media RSS and JSON Feed give it; a clip shorter than
// a second counts as one.
func seconds(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return max(int64(d.Round(time.Second)/time.Second), 1)
}
