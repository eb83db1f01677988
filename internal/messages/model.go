// Package messages is the public call for citizens' messages (issue 18): an editor opens a call
// for a campaign, citizens of the invited partner cities send a message without an account,
// giving each consent separately, and editors moderate what comes in. Package web parses and
// renders; the rules and the SQL are here. The proof of work that guards the form is package
// altcha; the photos' re-encoding is photo.go.
package messages

import (
	"errors"
	"net/mail"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"sistercity/internal/civil"
	"sistercity/internal/problem"
)

// Purposes a sender consents to, each with its own box and its own wording.
const (
	PurposePublish = "publish" // shown on the site
	PurposeVideo   = "video"   // used in the compiled video
	PurposePartner = "partner" // shared with the partner city's office
)

// Purposes lists the consents in the order the form asks them.
var Purposes = []string{PurposePublish, PurposeVideo, PurposePartner}

// States of a message.
const (
	StatusWaiting   = "waiting"
	StatusApproved  = "approved"
	StatusRejected  = "rejected"
	StatusWithdrawn = "withdrawn"
)

// Bounds of what editors and senders type.
const (
	MaxBody       = 1000 // characters of a message
	MaxName       = 100
	MaxCity       = 100
	MaxEmail      = 254
	MaxTitle      = 200
	MaxInvitation = 4000
	MaxWording    = 1000
	MaxReason     = 1000
	// MaxPhotoBytes bounds what an editor may allow for a photo.
	MaxPhotoBytes = 20 << 20
	// MaxVideoBytes and MaxVideoSeconds bound what an editor may allow for a video message.
	MaxVideoBytes   = 1 << 30
	MaxVideoSeconds = 600
	// MaxRetentionDays bounds how long an e-mail address may be kept.
	MaxRetentionDays = 3 * 365
)

// Errors.
var (
	ErrClosed    = errors.New("messages: call not open")
	ErrWithdrawn = errors.New("messages: message withdrawn")
	ErrReplayed  = errors.New("messages: proof of work used before")
)

// Call is a call for messages.
type Call struct {
	ID, ActivityID    int64
	OpensOn, ClosesOn civil.Date
	AcceptsPhoto      bool
	MaxPhotoBytes     int64
	// AcceptsVideo lets senders attach a short video of at most MaxVideoBytes and
	// MaxVideoSeconds.
	AcceptsVideo    bool
	MaxVideoBytes   int64
	MaxVideoSeconds int
	// Curated shows the approved messages in the editors' order instead of the newest first.
	Curated       bool
	RetentionDays int
	// ConsentVersion is the version of the consent wordings in Consents; it moves on when an
	// editor changes a wording, and the wordings of every version stay stored.
	ConsentVersion int
	Version        int
	Texts          []CallText
	Consents       []Wording
	// Cities are the partner cities whose citizens are invited.
	Cities []int64
}

// CallText is a call's title, invitation and rules in one language.
type CallText struct {
	Lang, Title, Invitation, Rules string
}

// Wording is the text of one consent box in one language.
type Wording struct {
	Lang, Purpose, Text string
}

// Open tells whether the call takes messages on day today (both ends included).
func (c *Call) Open(today civil.Date) bool {
	return !today.Before(c.OpensOn) && !today.After(c.ClosesOn)
}

// Text returns the call's texts in lang, falling back to English and then to any.
func (c *Call) Text(lang string) CallText {
	for _, want := range []string{lang, "en"} {
		for _, t := range c.Texts {
			if t.Lang == want && t.Title != "" {
				return t
			}
		}
	}
	for _, t := range c.Texts {
		if t.Title != "" {
			return t
		}
	}
	return CallText{Lang: lang}
}

// Wording returns the consent text for purpose in lang, "" when there is none.
func (c *Call) Wording(lang, purpose string) string {
	for _, w := range c.Consents {
		if w.Lang == lang && w.Purpose == purpose {
			return w.Text
		}
	}
	return ""
}

// Validate checks a call as an editor filled it in; langs are the site's languages.
func (c *Call) Validate(langs []string) problem.Fields {
	var errs problem.Fields
	if c.ActivityID <= 0 {
		errs.Add("activity", "messages.error.activity")
	}
	if c.OpensOn.IsZero() {
		errs.Add("opens_on", "messages.error.date")
	}
	if c.ClosesOn.IsZero() {
		errs.Add("closes_on", "messages.error.date")
	} else if !c.OpensOn.IsZero() && c.ClosesOn.Before(c.OpensOn) {
		errs.Add("closes_on", "messages.error.closes_before")
	}
	if c.MaxPhotoBytes < 100<<10 || c.MaxPhotoBytes > MaxPhotoBytes {
		errs.Add("max_photo_mb", "messages.error.photo_limit")
	}
	if c.AcceptsVideo && (c.MaxVideoBytes < 1<<20 || c.MaxVideoBytes > MaxVideoBytes) {
		errs.Add("max_video_mb", "messages2.error.video_limit")
	}
	if c.AcceptsVideo && (c.MaxVideoSeconds < 1 || c.MaxVideoSeconds > MaxVideoSeconds) {
		errs.Add("max_video_seconds", "messages2.error.video_seconds")
	}
	if c.RetentionDays < 1 || c.RetentionDays > MaxRetentionDays {
		errs.Add("retention_days", "messages.error.retention")
	}
	titled := false
	for _, t := range c.Texts {
		if !fits(t.Title, MaxTitle) {
			errs.Add("title_"+t.Lang, "messages.error.title")
		}
		if !fits(t.Invitation, MaxInvitation) || !fits(t.Rules, MaxInvitation) {
			errs.Add("invitation_"+t.Lang, "messages.error.invitation")
		}
		titled = titled || strings.TrimSpace(t.Title) != ""
	}
	if !titled {
		errs.Add("title_"+langs[0], "messages.error.title_missing")
	}
	for _, w := range c.Consents {
		if !fits(w.Text, MaxWording) {
			errs.Add("consent_"+w.Purpose+"_"+w.Lang, "messages.error.wording")
		}
	}
	// Every language the call has a title in needs the publication consent worded in it:
	// without it nobody writing in that language could agree to be shown.
	for _, t := range c.Texts {
		if strings.TrimSpace(t.Title) != "" && strings.TrimSpace(c.Wording(t.Lang, PurposePublish)) == "" {
			errs.Add("consent_publish_"+t.Lang, "messages.error.wording_missing")
		}
	}
	return errs
}

