package web

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"sistercity/internal/auth"
	"sistercity/internal/i18n"
	"sistercity/internal/problem"
	"sistercity/internal/register"
	"sistercity/internal/tz"
	"sistercity/internal/video"
)

// videoAdminRoutes are the admin's video pages: the list, the create and edit form with the
// processing status, the state changes (scheduling included), a retry of a failed processing,
// the status the list and the form poll while a video is processed, and the stored files for
// a preview before publication. The upload page is admin_video_upload.go's.
func (s *Server) videoAdminRoutes() []route {
	return []route{
		{"GET /admin/videos", auth.RoleViewer, s.adminVideoList},
		{"GET /admin/videos/new", auth.RoleEditor, s.adminVideoNew},
		{"POST /admin/videos/new", auth.RoleEditor, s.adminVideoCreate},
		{"GET /admin/videos/{id}", auth.RoleViewer, s.adminVideoEdit},
		{"POST /admin/videos/{id}", auth.RoleEditor, s.adminVideoUpdate},
		{"GET /admin/videos/{id}/status", auth.RoleViewer, s.adminVideoStatus},
		{"GET /admin/videos/{id}/files/{file}", auth.RoleViewer, s.adminVideoFile},
		{"POST /admin/videos/{id}/state", auth.RoleEditor, s.adminVideoState},
		{"POST /admin/videos/{id}/reprocess", auth.RoleEditor, s.adminVideoReprocess},
	}
}

// Limits of the video form.
const (
	maxVideoTexts = 30  // language rows; more than any office translates a message into
	maxVideoLinks = 200 // partnerships read from one form; a city has fewer
	// scheduleLayout is what <input type="datetime-local"> sends.
	scheduleLayout = "2006-01-02T15:04"
)

// commonVideoLangs are offered for the language fields; any other BCP 47 tag may be typed.
var commonVideoLangs = []string{"ko", "ru", "en", "ja", "zh-Hans", "zh-Hant", "mn", "vi", "uz", "kk", "de", "fr", "es", "tr"}

// videoNotices are the notices a redirect to the video pages may ask for.
var videoNotices = noticeSet{
	"created":   "admin.notice.created",
	"saved":     "admin.notice.saved",
	"state":     "video.admin.state_changed",
	"scheduled": "video.edit.notice_scheduled",
	"reprocess": "video.edit.notice_reprocess",
}

// processingView is a video's processing status as the admin shows it: a line of text, the
// percentage, and for a failure the reason from the catalog with ffmpeg's own words apart.
type processingView struct {
	Status   string // video.Proc…
	Text     string
	Progress int
	Failure  string // localized reason
	Detail   string // what the pipeline recorded, trimmed: for the administrator
	Active   bool   // waiting or processing: the page keeps asking
}

func processingOf(l *i18n.Localizer, v *video.Video) processingView {
	pv := processingView{Status: v.Processing, Progress: v.Progress,
		Active: v.Processing == video.ProcWaiting || v.Processing == video.ProcProcessing}
	switch v.Processing {
	case video.ProcProcessing:
		pv.Text = l.T("video.processing.processing", "percent", v.Progress)
	case video.ProcFailed:
		// A rejected source is explained from the catalog by its code; whatever else failed
		// gets a general message, and the recorded words follow for the administrator.
		code, rest, _ := strings.Cut(v.Failure, ":")
		if msg := l.T("video.media_error." + code); msg != "video.media_error."+code {
			pv.Failure, pv.Detail = msg, strings.TrimSpace(rest)
		} else {
			pv.Failure, pv.Detail = l.T("video.edit.failure_other"), v.Failure
		}
		pv.Text = l.T("video.processing.failed", "reason", pv.Failure)
	default:
		pv.Text = l.T("video.processing." + v.Processing)
	}
	return pv
}

type adminVideoRow struct {
	V         *video.Video
	Title     string
	TitleLang string
	State     string
	Proc      processingView
	Next      []stateOption
	Langs     string
}

