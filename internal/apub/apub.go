// Package apub makes the ActivityPub documents of the city's videos: each published video as a
// Video object in PeerTube's shape (so PeerTube, Mastodon and others show it as they show
// PeerTube's), with its titles and descriptions in every language it has; the Create, Update
// and Delete activities of the outbox; the Tombstone of a withdrawn video; and the pages of the
// outbox collection. It builds from values already loaded — a video, its approved tracks, its
// outbox row — and knows neither HTTP nor the database.
package apub

import (
	"fmt"
	"html"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/language"
	"golang.org/x/text/language/display"

	"sistercity/internal/media"
	"sistercity/internal/outbox"
	"sistercity/internal/track"
	"sistercity/internal/video"
)

// Content types of ActivityPub documents: the one we answer with, and the JSON-LD one that
// clients may ask for instead (both are ActivityPub's).
const (
	ContentType   = "application/activity+json"
	LDContentType = `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`
)

// Public is ActivityStreams' public collection, the audience of everything the city publishes.
const Public = "https://www.w3.org/ns/activitystreams#Public"

const activityStreams = "https://www.w3.org/ns/activitystreams"

// videoContext is the JSON-LD context of our Video objects and their activities: ActivityStreams,
// the security vocabulary (keys) and the terms PeerTube defines that we use, mapped as PeerTube
// maps them so that its JSON-LD processing reads ours as its own.
var videoContext = []any{
	activityStreams,
	"https://w3id.org/security/v1",
	map[string]any{
		"pt":               "https://joinpeertube.org/ns#",
		"sc":               "http://schema.org/",
		"Hashtag":          "as:Hashtag",
		"uuid":             "sc:identifier",
		"subtitleLanguage": "sc:subtitleLanguage",
		"sensitive":        "as:sensitive",
		"language":         "sc:inLanguage",
		"identifier":       "sc:identifier",
		"size":             map[string]string{"@type": "sc:Number", "@id": "pt:size"},
		"fps":              map[string]string{"@type": "sc:Number", "@id": "pt:fps"},
	},
}

// Site says where the city's documents and files are: the base URL of the /ap/… documents, and
// the absolute URLs of the pages and files a Video object links, which the web layer knows.
type Site struct {
	Base     string                             // scheme://host, no trailing slash
	WatchURL func(id int64, lang string) string // the public watch page of video id, in lang
	MediaURL func(key string) string            // a stored file of a video (rendition, poster)
	TrackURL func(id int64) string              // the WebVTT of approved track id
}

// ActorID is the city's actor.
func (s Site) ActorID() string { return s.Base + "/ap/actor" }

// ChannelID is the city's video channel (fed.ChannelPath).
func (s Site) ChannelID() string { return s.Base + "/ap/channel" }

// FollowersID is the collection of the city's followers.
func (s Site) FollowersID() string { return s.ActorID() + "/followers" }

// OutboxID is the city's outbox.
func (s Site) OutboxID() string { return s.ActorID() + "/outbox" }

// VideoID is the id of video id's object.
func (s Site) VideoID(id int64) string { return s.Base + "/ap/videos/" + strconv.FormatInt(id, 10) }

// ActivityID is the id of activity n of video id.
func (s Site) ActivityID(id, n int64) string {
	return s.VideoID(id) + "/activities/" + strconv.FormatInt(n, 10)
}

// Link is a link of a Video's url: the watch page, or a rendition with its size.
type Link struct {
	Type      string `json:"type"`
	MediaType string `json:"mediaType"`
	Href      string `json:"href"`
	Height    int    `json:"height,omitempty"`
	Width     int    `json:"width,omitempty"`
	Size      int64  `json:"size,omitempty"`
	FPS       int    `json:"fps,omitempty"`
}

// Image is a poster of a Video's icon.
type Image struct {
	Type      string `json:"type"`
	URL       string `json:"url"`
	MediaType string `json:"mediaType"`
	Width     int    `json:"width,omitempty"`
	Height    int    `json:"height,omitempty"`
}

