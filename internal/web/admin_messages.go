package web

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"sistercity/internal/auth"
	"sistercity/internal/civil"
	"sistercity/internal/db"
	"sistercity/internal/exchange"
	"sistercity/internal/messages"
	"sistercity/internal/problem"
	"sistercity/internal/register"
	"sistercity/internal/video"
)

// The admin's pages for the calls for citizens' messages: the calls, the form of one, and its
// moderation queue (approve, reject with a reason, ask for a translation). Rules are in
// package messages.

func (s *Server) messageAdminRoutes() []route {
	rs := []route{
		{"GET /admin/messages", auth.RoleViewer, s.callList},
		{"GET /admin/messages/new", auth.RoleEditor, s.callNew},
		{"POST /admin/messages", auth.RoleEditor, s.callSave},
		{"GET /admin/messages/{id}", auth.RoleViewer, s.callEdit},
		{"POST /admin/messages/{id}", auth.RoleEditor, s.callSave},
		{"POST /admin/messages/{id}/delete", auth.RoleEditor, deleteRecord(s, auth.EntityMessageCall, "/admin/messages?notice=deleted", messages.GetCall, messages.DeleteCall)},
		{"GET /admin/messages/{id}/queue", auth.RoleViewer, s.messageQueue},
		{"GET /admin/messages/{id}/queue/{msg}/photo", auth.RoleViewer, s.queuePhoto},
		{"GET /admin/messages/{id}/queue/{msg}/video", auth.RoleViewer, s.queueVideo},
		{"POST /admin/messages/{id}/queue/{msg}/approve", auth.RoleEditor, s.moderate(messages.StatusApproved)},
		{"POST /admin/messages/{id}/queue/{msg}/reject", auth.RoleEditor, s.moderate(messages.StatusRejected)},
		{"POST /admin/messages/{id}/queue/{msg}/translation", auth.RoleTranslator, s.translateMessage},
	}
	return append(rs, s.messageCompileRoutes()...)
}

type callRow struct {
	Call     *messages.Call
	Title    string
	Activity string
	Open     bool
	Waiting  int
}