// fits tells whether s is valid text of at most n characters without control characters
// other than line breaks and tabs.
func fits(s string, n int) bool {
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > n {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' {
			return false
		}
	}
	return true
}

// Message is one citizen's message.
type Message struct {
	ID, CallID int64
	// Name is the name as it should appear; "" is anonymous.
	Name, City, Lang, Body string
	// PhotoKey is the re-encoded photo's key in the document store, "" for none.
	PhotoKey string
	// VideoID is the message's video (a draft video the pipeline processes), 0 for none.
	VideoID   int64
	Position  int
	Status    string
	Reason    string
	CreatedAt time.Time
	DecidedAt time.Time
	Consents  []Consent
	// MailStatus is what became of the e-mail of the reason to the sender (MailQueued, …), ""
	// when none was asked for.
	MailStatus string
	// Translations are the message's text in other languages, asked for by an editor.
	Translations []Translation
}

// Consent is one consent as it was given: its wording, language and version, and when.
type Consent struct {
	Purpose, Lang, Wording string
	Version                int
	GivenAt                time.Time
}

// Translation is a message's text in another language.
type Translation struct {
	Lang, Body string
	Done       bool
}

// Gave tells whether the sender consented to purpose.
func (m *Message) Gave(purpose string) bool {
	for _, c := range m.Consents {
		if c.Purpose == purpose {
			return true
		}
	}
	return false
}

// In returns the message's text for a reader of lang: the original when it is in lang or no
// finished translation is, otherwise the translation, and whether it is one.
func (m *Message) In(lang string) (body, bodyLang string, translated bool) {
	if m.Lang != lang {
		for _, t := range m.Translations {
			if t.Lang == lang && t.Done && t.Body != "" {
				return t.Body, t.Lang, true
			}
		}
	}
	return m.Body, m.Lang, false
}

// Submission is what a sender typed, before it becomes a Message.
type Submission struct {
	Name, City, Lang, Body, Email string
	Anonymous                     bool
	Consents                      []string // purposes ticked
	// Video says the sender will upload a video after sending.
	Video bool
}

// Validate checks a submission; langs are the languages the call is worded in.
func (s *Submission) Validate(c *Call, langs []string) problem.Fields {
	var errs problem.Fields
	s.Body = strings.TrimSpace(strings.ReplaceAll(s.Body, "\r\n", "\n"))
	s.Name, s.City, s.Email = strings.TrimSpace(s.Name), strings.TrimSpace(s.City), strings.TrimSpace(s.Email)
	if s.Body == "" {
		errs.Add("body", "messages.error.body_missing")
	} else if !fits(s.Body, MaxBody) {
		errs.Add("body", "messages.error.body", "count", MaxBody)
	}
	if s.Anonymous {
		s.Name = ""
	} else if s.Name == "" {
		errs.Add("name", "messages.error.name_missing")
	}
	if !fits(s.Name, MaxName) || strings.ContainsAny(s.Name, "\n\r\t") {
		errs.Add("name", "messages.error.name")
	}
	if !fits(s.City, MaxCity) || strings.ContainsAny(s.City, "\n\r\t") {
		errs.Add("city", "messages.error.city")
	}
	known := false
	for _, l := range langs {
		known = known || l == s.Lang
	}
	if !known {
		errs.Add("lang", "messages.error.lang")
	}
	if s.Email != "" {
		a, err := mail.ParseAddress(s.Email)
		if err != nil || a.Address != s.Email || len(s.Email) > MaxEmail {
			errs.Add("email", "messages.error.email")
		}
	}
	// Each box is the sender's own choice; a message agreed to no use at all is of no use.
	if len(s.Consents) == 0 {
		errs.Add("consent", "messages.error.consent")
	}
	return errs
}

// videoBytes and videoSeconds are the call's video limits, the defaults when unset.
func (c *Call) videoBytes() int64 {
	if c.MaxVideoBytes <= 0 {
		return 50 << 20
	}
	return c.MaxVideoBytes
}

func (c *Call) videoSeconds() int {
	if c.MaxVideoSeconds <= 0 {
		return 60
	}
	return c.MaxVideoSeconds
}