// Language is a language as PeerTube names it: the video's language, or a subtitle track's
// with the URL of its WebVTT.
type Language struct {
	Identifier string `json:"identifier"`
	Name       string `json:"name"`
	URL        string `json:"url,omitempty"`
}

// Tag is a hashtag of a Video.
type Tag struct {
	Type string `json:"type"`
	Name string `json:"name"`
	Href string `json:"href,omitempty"`
}

// Ref is an actor named by a Video's attributedTo, typed as PeerTube names its own.
type Ref struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

// Video is a video as an ActivityPub object.
type Video struct {
	Context          any               `json:"@context,omitempty"`
	Type             string            `json:"type"`
	ID               string            `json:"id"`
	UUID             string            `json:"uuid"`
	Name             string            `json:"name"`
	NameMap          map[string]string `json:"nameMap"`
	Duration         string            `json:"duration"`
	Language         *Language         `json:"language,omitempty"`
	MediaType        string            `json:"mediaType"`
	Content          string            `json:"content,omitempty"`
	ContentMap       map[string]string `json:"contentMap,omitempty"`
	Published        string            `json:"published"`
	Updated          string            `json:"updated"`
	URL              []Link            `json:"url"`
	Icon             []Image           `json:"icon,omitempty"`
	SubtitleLanguage []Language        `json:"subtitleLanguage"`
	Tag              []Tag             `json:"tag"`
	Sensitive        bool              `json:"sensitive"`
	AttributedTo     []Ref             `json:"attributedTo"`
	To               []string          `json:"to"`
	Cc               []string          `json:"cc"`
}

// Tombstone is what a withdrawn video's object URL answers, and the object of its Delete.
type Tombstone struct {
	Context    any    `json:"@context,omitempty"`
	Type       string `json:"type"`
	ID         string `json:"id"`
	FormerType string `json:"formerType"`
	Deleted    string `json:"deleted"`
}

// Activity is a Create, Update or Delete of a video.
type Activity struct {
	Context   any      `json:"@context,omitempty"`
	Type      string   `json:"type"`
	ID        string   `json:"id"`
	Actor     string   `json:"actor"`
	Published string   `json:"published"`
	To        []string `json:"to"`
	Cc        []string `json:"cc"`
	Object    any      `json:"object"`
}

// timeFormat is how times are written: UTC, to the second, as Mastodon and PeerTube write them.
func timeFormat(t time.Time) string { return t.UTC().Truncate(time.Second).Format(time.RFC3339) }

// Duration writes d as ISO 8601: PT1M5S.
func Duration(d time.Duration) string {
	s := int64(d.Round(time.Second) / time.Second)
	if s <= 0 {
		return "PT0S"
	}
	var b strings.Builder
	b.WriteString("PT")
	if h := s / 3600; h > 0 {
		b.WriteString(strconv.FormatInt(h, 10) + "H")
	}
	if m := s / 60 % 60; m > 0 {
		b.WriteString(strconv.FormatInt(m, 10) + "M")
	}
	if sec := s % 60; sec > 0 {
		b.WriteString(strconv.FormatInt(sec, 10) + "S")
	}
	return b.String()
}

// Content makes the HTML of a description: the text escaped, paragraphs at blank lines, line
// breaks kept. Nothing a description holds can become markup.
func Content(desc string) string {
	desc = strings.TrimSpace(strings.ReplaceAll(desc, "\r\n", "\n"))
	if desc == "" {
		return ""
	}
	var b strings.Builder
	for para := range strings.SplitSeq(desc, "\n\n") {
		para = strings.TrimSpace(para)
		if para == "" {
			continue
		}
		b.WriteString("<p>")
		b.WriteString(strings.ReplaceAll(html.EscapeString(para), "\n", "<br>"))
		b.WriteString("</p>")
	}
	return b.String()
}

// LanguageName names a language in itself ("русский"), as PeerTube's language names are shown
// to viewers of that language; the tag itself when it has no name.
func LanguageName(tag string) string {
	t, err := language.Parse(tag)
	if err != nil {
		return tag
	}
	if name := display.Self.Name(t); name != "" {
		return name
	}
	return tag
}