func (s *Server) callList(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	calls, err := messages.Calls(ctx, s.db.R, 0, 0)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	waiting, err := messages.Waiting(ctx, s.db.R)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := s.adminPage(w, r, "messages.admin.title")
	var rows []callRow
	for _, c := range calls {
		a, err := exchange.Get(ctx, s.db.R, c.ActivityID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		rows = append(rows, callRow{Call: c, Title: c.Text(p.Lang).Title, Activity: a.Title(p.Lang), Open: c.Open(p.Today), Waiting: waiting[c.ID]})
	}
	showNotice(p, r, callNotices)
	p.Data = struct {
		Rows    []callRow
		CanEdit bool
	}{rows, p.User.Role.AtLeast(auth.RoleEditor)}
	s.render(w, r, http.StatusOK, "admin/message-calls", p)
}

var callNotices = noticeSet{
	"created": "messages.notice.created",
	"saved":   "messages.notice.saved",
	"deleted": "messages.notice.deleted",
}

// callForm is the form of a call as typed, per language.
type callForm struct {
	ID, Version  int64
	Activity     int64
	OpensOn      string
	ClosesOn     string
	AcceptsPhoto bool
	MaxPhotoMB   string
	AcceptsVideo bool
	MaxVideoMB   string
	// MaxVideoSeconds is the longest video message, as typed.
	MaxVideoSeconds string
	Retention       string
	Cities          []int64
	Langs           []callLangForm
}

type callLangForm struct {
	Lang, Name               string
	Title, Invitation, Rules string
	Publish, Video, Partner  string
}

type callFormData struct {
	Form       callForm
	New        bool
	CanEdit    bool
	Activities []option
	Cities     []option
	CityValues []string // the invited cities, as the checkboxes' values
}

func (s *Server) callFormOf(c *messages.Call) callForm {
	f := callForm{ID: c.ID, Version: int64(c.Version), Activity: c.ActivityID, AcceptsPhoto: c.AcceptsPhoto,
		MaxPhotoMB: strconv.FormatFloat(float64(c.MaxPhotoBytes)/(1<<20), 'f', -1, 64), Retention: strconv.Itoa(c.RetentionDays), Cities: c.Cities,
		AcceptsVideo: c.AcceptsVideo, MaxVideoMB: strconv.FormatInt(c.MaxVideoBytes>>20, 10), MaxVideoSeconds: strconv.Itoa(c.MaxVideoSeconds)}
	if !c.OpensOn.IsZero() {
		f.OpensOn, f.ClosesOn = c.OpensOn.String(), c.ClosesOn.String()
	}
	for _, lang := range s.cat.Languages() {
		lf := callLangForm{Lang: lang, Name: s.cat.Localizer(lang).T("language.self")}
		for _, t := range c.Texts {
			if t.Lang == lang {
				lf.Title, lf.Invitation, lf.Rules = t.Title, t.Invitation, t.Rules
			}
		}
		lf.Publish, lf.Video, lf.Partner = c.Wording(lang, messages.PurposePublish), c.Wording(lang, messages.PurposeVideo), c.Wording(lang, messages.PurposePartner)
		f.Langs = append(f.Langs, lf)
	}
	return f
}

func (s *Server) renderCall(w http.ResponseWriter, r *http.Request, status int, f callForm, errs problem.Fields) {
	ctx := r.Context()
	p := s.adminPage(w, r, "messages.admin.new")
	if f.ID != 0 {
		p.Title = p.L.T("messages.admin.edit")
	}
	acts, err := exchange.List(ctx, s.db.R)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	data := callFormData{Form: f, New: f.ID == 0, CanEdit: p.User.Role.AtLeast(auth.RoleEditor)}
	for _, a := range acts {
		data.Activities = append(data.Activities, option{Value: strconv.FormatInt(a.ID, 10), Label: a.Title(p.Lang)})
	}
	ps, err := register.Partnerships(ctx, s.db.R)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	seen := map[int64]bool{}
	for _, ps := range ps {
		if ps.PartnerCity == nil || seen[ps.PartnerCityID] {
			continue
		}
		seen[ps.PartnerCityID] = true
		data.Cities = append(data.Cities, option{Value: strconv.FormatInt(ps.PartnerCityID, 10), Label: ps.PartnerCity.Name(p.Lang)})
	}
	sortOptions(p.L, data.Cities)
	for _, id := range f.Cities {
		data.CityValues = append(data.CityValues, strconv.FormatInt(id, 10))
	}
	p.Errors = errs
	showNotice(p, r, callNotices)
	p.Data = data
	s.render(w, r, status, "admin/message-call", p)
}

func (s *Server) callNew(w http.ResponseWriter, r *http.Request) {
	today := civil.Of(s.now())
	c := &messages.Call{OpensOn: today, ClosesOn: civil.Of(today.Time().AddDate(0, 1, 0)), MaxPhotoBytes: 5 << 20, RetentionDays: 365,
		MaxVideoBytes: 50 << 20, MaxVideoSeconds: 60}
	if id, ok := parseID(r.URL.Query().Get("activity")); ok {
		c.ActivityID = id
	}
	s.renderCall(w, r, http.StatusOK, s.callFormOf(c), nil)
}

func (s *Server) callEdit(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	c, err := messages.GetCall(r.Context(), s.db.R, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderCall(w, r, http.StatusOK, s.callFormOf(c), nil)
}

// readCall reads the call form into a call and the form to show again.
func (s *Server) readCall(r *http.Request) (*messages.Call, callForm, problem.Fields) {
	var errs problem.Fields
	f := callForm{OpensOn: r.PostFormValue("opens_on"), ClosesOn: r.PostFormValue("closes_on"), AcceptsPhoto: r.PostFormValue("accepts_photo") == "on",
		MaxPhotoMB: r.PostFormValue("max_photo_mb"), Retention: r.PostFormValue("retention_days"),
		AcceptsVideo: r.PostFormValue("accepts_video") == "on", MaxVideoMB: r.PostFormValue("max_video_mb"), MaxVideoSeconds: r.PostFormValue("max_video_seconds")}
	f.Activity, _ = parseID(r.PostFormValue("activity"))
	f.ID, _ = pathID(r, "id")
	f.Version, _ = strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	c := &messages.Call{ID: f.ID, Version: int(f.Version), ActivityID: f.Activity, AcceptsPhoto: f.AcceptsPhoto}
	var err error
	if c.OpensOn, err = civil.Parse(strings.TrimSpace(f.OpensOn)); err != nil && f.OpensOn != "" {
		errs.Add("opens_on", "messages.error.date")
	}
	if c.ClosesOn, err = civil.Parse(strings.TrimSpace(f.ClosesOn)); err != nil && f.ClosesOn != "" {
		errs.Add("closes_on", "messages.error.date")
	}
	if mb, err := strconv.ParseFloat(strings.TrimSpace(f.MaxPhotoMB), 64); err == nil && mb > 0 && mb <= 1000 {
		c.MaxPhotoBytes = int64(mb * (1 << 20))
	}
	c.RetentionDays, _ = strconv.Atoi(strings.TrimSpace(f.Retention))
	c.AcceptsVideo = f.AcceptsVideo
	if mb, err := strconv.ParseInt(strings.TrimSpace(f.MaxVideoMB), 10, 64); err == nil && mb > 0 && mb <= 1<<20 {
		c.MaxVideoBytes = mb << 20
	}
	c.MaxVideoSeconds, _ = strconv.Atoi(strings.TrimSpace(f.MaxVideoSeconds))
	for _, v := range r.PostForm["cities"] {
		if id, ok := parseID(v); ok && !slices.Contains(c.Cities, id) {
			c.Cities = append(c.Cities, id)
		}
	}
	f.Cities = c.Cities
	for _, lang := range s.cat.Languages() {
		lf := callLangForm{Lang: lang, Name: s.cat.Localizer(lang).T("language.self"),
			Title: strings.TrimSpace(r.PostFormValue("title_" + lang)), Invitation: strings.TrimSpace(r.PostFormValue("invitation_" + lang)),
			Rules: strings.TrimSpace(r.PostFormValue("rules_" + lang)), Publish: strings.TrimSpace(r.PostFormValue("consent_publish_" + lang)),
			Video: strings.TrimSpace(r.PostFormValue("consent_video_" + lang)), Partner: strings.TrimSpace(r.PostFormValue("consent_partner_" + lang))}
		f.Langs = append(f.Langs, lf)
		c.Texts = append(c.Texts, messages.CallText{Lang: lang, Title: lf.Title, Invitation: lf.Invitation, Rules: lf.Rules})
		for purpose, text := range map[string]string{messages.PurposePublish: lf.Publish, messages.PurposeVideo: lf.Video, messages.PurposePartner: lf.Partner} {
			if text != "" {
				c.Consents = append(c.Consents, messages.Wording{Lang: lang, Purpose: purpose, Text: text})
			}
		}
	}
	errs = append(errs, c.Validate(s.cat.Languages())...)
	return c, f, errs
}

func (s *Server) callSave(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	c, f, errs := s.readCall(r)
	if len(errs) > 0 {
		for i := range f.Langs {
			lf := &f.Langs[i]
			lf.Title, lf.Invitation, lf.Rules = cutRunes(lf.Title, messages.MaxTitle), cutRunes(lf.Invitation, messages.MaxInvitation), cutRunes(lf.Rules, messages.MaxInvitation)
			lf.Publish, lf.Video, lf.Partner = cutRunes(lf.Publish, messages.MaxWording), cutRunes(lf.Video, messages.MaxWording), cutRunes(lf.Partner, messages.MaxWording)
		}
		s.renderCall(w, r, http.StatusUnprocessableEntity, f, errs)
		return
	}
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		if _, err := exchange.Get(ctx, tx, c.ActivityID); err != nil {
			if errors.Is(err, db.ErrNotFound) {
				return problem.Fields{{Field: "activity"}}
			}
			return err
		}
		for _, id := range c.Cities {
			if _, err := register.GetCity(ctx, tx, id); err != nil {
				return err
			}
		}
		if c.ID == 0 {
			if err := messages.CreateCall(ctx, tx, c); err != nil {
				return err
			}
			return auth.Audit(ctx, tx, userFrom(r), auth.ActionCreate, auth.EntityMessageCall, c.ID, nil, c)
		}
		before, err := messages.GetCall(ctx, tx, c.ID)
		if err != nil {
			return err
		}
		if err := messages.UpdateCall(ctx, tx, c); err != nil {
			return err
		}
		return auth.Audit(ctx, tx, userFrom(r), auth.ActionUpdate, auth.EntityMessageCall, c.ID, before, c)
	})
	var fe problem.Fields
	switch {
	case errors.As(err, &fe):
		var errs problem.Fields
		errs.Add("activity", "messages.error.activity")
		s.renderCall(w, r, http.StatusUnprocessableEntity, f, errs)
		return
	case errors.Is(err, db.ErrStale):
		s.fail(w, r, err)
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	notice := "saved"
	if f.ID == 0 {
		notice = "created"
	}
	http.Redirect(w, r, fmt.Sprintf("/admin/messages/%d?notice=%s", c.ID, notice), http.StatusSeeOther)
}

// queueItem is a message as the moderation queue shows it.
type queueItem struct {
	M     *messages.Message
	Photo string
	// Video is the path of the message's processed video, VideoText its state; HasVideo says
	// the message has one.
	Video, VideoText string
	HasVideo         bool
	// HasEmail says the sender left an address the reason may be mailed to.
	HasEmail     bool
	Consents     []messages.Consent
	Translations []messages.Translation
	Ask          []askLang // languages a translation may be asked for in
}

// pathCall is the call the path's {id} names; it answers 404 or the error itself when there
// is none, and tells whether there is.
func (s *Server) pathCall(w http.ResponseWriter, r *http.Request) (*messages.Call, bool) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return nil, false
	}
	c, err := messages.GetCall(r.Context(), s.db.R, id)
	if err != nil {
		s.fail(w, r, err)
		return nil, false
	}
	return c, true
}

