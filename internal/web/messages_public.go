package web

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"sistercity/internal/altcha"
	"sistercity/internal/civil"
	"sistercity/internal/db"
	"sistercity/internal/exchange"
	"sistercity/internal/ical"
	"sistercity/internal/messages"
	"sistercity/internal/problem"
	"sistercity/internal/register"
	"sistercity/internal/upload"
	"sistercity/internal/video"
)

// The public side of the calls for citizens' messages (package messages): a call's page in
// each language with the approved messages, the form a visitor sends a message with (no
// account; a proof of work, package altcha), the sender's private status page with the
// withdrawal, and a calendar entry for the call's closing day.

// Limits of the form.
const (
	// altchaMaxNumber bounds the proof of work: about a second of a phone's hashing.
	altchaMaxNumber = 50_000
	altchaLife      = 20 * time.Minute
	// sendBurst messages from one address at once, then sendRefill a second (five a minute).
	sendBurst  = 5
	sendRefill = 5.0 / 60
	sendAddrs  = 10_000
)

func (s *Server) messagePublicRoutes(lang string) []route {
	prefix := "/" + lang + "/messages/{id}"
	return []route{
		{"GET " + prefix, "", s.callPage(lang)},
		{"GET " + prefix + "/calendar.ics", "", s.callCalendar(lang)},
		{"GET " + prefix + "/send", "", s.sendForm(lang)},
		{"POST " + prefix + "/send", "", s.sendMessage(lang)},
		{"GET " + prefix + "/photos/{msg}", "", s.messagePhoto(lang)},
		{"GET " + prefix + "/status/{token}", "", s.messageStatus(lang)},
		{"POST " + prefix + "/status/{token}/withdraw", "", s.withdrawMessage(lang)},
	}
}

// messagesCookiePath is the path of the CSRF cookie for a page of a call's forms: the call's
// pages in that language.
func (s *Server) messagesCookiePath(path string) (string, bool) {
	parts := strings.SplitN(strings.TrimPrefix(path, "/"), "/", 4)
	if len(parts) < 3 || !s.cat.Has(parts[0]) || parts[1] != "messages" {
		return "", false
	}
	if _, err := strconv.ParseInt(parts[2], 10, 64); err != nil {
		return "", false
	}
	return "/" + parts[0] + "/messages/" + parts[2] + "/", true
}

// altchaKey is the key the proof-of-work challenges are signed with, made from the server's
// CSRF secret, which every serve process shares.
func (s *Server) altchaKey() []byte {
	m := hmac.New(sha256.New, s.csrfSecret)
	m.Write([]byte("sistercity altcha v1"))
	return m.Sum(nil)
}

// publicCall loads the call of the request's path; a call whose activity is not public is
// not there either.
func (s *Server) publicCall(ctx context.Context, r *http.Request) (*messages.Call, *exchange.Activity, error) {
	id, ok := pathID(r, "id")
	if !ok {
		return nil, nil, problem.New(http.StatusNotFound, "messages.error.unknown_call")
	}
	c, err := messages.GetCall(ctx, s.db.R, id)
	if errors.Is(err, db.ErrNotFound) {
		return nil, nil, problem.New(http.StatusNotFound, "messages.error.unknown_call")
	}
	if err != nil {
		return nil, nil, err
	}
	a, err := exchange.Get(ctx, s.db.R, c.ActivityID)
	if err != nil {
		return nil, nil, err
	}
	if !a.Public() {
		return nil, nil, problem.New(http.StatusNotFound, "messages.error.unknown_call")
	}
	return c, a, nil
}

// callView is a call as its pages show it in one language.
type callView struct {
	Call       *messages.Call
	Text       messages.CallText
	Activity   string
	Open       bool
	Closes     string
	URL        string
	Cities     []labelled
	Messages   []messageView
	NoneYet    bool
	Form       sendForm
	Challenge  string
	Purposes   []consentBox
	Languages  []option
	Token      string
	Message    *messages.Message
	StatusText string
	// VideoText is the state of the message's video, "" without one; Upload says it still
	// waits for its file.
	VideoText string
	Upload    bool
	VideoMax  string
	MaxBytes  int64
	Chunk     int
	TusLib    string // the upload client; "" when the build has none
}