// stateOption is a state a video may move to now: the step's name and what it means.
type stateOption struct{ Value, Label, Hint string }

// stateOptions lists the steps the office's workflow offers v now (video.Workflow.Offer).
func stateOptions(l *i18n.Localizer, wf video.Workflow, v *video.Video) []stateOption {
	var out []stateOption
	for _, st := range wf.Offer(v) {
		out = append(out, stateOption{st, l.T("video.move." + st), l.T("video.move." + st + "_hint")})
	}
	return out
}

func (s *Server) adminVideoList(w http.ResponseWriter, r *http.Request) {
	p := s.adminPage(w, r, "video.admin.title")
	showNotice(p, r, videoNotices)
	lq := readList(r, adminListSize)
	f := video.Filter{Search: lq.Q, Limit: lq.size, Offset: lq.offset()}
	list, total, err := video.List(r.Context(), s.db.R, f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	lv := newListView(p.L, r, lq, total)
	if lv.Pager.Offset != f.Offset { // asked past the end: the last page
		f.Offset = lv.Pager.Offset
		if list, _, err = video.List(r.Context(), s.db.R, f); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	wf, err := video.LoadWorkflow(r.Context(), s.db.R)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var rows []adminVideoRow
	l := p.L
	for _, v := range list {
		row := adminVideoRow{V: v, Title: v.Title(l.Lang), TitleLang: v.TitleLang(l.Lang), State: l.T("video.state." + v.State),
			Proc: processingOf(l, v), Next: stateOptions(l, wf, v)}
		var langs []string
		for _, t := range v.Texts {
			langs = append(langs, t.Lang)
		}
		row.Langs = strings.Join(langs, ", ")
		rows = append(rows, row)
	}
	p.Data = map[string]any{"Rows": rows, "CanEdit": canEdit(r), "List": lv}
	s.render(w, r, http.StatusOK, "admin/videos", p)
}

// videoTextRow is a video's title, description and credits in one language, as typed.
type videoTextRow struct {
	Index                             int
	Lang, Title, Description, Credits string
}

func (t videoTextRow) empty() bool { return t.Title == "" && t.Description == "" && t.Credits == "" }

// videoForm holds the video form as typed, so that a form with mistakes comes back as sent.
type videoForm struct {
	ID           int64
	Version      int64
	State        string // chosen on create only; later through the state form
	OriginalLang string
	Origin       string // a city's id; "" when the city itself made the video
	Partnerships []string
	Picked       []string // tags ticked in the vocabulary
	Tags         string   // new tags, comma-separated
	ScheduledAt  string   // datetime-local, in Zone
	Zone         string
	Texts        []videoTextRow
}

func videoFormOf(v *video.Video, zone *time.Location) videoForm {
	f := videoForm{ID: v.ID, Version: v.Version, State: v.State, OriginalLang: v.OriginalLang,
		Picked: slices.Clone(v.Tags), Zone: zone.String()}
	if v.OriginCityID != 0 {
		f.Origin = strconv.FormatInt(v.OriginCityID, 10)
	}
	for _, id := range v.Partnerships {
		f.Partnerships = append(f.Partnerships, strconv.FormatInt(id, 10))
	}
	if !v.ScheduledAt.IsZero() {
		f.ScheduledAt = v.ScheduledAt.In(zone).Format(scheduleLayout)
	}
	for i, t := range v.Texts {
		f.Texts = append(f.Texts, videoTextRow{Index: i, Lang: t.Lang, Title: t.Title, Description: t.Description, Credits: t.Credits})
	}
	return f
}

func videoFormFrom(r *http.Request) videoForm {
	f := videoForm{
		State:        formValue(r, "state"),
		OriginalLang: formValue(r, "original_lang"),
		Origin:       formValue(r, "origin_city"),
		Tags:         formValue(r, "tags"),
		Picked:       r.PostForm["tag"],
		ScheduledAt:  formValue(r, "scheduled_at"),
		Zone:         formValue(r, "zone"),
	}
	for _, p := range r.PostForm["partnerships"] {
		if !slices.Contains(f.Partnerships, p) && len(f.Partnerships) < maxVideoLinks {
			f.Partnerships = append(f.Partnerships, p)
		}
	}
	for i := range maxVideoTexts {
		n := "texts." + strconv.Itoa(i) + "."
		row := videoTextRow{Index: i, Lang: formValue(r, n+"lang"), Title: formValue(r, n+"title"),
			Description: formValue(r, n+"description"), Credits: formValue(r, n+"credits")}
		// A row ticked for removal is dropped here: gone from the form sent back and from
		// what is saved.
		if (row.Lang != "" || !row.empty()) && r.PostFormValue(n+"remove") == "" {
			f.Texts = append(f.Texts, row)
		}
	}
	return f
}

// rowAdded applies the form's "add a language" button, which sends the form back with one more
// row and saves nothing; it tells whether the button was pressed. The button comes after Save
// in the form, so that Enter in a field saves.
func (f *videoForm) rowAdded(r *http.Request) bool {
	if r.PostFormValue("add_text") == "" {
		return false
	}
	var used []int
	for _, t := range f.Texts {
		used = append(used, t.Index)
	}
	if i := nextIndex(0, used); i < maxVideoTexts {
		f.Texts = append(f.Texts, videoTextRow{Index: i})
	}
	return true
}

// scheduleOf reads the scheduled time: a wall-clock time in the chosen zone, kept in UTC. An
// empty field is no time.
func (f *videoForm) scheduleOf(errs *problem.Fields) time.Time {
	if f.ScheduledAt == "" {
		return time.Time{}
	}
	if !tz.Valid(f.Zone) {
		*errs = append(*errs, problem.FieldError{Field: "zone", Msg: tz.Problem(f.Zone)})
		return time.Time{}
	}
	loc, err := time.LoadLocation(f.Zone)
	if err != nil {
		errs.Add("zone", "validation.timezone")
		return time.Time{}
	}
	at, err := time.ParseInLocation(scheduleLayout, f.ScheduledAt, loc)
	if err != nil {
		at, err = time.ParseInLocation(scheduleLayout+":05", f.ScheduledAt, loc)
	}
	if err != nil || at.Year() < 2000 || at.Year() > 2200 {
		errs.Add("scheduled_at", "video.edit.schedule_format")
		return time.Time{}
	}
	return at.UTC()
}

// video turns the form into a Video with every problem found, the model's rules included,
// named by the form's fields. stored is nil for a new video.
func (f *videoForm) video(stored *video.Video, cities map[int64]*register.City, home int64,
	partnerships map[int64]*register.Partnership, now time.Time) (*video.Video, problem.Fields) {
	var errs problem.Fields
	v := &video.Video{ID: f.ID, Version: f.Version, OriginalLang: f.OriginalLang, State: f.State}
	if stored != nil {
		v.State = stored.State
	} else if v.State != video.StatePlanned && v.State != video.StateDraft {
		errs.Add("state", "validation.choice")
	}
	if f.Origin != "" {
		id, err := strconv.ParseInt(f.Origin, 10, 64)
		if err != nil || cities[id] == nil || id == home {
			errs.Add("origin_city", "validation.choice")
		} else {
			v.OriginCityID = id
		}
	}
	for _, p := range f.Partnerships {
		id, err := strconv.ParseInt(p, 10, 64)
		if err != nil || partnerships[id] == nil {
			errs.Add("partnerships", "validation.choice")
			continue
		}
		v.Partnerships = append(v.Partnerships, id)
	}
	v.Tags = append(v.Tags, f.Picked...)
	for tag := range strings.SplitSeq(f.Tags, ",") {
		v.Tags = append(v.Tags, tag)
	}
	// The model counts the texts it keeps; the form names its rows by their own index.
	var rowOf []int
	for _, t := range f.Texts {
		if t.empty() {
			continue
		}
		v.Texts = append(v.Texts, video.Text{Lang: t.Lang, Title: t.Title, Description: t.Description, Credits: t.Credits})
		rowOf = append(rowOf, t.Index)
	}
	v.ScheduledAt = f.scheduleOf(&errs)
	before := time.Time{}
	if stored != nil {
		before = stored.ScheduledAt
	}
	// The form shows minutes; a stored time with seconds comes back the same time.
	if !before.IsZero() && v.ScheduledAt.Equal(before.Truncate(time.Minute)) {
		v.ScheduledAt = before
	}
	// A time already stored may have passed (the video was published then); a new one may not.
	if !v.ScheduledAt.IsZero() && !v.ScheduledAt.Equal(before) && !v.ScheduledAt.After(now) {
		errs.Add("scheduled_at", "video.edit.schedule_past")
	}
	v.Normalize()
	if err := v.Validate(); err != nil {
		fields, _ := problem.AsFields(err)
		for _, e := range fields {
			if rest, ok := strings.CutPrefix(e.Field, "texts."); ok {
				i, field, _ := strings.Cut(rest, ".")
				if n, err := strconv.Atoi(i); err == nil && n < len(rowOf) {
					e.Field = "texts." + strconv.Itoa(rowOf[n]) + "." + field
				}
			}
			if e.Field == "scheduled_at" && errs.Has("scheduled_at") {
				continue
			}
			errs = append(errs, e)
		}
	}
	return v, errs
}

// videoPageData is what the video form shows.
type videoPageData struct {
	Form    videoForm
	New     bool
	CanEdit bool
	// Stalled: the video's processing stopped reporting (its process most likely died).
	Stalled      bool
	Problem      string
	Langs        []option // the common language tags, for the fields' suggestions
	States       []option // on create: planned or draft
	Cities       []option
	HomeName     string
	Partnerships []option
	Zones        []string
	TagChoices   []tagChoice // the tag vocabulary, ticked as on the video
	// Only on edit.
	V     *video.Video
	State string
	Next  []stateOption
	// Waiting: publication is not offered until processing has made the renditions.
	// ReviewRequired: the office's workflow does not offer a draft's direct publication.
	// Schedulable: scheduling is offered, with the time fields.
	Waiting, ReviewRequired, Schedulable bool
	Proc                                 processingView
	Renditions                           []renditionRow
	// Partial says which renditions are ready while the others are being made.
	Partial   string
	Poster    string
	Duration  string
	Source    []sourceFact
	Scheduled string // the scheduled time in the form's zone, with the zone
	// StateTo and the scheduled time are what was typed in the state form.
	StateTo, StateAt, StateZone string
	// Figures are the viewing figures (video_figures.go).
	Figures *figuresView
}

type renditionRow struct {
	Label, Size, Dimensions, Bitrate string
	URL                              string
}

type sourceFact struct{ Label, Value string }

// videoContext is what the form needs from the register: the cities an origin may be, the
// partnerships a video may be linked to, and the zone times are typed in.
type videoContext struct {
	cities       map[int64]*register.City
	home         int64
	homeName     string
	partnerships map[int64]*register.Partnership
	partnerOpts  []option
	zone         *time.Location
}

// zoneFor is the zone v's publication time is typed in: its first partner city's, where the
// video is linked to a partnership whose partner has a zone (the time its audience sees),
// else the home city's.
func (vc videoContext) zoneFor(v *video.Video) *time.Location {
	for _, id := range v.Partnerships {
		if p := vc.partnerships[id]; p != nil && p.PartnerCity != nil && tz.Valid(p.PartnerCity.Timezone) {
			if loc, err := time.LoadLocation(p.PartnerCity.Timezone); err == nil {
				return loc
			}
		}
	}
	return vc.zone
}

func (s *Server) videoContext(ctx context.Context, l *i18n.Localizer) (videoContext, error) {
	vc := videoContext{cities: map[int64]*register.City{}}
	all, err := register.Cities(ctx, s.db.R)
	if err != nil {
		return vc, err
	}
	for _, c := range all {
		vc.cities[c.ID] = c
	}
	if vc.home, err = s.homeCityID(ctx); err != nil {
		return vc, err
	}
	if vc.partnerOpts, vc.partnerships, err = s.partnershipOptions(ctx, l); err != nil {
		return vc, err
	}
	if home := vc.cities[vc.home]; home != nil {
		vc.homeName = home.Name(l.Lang)
	}
	// Times are typed in the home city's zone unless the form names another; UTC while the
	// home city has none.
	if vc.zone, _, err = s.homeZone(ctx, l.Lang); err != nil {
		return vc, err
	}
	if vc.zone == nil {
		vc.zone = time.UTC
	}
	return vc, nil
}

// renderVideo shows the video form; stored is nil for a new video.
func (s *Server) renderVideo(w http.ResponseWriter, r *http.Request, status int, f videoForm, stored *video.Video,
	errs problem.Fields, problemKey string) {
	ctx := r.Context()
	titleKey := "video.edit.new_title"
	if stored != nil {
		titleKey = ""
	}
	p := s.adminPage(w, r, titleKey)
	showNotice(p, r, videoNotices)
	p.Errors = errs
	l := p.L
	vc, err := s.videoContext(ctx, l)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	data := videoPageData{Form: f, New: stored == nil, CanEdit: canEdit(r), Partnerships: vc.partnerOpts, HomeName: vc.homeName}
	if problemKey != "" {
		data.Problem = l.T(problemKey)
	}
	if data.HomeName == "" {
		data.HomeName = l.T("video.edit.origin_home")
	}
	for _, tag := range commonVideoLangs {
		data.Langs = append(data.Langs, option{tag, langName(l, tag)})
	}
	if data.TagChoices, err = s.tagChoices(ctx, l, f.Picked); err != nil {
		s.fail(w, r, err)
		return
	}
	for _, st := range []string{video.StatePlanned, video.StateDraft} {
		data.States = append(data.States, option{st, l.T("video.state." + st)})
	}
	for id, c := range vc.cities {
		if id != vc.home {
			data.Cities = append(data.Cities, option{strconv.FormatInt(id, 10), c.Name(l.Lang)})
		}
	}
	sortOptions(l, data.Cities)
	// Every zone of the embedded database is offered (a searchable list); scheduleOf checks one.
	data.Zones = tz.List()
	if len(data.Form.Texts) == 0 {
		data.Form.Texts = []videoTextRow{{Lang: f.OriginalLang}}
	}
	if v := stored; v != nil {
		p.Title = l.T("video.edit.edit_title", "title", v.Title(l.Lang))
		wf, err := video.LoadWorkflow(ctx, s.db.R)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		data.V, data.State, data.Next, data.Proc = v, l.T("video.state."+v.State), stateOptions(l, wf, v), processingOf(l, v)
		data.Waiting = !v.Processed() && (v.State == video.StateDraft || v.State == video.StateInReview)
		data.ReviewRequired = wf.ReviewRequired && v.State == video.StateDraft
		data.Schedulable = slices.ContainsFunc(data.Next, func(o stateOption) bool { return o.Value == video.StateScheduled })
		data.Stalled = v.Stalled(s.now(), s.encodeStaleAfter())
		data.StateTo, data.StateAt, data.StateZone = r.PostFormValue("state"), f.ScheduledAt, f.Zone
		if strings.HasSuffix(r.URL.Path, "/state") {
			// The state form comes back as typed; the details form shows what is stored.
			data.StateAt, data.StateZone = formValue(r, "scheduled_at"), formValue(r, "zone")
		}
		data.Duration = clock(v.Duration)
		base := "/admin/videos/" + strconv.FormatInt(v.ID, 10) + "/files/"
		if v.PosterKey != "" {
			data.Poster = base + path.Base(v.PosterKey)
		}
		// While processing runs, the renditions already made from the source are listed; the
		// others join them stage by stage.
		rows := v.Renditions
		if v.Processing == video.ProcProcessing {
			rows = v.Ready()
			var sizes []string
			for _, rd := range rows {
				sizes = append(sizes, l.T("video.rendition", "lines", strconv.Itoa(rd.Lines)))
			}
			if len(sizes) > 0 {
				data.Partial = l.T("video.edit.renditions_partial", "items", strings.Join(sizes, ", "))
			}
		}
		for _, rd := range slices.Backward(rows) {
			data.Renditions = append(data.Renditions, renditionRow{
				Label:      l.T("video.rendition", "lines", strconv.Itoa(rd.Lines)),
				Dimensions: fmt.Sprintf("%d×%d", rd.Width, rd.Height),
				Size:       megabytes(l, rd.Size),
				Bitrate:    l.T("video.edit.kbps", "rate", l.Number(rd.Bitrate/1000)),
				URL:        base + path.Base(rd.Key),
			})
		}
		data.Source = sourceFacts(l, v)
		if v.State == video.StateScheduled && !v.ScheduledAt.IsZero() {
			data.Scheduled = l.T("video.edit.at_zone", "datetime", l.DateTime(v.ScheduledAt, vc.zone), "zone", vc.zone.String())
		}
		if data.Figures, err = s.videoFigures(ctx, l, v.ID); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	p.Data = data
	s.render(w, r, status, "admin/video", p)
}

func megabytes(l *i18n.Localizer, n int64) string {
	return l.T("video.edit.megabytes", "size", l.Number(math.Round(float64(n)/1e5)/10))
}

// sourceFacts lists what the probe found in the source, from the summary processing stored.
func sourceFacts(l *i18n.Localizer, v *video.Video) []sourceFact {
	si, ok := v.Source()
	if !ok {
		return nil
	}
	facts := []sourceFact{
		{l.T("video.edit.source_format"), si.Format},
		{l.T("video.edit.source_picture"), fmt.Sprintf("%d×%d", si.Width, si.Height)},
		{l.T("video.edit.source_codec"), si.Codec},
		{l.T("video.edit.source_frame_rate"), l.T("video.edit.fps", "rate", l.Number(math.Round(si.FrameRate*100)/100))},
		{l.T("video.edit.source_duration"), clock(time.Duration(si.DurationMS) * time.Millisecond)},
		{l.T("video.edit.source_size"), megabytes(l, si.Size)},
		{l.T("video.edit.source_audio"), l.N("video.edit.audio_streams", si.Audio)},
	}
	if si.BitRate > 0 {
		facts = append(facts, sourceFact{l.T("video.edit.source_bitrate"), l.T("video.edit.kbps", "rate", l.Number(si.BitRate/1000))})
	}
	return slices.DeleteFunc(facts, func(f sourceFact) bool { return f.Value == "" })
}

func (s *Server) adminVideoNew(w http.ResponseWriter, r *http.Request) {
	p := s.adminPage(w, r, "")
	vc, err := s.videoContext(r.Context(), p.L)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f := videoForm{State: video.StateDraft, OriginalLang: p.Lang, Zone: vc.zone.String()}
	s.renderVideo(w, r, http.StatusOK, f, nil, nil, "")
}

// loadVideo reads the video of the request's {id}, or renders why it cannot.
func (s *Server) loadVideo(w http.ResponseWriter, r *http.Request) (*video.Video, bool) {
	return loadRecord(s, w, r, video.Get)
}

func (s *Server) adminVideoEdit(w http.ResponseWriter, r *http.Request) {
	v, ok := s.loadVideo(w, r)
	if !ok {
		return
	}
	p := s.adminPage(w, r, "")
	vc, err := s.videoContext(r.Context(), p.L)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderVideo(w, r, http.StatusOK, videoFormOf(v, vc.zoneFor(v)), v, nil, "")
}

func (s *Server) adminVideoCreate(w http.ResponseWriter, r *http.Request) {
	s.saveVideo(w, r, videoFormFrom(r), nil)
}

func (s *Server) adminVideoUpdate(w http.ResponseWriter, r *http.Request) {
	stored, ok := s.loadVideo(w, r)
	if !ok {
		return
	}
	version, ok := s.formVersion(w, r)
	if !ok {
		return
	}
	f := videoFormFrom(r)
	f.ID, f.Version = stored.ID, version
	s.saveVideo(w, r, f, stored)
}

// saveVideo validates the form and saves it through video.Add or video.Edit, which audit it and
// enqueue the publication again when a scheduled video gets another time.
func (s *Server) saveVideo(w http.ResponseWriter, r *http.Request, f videoForm, stored *video.Video) {
	if f.rowAdded(r) {
		s.renderVideo(w, r, http.StatusOK, f, stored, nil, "")
		return
	}
	ctx := r.Context()
	l := s.cat.Localizer(s.adminLang(w, r))
	vc, err := s.videoContext(ctx, l)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v, errs := f.video(stored, vc.cities, vc.home, vc.partnerships, s.now())
	if len(errs) > 0 {
		s.renderVideo(w, r, http.StatusUnprocessableEntity, f, stored, errs, "")
		return
	}
	u := userFrom(r)
	err = s.db.InTx(ctx, func(tx *sql.Tx) error {
		if stored == nil {
			return video.Add(ctx, tx, v, u)
		}
		return video.Edit(ctx, tx, s.queue, v, u)
	})
	switch {
	case errors.Is(err, video.ErrStale):
		s.renderVideo(w, r, http.StatusConflict, f, stored, nil, "error.conflict")
	case err != nil:
		s.fail(w, r, err)
	case stored == nil:
		http.Redirect(w, r, fmt.Sprintf("/admin/videos/%d?notice=created", v.ID), http.StatusSeeOther)
	default:
		http.Redirect(w, r, fmt.Sprintf("/admin/videos/%d?notice=saved", v.ID), http.StatusSeeOther)
	}
}

// adminVideoState moves a video to another publishing state through video.Schedule (with the
// time typed beside the state, or the one stored) or video.Move, which check the workflow and
// the version the editor saw, enqueue the publication and audit the change. A refusal shows
// the video's page with the reason.
func (s *Server) adminVideoState(w http.ResponseWriter, r *http.Request) {
	stored, ok := s.loadVideo(w, r)
	if !ok {
		return
	}
	to := r.PostFormValue("state")
	version, ok := s.formVersion(w, r)
	if !ok {
		return
	}
	if !slices.Contains(video.States, to) {
		s.fail(w, r, badRequest())
		return
	}
	ctx := r.Context()
	change := video.Change{ID: stored.ID, Version: version, Actor: userFrom(r), Now: s.now()}
	var errs problem.Fields
	var at time.Time
	var err error
	if to == video.StateScheduled {
		sf := videoForm{ScheduledAt: formValue(r, "scheduled_at"), Zone: formValue(r, "zone")}
		at = sf.scheduleOf(&errs)
	}
	if len(errs) == 0 {
		err = s.db.InTx(ctx, func(tx *sql.Tx) error {
			switch to {
			case video.StateScheduled:
				return video.Schedule(ctx, tx, s.queue, change, at)
			case video.StatePublished:
				return video.Publish(ctx, tx, change)
			case video.StateWithdrawn:
				return video.Withdraw(ctx, tx, change)
			}
			return video.Move(ctx, tx, change, to)
		})
		if f, ok := problem.AsFields(err); ok {
			errs, err = f, nil
		}
	}
	showStored := func(status int, errs problem.Fields, key string) {
		// The state form's fields are named apart from the details form's on the same page.
		for i := range errs {
			errs[i].Field = "state_" + errs[i].Field
		}
		p := s.adminPage(w, r, "")
		vc, err := s.videoContext(ctx, p.L)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		current, err := video.Get(ctx, s.db.R, stored.ID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.renderVideo(w, r, status, videoFormOf(current, vc.zoneFor(current)), current, errs, key)
	}
	switch {
	case len(errs) > 0:
		showStored(http.StatusUnprocessableEntity, errs, "")
	case errors.Is(err, video.ErrReviewRequired):
		showStored(http.StatusUnprocessableEntity, nil, "video.move.review_refused")
	case errors.Is(err, video.ErrTransition):
		showStored(http.StatusUnprocessableEntity, nil, "video.error.transition")
	case errors.Is(err, video.ErrStale):
		showStored(http.StatusConflict, nil, "error.conflict")
	case err != nil:
		s.fail(w, r, err)
	case r.PostFormValue("return") == "edit":
		notice := "state"
		if to == video.StateScheduled {
			notice = "scheduled"
		}
		http.Redirect(w, r, fmt.Sprintf("/admin/videos/%d?notice=%s", stored.ID, notice), http.StatusSeeOther)
	default:
		http.Redirect(w, r, "/admin/videos?notice=state", http.StatusSeeOther)
	}
}

// encodeStaleAfter is how long an encode may stay silent before it counts as stalled.
func (s *Server) encodeStaleAfter() time.Duration {
	if s.cfg.EncodeStaleAfter > 0 {
		return s.cfg.EncodeStaleAfter
	}
	return video.DefaultStaleAfter
}

// adminVideoReprocess runs the processing of a video's source again (video.Reprocess), now,
// after it failed or while its run is stalled (no heartbeat for --encode-stale-after): the
// video waits again and a job is enqueued in the same transaction. A stalled run that is still alive somewhere loses
// its hold on the video and records nothing.
func (s *Server) adminVideoReprocess(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	ctx := r.Context()
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		return video.Reprocess(ctx, tx, s.queue, id, s.now().Add(-s.encodeStaleAfter()), userFrom(r))
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/admin/videos/%d?notice=reprocess", id), http.StatusSeeOther)
}

// videoStatusJSON is the processing status the admin pages poll. Every text in it is in the
// reader's language: the script only places it.
type videoStatusJSON struct {
	ID         int64  `json:"id"`
	Processing string `json:"processing"`
	Progress   int    `json:"progress"`
	Text       string `json:"text"`
	Failure    string `json:"failure,omitempty"`
	Detail     string `json:"detail,omitempty"`
	State      string `json:"state"`
	StateLabel string `json:"state_label"`
	Renditions int    `json:"renditions"`
	// Watch is the public watch page in the admin's language while the video is public.
	Watch string `json:"watch,omitempty"`
	// Done is true once nothing will change without someone acting: ready, failed or no source.
	Done bool `json:"done"`
}

func (s *Server) adminVideoStatus(w http.ResponseWriter, r *http.Request) {
	v, ok := s.loadVideo(w, r)
	if !ok {
		return
	}
	l := s.cat.Localizer(s.adminLang(w, r))
	pv := processingOf(l, v)
	st := videoStatusJSON{ID: v.ID, Processing: v.Processing, Progress: v.Progress, Text: pv.Text,
		Failure: pv.Failure, Detail: pv.Detail, State: v.State, StateLabel: l.T("video.state." + v.State),
		Renditions: len(v.Renditions), Done: !pv.Active}
	if v.Public() {
		st.Watch = "/" + l.Lang + "/videos/" + strconv.FormatInt(v.ID, 10)
	}
	writeJSON(w, http.StatusOK, l.Lang, st)
}

// adminVideoFile serves a stored output of any video to the admin, so that a poster or a
// rendition can be checked before the video is public.
func (s *Server) adminVideoFile(w http.ResponseWriter, r *http.Request) {
	if v, ok := s.loadVideo(w, r); ok {
		s.serveVideoFile(w, r, v, "private, max-age=3600")
	}
}