// askLang is one language a message may be translated into, with the translation or draft
// so far.
type askLang struct {
	Value, Label, Body string
}

func (s *Server) messageQueue(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	c, ok := s.pathCall(w, r)
	if !ok {
		return
	}
	id := c.ID
	all, err := messages.List(ctx, s.db.R, id, "")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	contacts, err := messages.HasContact(ctx, s.db.R, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := s.adminPage(w, r, "messages.queue.title")
	var waiting, decided []queueItem
	for _, m := range all {
		it := queueItem{M: m, Consents: m.Consents, Translations: m.Translations, HasEmail: contacts[m.ID]}
		if m.PhotoKey != "" {
			it.Photo = fmt.Sprintf("/admin/messages/%d/queue/%d/photo", id, m.ID)
		}
		if m.VideoID != 0 {
			vid, err := video.Get(ctx, s.db.R, m.VideoID)
			if err != nil {
				s.fail(w, r, err)
				return
			}
			it.HasVideo, it.VideoText = true, messageVideoText(p, vid)
			if vid.Processed() {
				it.Video = fmt.Sprintf("/admin/messages/%d/queue/%d/video", id, m.ID)
			}
		}
		for _, lang := range s.cat.Languages() {
			if lang == m.Lang {
				continue
			}
			ask := askLang{Value: lang, Label: s.cat.Localizer(lang).T("language.self")}
			for _, t := range m.Translations {
				if t.Lang == lang {
					ask.Body = t.Body
				}
			}
			it.Ask = append(it.Ask, ask)
		}
		if m.Status == messages.StatusWaiting {
			waiting = append(waiting, it)
		} else {
			decided = append(decided, it)
		}
	}
	showNotice(p, r, queueNotices)
	p.Data = struct {
		Call             *messages.Call
		Title            string
		Waiting, Decided []queueItem
		CanEdit          bool
		CanTranslate     bool // translators write the translations editors ask for
		Public           string
		// MailOn says the reason of a rejection can be e-mailed (--smtp-host is set).
		MailOn bool
	}{c, c.Text(p.Lang).Title, waiting, decided, p.User.Role.AtLeast(auth.RoleEditor), p.User.Role.AtLeast(auth.RoleTranslator),
		fmt.Sprintf("/%s/messages/%d", p.Lang, c.ID), s.cfg.MailOn()}
	s.render(w, r, http.StatusOK, "admin/message-queue", p)
}

var queueNotices = noticeSet{
	"approved":   "messages.notice.approved",
	"rejected":   "messages.notice.rejected",
	"translated": "messages.notice.translated",
	"ordered":    "messages2.notice.ordered",
}

// queueMessage loads the message of the path, which must belong to the path's call.
func (s *Server) queueMessage(ctx context.Context, q db.Querier, r *http.Request) (*messages.Message, error) {
	callID, ok1 := pathID(r, "id")
	id, ok2 := pathID(r, "msg")
	if !ok1 || !ok2 {
		return nil, problem.New(http.StatusNotFound, "error.not_found")
	}
	m, err := messages.GetMessage(ctx, q, id)
	if err == nil && m.CallID != callID {
		return nil, problem.New(http.StatusNotFound, "error.not_found")
	}
	return m, err
}

func (s *Server) queuePhoto(w http.ResponseWriter, r *http.Request) {
	m, err := s.queueMessage(r.Context(), s.db.R, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if m.PhotoKey == "" {
		s.notFound(w, r)
		return
	}
	w.Header().Set("Cache-Control", privateNoStore)
	if err := s.docs.Serve(w, r, m.PhotoKey, "image/jpeg"); err != nil {
		s.fail(w, r, err)
	}
}

func (s *Server) queueVideo(w http.ResponseWriter, r *http.Request) {
	m, err := s.queueMessage(r.Context(), s.db.R, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if m.VideoID == 0 {
		s.notFound(w, r)
		return
	}
	s.serveMessageVideo(w, r, m.VideoID, privateNoStore)
}

func (s *Server) moderate(status string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		reason := strings.TrimSpace(r.PostFormValue("reason"))
		if status == messages.StatusRejected && !validText(reason, messages.MaxReason) {
			s.fail(w, r, problem.New(http.StatusUnprocessableEntity, "messages.error.reason"))
			return
		}
		// The box is disabled without mail; a request that ticks it all the same is told why.
		notify := status == messages.StatusRejected && r.PostFormValue("notify") == "on"
		if notify && !s.cfg.MailOn() {
			s.fail(w, r, problem.New(http.StatusConflict, "mail.queue.off"))
			return
		}
		var left messages.Leftovers
		var m *messages.Message
		err := s.db.InTx(ctx, func(tx *sql.Tx) error {
			var err error
			if m, err = s.queueMessage(ctx, tx, r); err != nil {
				return err
			}
			if status == messages.StatusApproved {
				c, err := messages.GetCall(ctx, tx, m.CallID)
				if err != nil {
					return err
				}
				if err := messages.CheckVideo(ctx, tx, c, m); err != nil {
					return err
				}
			}
			if left, err = messages.Decide(ctx, tx, m.ID, status, reason, s.now()); err != nil {
				return err
			}
			if notify {
				if _, err := messages.QueueRejectionMail(ctx, tx, s.queue, m.ID); err != nil {
					return err
				}
			}
			action := auth.ActionApproveMessage
			if status == messages.StatusRejected {
				action = auth.ActionRejectMessage
			}
			return auth.Audit(ctx, tx, userFrom(r), action, auth.EntityCitizenMessage, m.ID, map[string]string{"status": m.Status},
				map[string]any{"status": status, "reason": reason, "mail": notify})
		})
		switch {
		case errors.Is(err, messages.ErrWithdrawn):
			s.fail(w, r, problem.New(http.StatusConflict, "messages.error.withdrawn"))
			return
		case errors.Is(err, messages.ErrVideoNotReady):
			s.fail(w, r, problem.New(http.StatusConflict, "messages2.error.video_not_ready"))
			return
		case errors.Is(err, messages.ErrVideoTooLong):
			s.fail(w, r, problem.New(http.StatusConflict, "messages2.error.video_long"))
			return
		case err != nil:
			s.fail(w, r, err)
			return
		}
		s.dropLeftovers(ctx, left)
		http.Redirect(w, r, fmt.Sprintf("/admin/messages/%d/queue?notice=%s", m.CallID, status), http.StatusSeeOther)
	}
}

// validText tells whether s is valid UTF-8 of at most n characters.
func validText(s string, n int) bool {
	return strings.ToValidUTF8(s, "") == s && len([]rune(s)) <= n
}

// translateMessage asks for a message's text in another language or saves the translation: the
// button "ask" fills a draft from the machine translation when one is configured; "save" keeps
// the editor's (or translator's) text as the finished translation, shown on the call's page.
func (s *Server) translateMessage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	lang := r.PostFormValue("lang")
	body := strings.TrimSpace(r.PostFormValue("body"))
	if !s.cat.Has(lang) || !validText(body, 2*messages.MaxBody) {
		s.fail(w, r, badRequest())
		return
	}
	m, err := s.queueMessage(ctx, s.db.R, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if m.Status == messages.StatusWithdrawn || lang == m.Lang {
		s.fail(w, r, problem.New(http.StatusConflict, "messages.error.withdrawn"))
		return
	}
	save := r.PostFormValue("action") == "save"
	if save && body == "" {
		s.fail(w, r, problem.New(http.StatusUnprocessableEntity, "messages.error.translation_empty"))
		return
	}
	if !save && s.machine != nil {
		// A draft from the machine; a person reads it before saving it as the translation.
		out, err := s.machine.Translate(ctx, []string{m.Body}, m.Lang, lang)
		if err == nil && len(out) == 1 {
			body = out[0]
		} else {
			s.log.Warn("machine translation of a message", "message", m.ID, "err", err)
		}
	}
	err = s.db.InTx(ctx, func(tx *sql.Tx) error {
		if save {
			if err := messages.SaveTranslation(ctx, tx, m.ID, lang, body); err != nil {
				return err
			}
		} else if err := messages.RequestTranslation(ctx, tx, m.ID, lang, body); err != nil {
			return err
		}
		return auth.Audit(ctx, tx, userFrom(r), auth.ActionTranslateMessage, auth.EntityCitizenMessage, m.ID, nil,
			map[string]any{"lang": lang, "done": save})
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/admin/messages/%d/queue?notice=translated#message-%d", m.CallID, m.ID), http.StatusSeeOther)
}