type messageView struct {
	ID         int64
	Name, City string
	Body, Lang string
	Translated bool
	Photo      string
	Video      string
	On         time.Time
}

type consentBox struct {
	Purpose, Text string
	Checked       bool
}

type sendForm struct {
	Name, City, Lang, Body, Email string
	Anonymous                     bool
	Consents                      []string
	Video                         bool
}

func (s *Server) callView(ctx context.Context, p *page, c *messages.Call, a *exchange.Activity) (*callView, error) {
	v := &callView{Call: c, Text: c.Text(p.Lang), Activity: a.Title(p.Lang), Open: c.Open(p.Today),
		Closes: p.L.Date(c.ClosesOn.Time()), URL: fmt.Sprintf("/%s/messages/%d", p.Lang, c.ID)}
	for _, id := range c.Cities {
		city, err := register.GetCity(ctx, s.db.R, id)
		if err != nil {
			return nil, err
		}
		v.Cities = append(v.Cities, labelled{city.Name(p.Lang), city.NameLang(p.Lang)})
	}
	return v, nil
}

func (s *Server) callPage(lang string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		c, a, err := s.publicCall(ctx, r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		p := s.newPage(r, lang, "")
		v, err := s.callView(ctx, p, c, a)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		ms, err := messages.Published(ctx, s.db.R, c.ID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if c.Curated {
			messages.SortCurated(ms)
		}
		for _, m := range ms {
			body, bodyLang, translated := m.In(lang)
			mv := messageView{ID: m.ID, Name: m.Name, City: m.City, Body: body, Lang: bodyLang, Translated: translated, On: m.CreatedAt}
			if m.PhotoKey != "" {
				mv.Photo = fmt.Sprintf("%s/photos/%d", v.URL, m.ID)
			}
			if m.VideoID != 0 {
				// Shown once processed: a demo's or an old message's video may still be queued.
				vid, err := video.Get(ctx, s.db.R, m.VideoID)
				if err != nil && !errors.Is(err, db.ErrNotFound) {
					s.fail(w, r, err)
					return
				}
				if err == nil && vid.Processed() {
					mv.Video = videoURL(v.URL, m)
				}
			}
			v.Messages = append(v.Messages, mv)
		}
		v.NoneYet = len(v.Messages) == 0
		p.Title = v.Text.Title
		p.Description = shorten(v.Text.Invitation, cardDescription)
		p.Data = v
		s.render(w, r, http.StatusOK, "message-call", p)
	}
}

func (s *Server) callCalendar(lang string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, _, err := s.publicCall(r.Context(), r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		l := s.cat.Localizer(lang)
		t := c.Text(lang)
		cal := &ical.Calendar{ProdID: "-//sistercity//citizens' messages//EN", Lang: lang, Refresh: calendarRefresh,
			Name: t.Title}
		cal.Events = append(cal.Events, ical.Event{
			UID:         fmt.Sprintf("message-call-%d-closes@%s", c.ID, r.Host),
			Stamp:       s.now().UTC(),
			Start:       ical.Time{Date: c.ClosesOn},
			Summary:     ical.Text{Value: l.T("messages.calendar.closes", "title", t.Title), Lang: lang},
			Description: ical.Text{Value: t.Invitation, Lang: t.Lang},
			Status:      ical.StatusConfirmed,
			URL:         s.origin(r) + fmt.Sprintf("/%s/messages/%d", lang, c.ID),
			Transparent: true,
		})
		s.serveCalendar(w, r, cal, fmt.Sprintf("messages-%d-%s.ics", c.ID, lang))
	}
}

// sendPage renders the form with a fresh challenge.
func (s *Server) sendPage(w http.ResponseWriter, r *http.Request, lang string, status int, c *messages.Call, a *exchange.Activity,
	form sendForm, errs problem.Fields) {
	ctx := r.Context()
	p := s.newPage(r, lang, "")
	v, err := s.callView(ctx, p, c, a)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !v.Open {
		s.fail(w, r, problem.New(http.StatusConflict, "messages.error.closed"))
		return
	}
	ch, err := altcha.New(s.altchaKey(), s.altchaMax, s.now().Add(altchaLife))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	b, _ := json.Marshal(ch)
	v.Challenge = string(b)
	if form.Lang == "" {
		form.Lang = lang
	}
	v.Form = form
	for _, purpose := range messages.Purposes {
		text := c.Wording(lang, purpose)
		if text == "" {
			text = c.Wording("en", purpose)
		}
		if text == "" {
			continue
		}
		checked := false
		for _, x := range form.Consents {
			checked = checked || x == purpose
		}
		v.Purposes = append(v.Purposes, consentBox{Purpose: purpose, Text: text, Checked: checked})
	}
	for _, code := range s.cat.Languages() {
		v.Languages = append(v.Languages, option{Value: code, Label: s.cat.Localizer(code).T("language.self")})
	}
	v.VideoMax = p.L.Msg(upload.Size(c.MaxVideoBytes))
	p.Title = p.L.T("messages.send.title", "title", v.Text.Title)
	p.Errors = errs
	p.Data = v
	s.render(w, r, status, "message-send", p)
}

func (s *Server) sendForm(lang string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, a, err := s.publicCall(r.Context(), r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.sendPage(w, r, lang, http.StatusOK, c, a, sendForm{}, nil)
	}
}

func (s *Server) sendMessage(lang string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		if !s.sendRate.allow(s.clientIP(r), s.now()) {
			w.Header().Set("Retry-After", "60")
			s.fail(w, r, problem.New(http.StatusTooManyRequests, "messages.error.rate"))
			return
		}
		c, a, err := s.publicCall(ctx, r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if !c.Open(civil.Of(s.now())) {
			s.fail(w, r, problem.New(http.StatusConflict, "messages.error.closed"))
			return
		}
		form := sendForm{Name: r.PostFormValue("name"), City: r.PostFormValue("city"), Lang: r.PostFormValue("lang"),
			Body: r.PostFormValue("body"), Email: r.PostFormValue("email"), Anonymous: r.PostFormValue("anonymous") == "on",
			Video: r.PostFormValue("video") == "on" && c.AcceptsVideo}
		for _, purpose := range messages.Purposes {
			if r.PostFormValue("consent_"+purpose) == "on" && c.Wording(lang, purpose)+c.Wording("en", purpose) != "" {
				form.Consents = append(form.Consents, purpose)
			}
		}
		sub := messages.Submission{Name: form.Name, City: form.City, Lang: form.Lang, Body: form.Body, Email: form.Email,
			Anonymous: form.Anonymous, Consents: form.Consents}
		errs := sub.Validate(c, s.cat.Languages())
		photo, perr := s.readPhoto(r, c)
		if perr != nil {
			errs = append(errs, perr...)
		}
		pow, err := altcha.Verify(s.altchaKey(), r.PostFormValue("altcha"), s.now())
		if err != nil {
			errs.Add("altcha", "messages.error.challenge")
		}
		refuse := func(status int, errs problem.Fields) {
			form.Name, form.City, form.Body, form.Email = cutRunes(form.Name, messages.MaxName), cutRunes(form.City, messages.MaxCity),
				cutRunes(form.Body, messages.MaxBody), cutRunes(form.Email, messages.MaxEmail)
			s.sendPage(w, r, lang, status, c, a, form, errs)
		}
		if len(errs) > 0 {
			refuse(http.StatusUnprocessableEntity, errs)
			return
		}
		key := ""
		if photo != nil {
			var b [12]byte
			_, _ = rand.Read(b[:])
			key = fmt.Sprintf("messages/%d/%s.jpg", c.ID, hex.EncodeToString(b[:]))
			if err := s.docs.Put(ctx, key, bytes.NewReader(photo)); err != nil {
				s.fail(w, r, err)
				return
			}
		}
		exp, _ := altcha.Expiry(pow.Salt)
		var token, uploadToken string
		err = s.db.InTx(ctx, func(tx *sql.Tx) error {
			if err := messages.Spend(ctx, tx, pow.Signature, exp, s.now()); err != nil {
				return err
			}
			if _, err := messages.PurgeContacts(ctx, tx, s.now()); err != nil {
				return err
			}
			var m *messages.Message
			m, token, err = messages.Submit(ctx, tx, c, &sub, key, s.now())
			if err != nil || !form.Video {
				return err
			}
			title := s.cat.Localizer(sub.Lang).T("messages2.video_title", "title", c.Text(sub.Lang).Title, "number", m.ID)
			uploadToken, err = messages.AddVideo(ctx, tx, m, cutRunes(title, 200))
			return err
		})
		if err != nil {
			if key != "" {
				_ = s.docs.Delete(context.WithoutCancel(ctx), key)
			}
			if errors.Is(err, messages.ErrReplayed) {
				var errs problem.Fields
				errs.Add("altcha", "messages.error.replayed")
				refuse(http.StatusUnprocessableEntity, errs)
				return
			}
			s.fail(w, r, err)
			return
		}
		to := fmt.Sprintf("/%s/messages/%d/status/%s?notice=sent", lang, c.ID, token)
		if uploadToken != "" {
			// The upload's capability goes in the fragment: the status page's script reads it,
			// and no request, log or referrer ever carries it.
			to += "#upload=" + uploadToken
		}
		http.Redirect(w, r, to, http.StatusSeeOther)
	}
}

// readPhoto reads the form's photo, when there is one, re-encoded without metadata.
func (s *Server) readPhoto(r *http.Request, c *messages.Call) ([]byte, problem.Fields) {
	var errs problem.Fields
	if r.MultipartForm == nil || len(r.MultipartForm.File["photo"]) == 0 {
		return nil, nil
	}
	fh := r.MultipartForm.File["photo"][0]
	if fh.Size == 0 {
		return nil, nil
	}
	if !c.AcceptsPhoto {
		errs.Add("photo", "messages.error.no_photos")
		return nil, errs
	}
	if fh.Size > c.MaxPhotoBytes {
		errs.Add("photo", "messages.error.photo_large", "size", float64(c.MaxPhotoBytes)/(1<<20))
		return nil, errs
	}
	f, err := fh.Open()
	if err != nil {
		errs.Add("photo", "messages.error.photo")
		return nil, errs
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, c.MaxPhotoBytes+1))
	if err != nil || int64(len(data)) > c.MaxPhotoBytes {
		errs.Add("photo", "messages.error.photo")
		return nil, errs
	}
	out, err := messages.ReencodePhoto(data)
	switch {
	case errors.Is(err, messages.ErrPhotoHuge):
		errs.Add("photo", "messages.error.photo_pixels")
		return nil, errs
	case err != nil:
		errs.Add("photo", "messages.error.photo")
		return nil, errs
	}
	return out, nil
}