// hashtag makes a tag a hashtag's name: "#" and its letters, digits and underscores, so
// "sister city" is #sistercity as Mastodon would link it; "" when nothing is left.
func hashtag(tag string) string {
	var b strings.Builder
	for _, r := range tag {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return ""
	}
	return "#" + b.String()
}

// audience is to and cc of a video and its activities: public videos to Public with the
// followers in cc, unlisted ones the other way round, as PeerTube addresses them (followers
// get them, public timelines do not).
func (s Site) audience(v *video.Video) (to, cc []string) {
	if v.State == video.StateUnlisted {
		return []string{s.FollowersID()}, []string{Public}
	}
	return []string{Public}, []string{s.FollowersID()}
}

// NewVideo makes video v's object: o is its outbox record, tracks its approved tracks (others
// are left out). The object carries the @context when standalone; an activity's object does not.
func (s Site) NewVideo(v *video.Video, o *outbox.Object, tracks []*track.Track, standalone bool) *Video {
	si, _ := v.Source() // without a summary the sizes and rates are left out, nothing else
	obj := &Video{Type: "Video", ID: s.VideoID(v.ID), UUID: o.UUID, NameMap: map[string]string{},
		Duration: Duration(v.Duration), MediaType: "text/html",
		Published: timeFormat(v.PublishedAt), Updated: timeFormat(o.Last.At),
		// The city, and its channel, from which PeerTube takes a video's channel (fed.Channel).
		AttributedTo:     []Ref{{Type: "Organization", ID: s.ActorID()}, {Type: "Group", ID: s.ChannelID()}},
		URL:              []Link{{Type: "Link", MediaType: "text/html", Href: s.WatchURL(v.ID, v.OriginalLang)}},
		SubtitleLanguage: []Language{}, Tag: []Tag{}}
	if standalone {
		obj.Context = videoContext
	}
	if v.PublishedAt.IsZero() {
		obj.Published = timeFormat(o.Published)
	}
	obj.Name = v.Title(v.OriginalLang)
	obj.Content = Content(v.Description(v.OriginalLang))
	for _, t := range v.Texts {
		obj.NameMap[t.Lang] = t.Title
		if c := Content(t.Description); c != "" {
			if obj.ContentMap == nil {
				obj.ContentMap = map[string]string{}
			}
			obj.ContentMap[t.Lang] = c
		}
	}
	if v.OriginalLang != "" {
		obj.Language = &Language{Identifier: v.OriginalLang, Name: LanguageName(v.OriginalLang)}
	}
	for _, r := range v.Renditions {
		fps := int(media.OutputFrameRate(si.FrameRate, r.Lines) + 0.5)
		obj.URL = append(obj.URL, Link{Type: "Link", MediaType: "video/mp4", Href: s.MediaURL(r.Key),
			Height: r.Height, Width: r.Width, Size: r.Size, FPS: fps})
	}
	if v.PosterKey != "" {
		w, h := scaled(si.Width, si.Height, media.PosterMaxWidth)
		obj.Icon = append(obj.Icon, Image{Type: "Image", URL: s.MediaURL(v.PosterKey), MediaType: "image/jpeg", Width: w, Height: h})
	}
	if v.ThumbnailKey != "" {
		w, h := scaled(si.Width, si.Height, media.ThumbnailWidth)
		obj.Icon = append(obj.Icon, Image{Type: "Image", URL: s.MediaURL(v.ThumbnailKey), MediaType: "image/jpeg", Width: w, Height: h})
	}
	for _, t := range tracks {
		if t.Public() && t.VideoID == v.ID {
			obj.SubtitleLanguage = append(obj.SubtitleLanguage, Language{Identifier: t.Lang, Name: LanguageName(t.Lang), URL: s.TrackURL(t.ID)})
		}
	}
	for _, tag := range v.Tags {
		if name := hashtag(tag); name != "" {
			obj.Tag = append(obj.Tag, Tag{Type: "Hashtag", Name: name,
				Href: s.Base + "/" + v.OriginalLang + "/videos?tag=" + url.QueryEscape(tag)})
		}
	}
	obj.To, obj.Cc = s.audience(v)
	return obj
}