// messageByToken loads the message of the status link, which must belong to the path's call.
func (s *Server) messageByToken(r *http.Request) (*messages.Message, error) {
	m, err := messages.ByToken(r.Context(), s.db.R, r.PathValue("token"))
	id, _ := pathID(r, "id")
	if errors.Is(err, db.ErrNotFound) || err == nil && m.CallID != id {
		return nil, problem.New(http.StatusNotFound, "messages.error.unknown_link")
	}
	return m, err
}

var messageStatusNotices = noticeSet{
	"sent":      "messages.notice.sent",
	"withdrawn": "messages.notice.withdrawn",
}

func (s *Server) messageStatus(lang string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		m, err := s.messageByToken(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		c, a, err := s.publicCall(ctx, r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		p := s.newPage(r, lang, "")
		v, err := s.callView(ctx, p, c, a)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		v.Message, v.Token = m, r.PathValue("token")
		v.StatusText = p.L.T("messages.status." + m.Status)
		if m.VideoID != 0 {
			vid, err := video.Get(ctx, s.db.R, m.VideoID)
			if err != nil {
				s.fail(w, r, err)
				return
			}
			v.Upload = vid.SourceKey == "" && m.Status == messages.StatusWaiting
			v.VideoText = messageVideoText(p, vid)
			v.VideoMax, v.MaxBytes, v.Chunk = p.L.Msg(upload.Size(c.MaxVideoBytes)), c.MaxVideoBytes, uploadChunkBytes
			v.TusLib = s.tusLib
		}
		p.Title = p.L.T("messages.status.title")
		showNotice(p, r, messageStatusNotices)
		p.Data = v
		// The link is the sender's secret: kept out of caches, logs of referrers and search.
		w.Header().Set("Referrer-Policy", "no-referrer")
		w.Header().Set("X-Robots-Tag", "noindex")
		s.render(w, r, http.StatusOK, "message-status", p)
	}
}

func (s *Server) withdrawMessage(lang string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		m, err := s.messageByToken(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		var left messages.Leftovers
		err = s.db.InTx(ctx, func(tx *sql.Tx) error {
			left, err = messages.Withdraw(ctx, tx, m, s.now())
			return err
		})
		if errors.Is(err, messages.ErrWithdrawn) {
			s.fail(w, r, problem.New(http.StatusGone, "messages.error.withdrawn"))
			return
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.dropLeftovers(ctx, left)
		http.Redirect(w, r, fmt.Sprintf("/%s/messages/%d/status/%s?notice=withdrawn", lang, m.CallID, r.PathValue("token")), http.StatusSeeOther)
	}
}

// deletePhoto removes a photo from the store once its message no longer keeps it; a failure
// is logged (the key is no longer in the database, so the photo is never served again).
func (s *Server) deletePhoto(ctx context.Context, key string) {
	if key == "" {
		return
	}
	if err := s.docs.Delete(context.WithoutCancel(ctx), key); err != nil {
		s.log.Error("delete message photo", "key", key, "err", err)
	}
}

// messagePhoto serves the photo of an approved message whose sender agreed to publication.
func (s *Server) messagePhoto(string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, ok := pathID(r, "msg")
		if !ok {
			s.notFound(w, r)
			return
		}
		m, err := messages.GetMessage(r.Context(), s.db.R, id)
		callID, _ := pathID(r, "id")
		if errors.Is(err, db.ErrNotFound) || err == nil && (m.CallID != callID || m.Status != messages.StatusApproved ||
			!m.Gave(messages.PurposePublish) || m.PhotoKey == "") {
			s.notFound(w, r)
			return
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=300")
		if err := s.docs.Serve(w, r, m.PhotoKey, "image/jpeg"); err != nil {
			s.fail(w, r, err)
		}
	}
}

// callLink is an open call as the home page, a partner's page and an activity's show it.
type callLink struct {
	URL, Title, Lang string
	Closes           civil.Date
	ActivityID       int64
}

// openCallLinks lists the open calls of public activities: all of them, or those of one
// activity or inviting one city when activityID or cityID is not 0.
func (s *Server) openCallLinks(ctx context.Context, p *page, activityID, cityID int64) ([]callLink, error) {
	calls, err := messages.OpenCalls(ctx, s.db.R, p.Today, activityID, cityID)
	if err != nil {
		return nil, err
	}
	var out []callLink
	for _, c := range calls {
		a, err := exchange.Get(ctx, s.db.R, c.ActivityID)
		if err != nil {
			return nil, err
		}
		if !a.Public() {
			continue
		}
		t := c.Text(p.Lang)
		out = append(out, callLink{URL: fmt.Sprintf("/%s/messages/%d", p.Lang, c.ID), Title: t.Title, Lang: t.Lang, Closes: c.ClosesOn,
			ActivityID: c.ActivityID})
	}
	return out, nil
}