// scaled is the size of a picture at most maxWidth wide from a source of w×h, its height even,
// as media.Poster makes it; zero when the source's size is unknown.
func scaled(w, h, maxWidth int) (int, int) {
	if w <= 0 || h <= 0 {
		return 0, 0
	}
	nw := min(w, maxWidth)
	return nw, max(2, (nw*h/w+1)&^1)
}

// NewTombstone is the object of withdrawn video id, deleted at.
func (s Site) NewTombstone(id int64, at time.Time, standalone bool) *Tombstone {
	t := &Tombstone{Type: "Tombstone", ID: s.VideoID(id), FormerType: "Video", Deleted: timeFormat(at)}
	if standalone {
		t.Context = activityStreams
	}
	return t
}

// NewActivity makes activity a of video v. A Create or Update carries v's object (obj, made by
// NewVideo without context); a Delete carries the Tombstone and is addressed to everyone the
// object was, so v may be nil for it when the video is gone.
func (s Site) NewActivity(a outbox.Activity, v *video.Video, obj *Video, standalone bool) (*Activity, error) {
	act := &Activity{Type: a.Kind, ID: s.ActivityID(a.VideoID, a.ID), Actor: s.ActorID(), Published: timeFormat(a.At)}
	if standalone {
		act.Context = videoContext
	}
	switch a.Kind {
	case outbox.Create, outbox.Update:
		if v == nil || obj == nil {
			return nil, fmt.Errorf("apub: %s of video %d without its object", a.Kind, a.VideoID)
		}
		act.To, act.Cc = obj.To, obj.Cc
		act.Object = obj
	case outbox.Delete:
		act.To, act.Cc = []string{Public}, []string{s.FollowersID()}
		act.Object = s.NewTombstone(a.VideoID, a.At, false)
	default:
		return nil, fmt.Errorf("apub: unknown activity %q", a.Kind)
	}
	return act, nil
}

// OrderedCollection is the outbox itself: its size and its first and last pages.
type OrderedCollection struct {
	Context    any    `json:"@context"`
	ID         string `json:"id"`
	Type       string `json:"type"`
	TotalItems int    `json:"totalItems"`
	First      string `json:"first"`
	Last       string `json:"last"`
}

// OrderedCollectionPage is a page of the outbox, newest first.
type OrderedCollectionPage struct {
	Context      any    `json:"@context"`
	ID           string `json:"id"`
	Type         string `json:"type"`
	PartOf       string `json:"partOf"`
	TotalItems   int    `json:"totalItems"`
	Prev         string `json:"prev,omitempty"`
	Next         string `json:"next,omitempty"`
	OrderedItems []any  `json:"orderedItems"`
}

// pageURL is page n (from 1) of the outbox.
func (s Site) pageURL(n int) string { return s.OutboxID() + "?page=" + strconv.Itoa(n) }

// pages is how many pages total items make, at least one.
func pages(total, perPage int) int { return max(1, (total+perPage-1)/perPage) }

// NewOutbox is the outbox collection of total items in pages of perPage.
func (s Site) NewOutbox(total, perPage int) *OrderedCollection {
	return &OrderedCollection{Context: activityStreams, ID: s.OutboxID(), Type: "OrderedCollection", TotalItems: total,
		First: s.pageURL(1), Last: s.pageURL(pages(total, perPage))}
}

// NewOutboxPage is page n of the outbox, holding items.
func (s Site) NewOutboxPage(n, total, perPage int, items []any) *OrderedCollectionPage {
	p := &OrderedCollectionPage{Context: videoContext, ID: s.pageURL(n), Type: "OrderedCollectionPage", PartOf: s.OutboxID(),
		TotalItems: total, OrderedItems: items}
	if p.OrderedItems == nil {
		p.OrderedItems = []any{}
	}
	if n > 1 {
		p.Prev = s.pageURL(n - 1)
	}
	if n < pages(total, perPage) {
		p.Next = s.pageURL(n + 1)
	}
	return p
}
