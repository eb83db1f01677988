package web

import (
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"sistercity/internal/auth"
	"sistercity/internal/i18n"
	"sistercity/internal/messages"
	"sistercity/internal/problem"
	"sistercity/internal/video"
)

// The compilations of a call's video messages: the editor picks the approved video messages
// whose senders consented to the video, orders them and starts the job (messages.Compile);
// the page lists the compilations made, and names the message whose withdrawal makes one need
// making again.

func (s *Server) messageCompileRoutes() []route {
	return []route{
		{"GET /admin/messages/{id}/compilations", auth.RoleViewer, s.compilations},
		{"POST /admin/messages/{id}/compilations", auth.RoleEditor, s.compile},
		{"GET /admin/messages/{id}/export.zip", auth.RoleEditor, s.messageExport},
		{"POST /admin/messages/{id}/order", auth.RoleEditor, s.messageOrder},
	}
}

// CompileDeps are the dependencies of the compilation worker for the catalog cat.
func CompileDeps(cat *i18n.Catalog, base messages.CompileDeps) messages.CompileDeps {
	base.Langs = cat.Languages()
	for _, l := range base.Langs {
		if l != "en" {
			base.CardLangs = append(base.CardLangs, l)
		}
	}
	base.Text = func(lang, key string, args ...any) string { return cat.Localizer(lang).T(key, args...) }
	return base
}

type compileCandidate struct {
	M    *messages.Message
	Name string
}

type compilationRow struct {
	C      *messages.Compilation
	Status string
	Video  string
	Stale  string
}

// compileEnd is a video the editor may put first or last in a compilation.
type compileEnd struct {
	ID    int64
	Title string
}

// compileEnds are the videos that may open or close a compilation: the office's own processed
// videos (not citizens' messages), the newest first.
func (s *Server) compileEnds(r *http.Request, lang string) ([]compileEnd, error) {
	ctx := r.Context()
	vs, _, err := video.List(ctx, s.db.R, video.Filter{Limit: 500})
	if err != nil {
		return nil, err
	}
	mine, err := messages.MessageVideos(ctx, s.db.R)
	if err != nil {
		return nil, err
	}
	var out []compileEnd
	for _, v := range vs {
		if v.Processed() && !mine[v.ID] {
			out = append(out, compileEnd{ID: v.ID, Title: v.Title(lang)})
		}
	}
	return out, nil
}

// compileCandidates are the call's approved video messages with consent to the video and a
// processed video, in the call's order.
func (s *Server) compileCandidates(r *http.Request, callID int64) ([]*messages.Message, error) {
	ctx := r.Context()
	ms, err := messages.List(ctx, s.db.R, callID, messages.StatusApproved)
	if err != nil {
		return nil, err
	}
	var out []*messages.Message
	for _, m := range ms {
		if m.VideoID == 0 || !m.Gave(messages.PurposeVideo) {
			continue
		}
		v, err := video.Get(ctx, s.db.R, m.VideoID)
		if err != nil {
			return nil, err
		}
		if v.Processed() {
			out = append(out, m)
		}
	}
	messages.SortCurated(out)
	return out, nil
}

func (s *Server) compilations(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	c, ok := s.pathCall(w, r)
	if !ok {
		return
	}
	id := c.ID
	cands, err := s.compileCandidates(r, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	cs, err := messages.Compilations(ctx, s.db.R, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := s.adminPage(w, r, "messages2.compile.title")
	var rows []compilationRow
	for _, cm := range cs {
		row := compilationRow{C: cm, Status: p.L.T("messages2.compile." + cm.Status)}
		if cm.VideoID != 0 {
			row.Video = fmt.Sprintf("/admin/videos/%d", cm.VideoID)
		}
		if cm.StaleMessage != 0 {
			row.Stale = p.L.T("messages2.compile.stale", "number", cm.StaleMessage)
		}
		rows = append(rows, row)
	}
	var list []compileCandidate
	for _, m := range cands {
		name := m.Name
		if name == "" {
			name = p.L.T("messages.anonymous")
		}
		list = append(list, compileCandidate{M: m, Name: name})
	}
	ends, err := s.compileEnds(r, p.Lang)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	showNotice(p, r, noticeSet{"started": "messages2.compile.started"})
	p.Data = struct {
		Call       *messages.Call
		Title      string
		Candidates []compileCandidate
		Ends       []compileEnd
		Rows       []compilationRow
		CanEdit    bool
	}{c, c.Text(p.Lang).Title, list, ends, rows, p.User.Role.AtLeast(auth.RoleEditor)}
	s.render(w, r, http.StatusOK, "admin/message-compile", p)
}

func (s *Server) compile(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	if _, err := messages.GetCall(ctx, s.db.R, id); err != nil {
		s.fail(w, r, err)
		return
	}
	cands, err := s.compileCandidates(r, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	type pick struct {
		id    int64
		order int
	}
	var picks []pick
	for _, v := range r.PostForm["include"] {
		mid, ok := parseID(v)
		if !ok || !slices.ContainsFunc(cands, func(m *messages.Message) bool { return m.ID == mid }) {
			s.fail(w, r, problem.New(http.StatusUnprocessableEntity, "messages2.compile.nothing"))
			return
		}
		order, err := strconv.Atoi(r.PostFormValue("order_" + v))
		if err != nil || order < 0 || order > 10000 {
			order = 10000
		}
		if !slices.ContainsFunc(picks, func(p pick) bool { return p.id == mid }) {
			picks = append(picks, pick{mid, order})
		}
	}
	if len(picks) == 0 {
		s.fail(w, r, problem.New(http.StatusUnprocessableEntity, "messages2.compile.nothing"))
		return
	}
	// The intro and the outro, each one of the videos the form offers, or none.
	var intro, outro int64
	if r.PostFormValue("intro") != "" || r.PostFormValue("outro") != "" {
		ends, err := s.compileEnds(r, "")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		for _, f := range []struct {
			name string
			id   *int64
		}{{"intro", &intro}, {"outro", &outro}} {
			v := r.PostFormValue(f.name)
			if v == "" {
				continue
			}
			vid, ok := parseID(v)
			if !ok || !slices.ContainsFunc(ends, func(e compileEnd) bool { return e.ID == vid }) {
				s.fail(w, r, problem.New(http.StatusUnprocessableEntity, "messages3.error."+f.name))
				return
			}
			*f.id = vid
		}
	}
	slices.SortStableFunc(picks, func(a, b pick) int { return a.order - b.order })
	ids := make([]int64, len(picks))
	for i, p := range picks {
		ids[i] = p.id
	}
	err = s.db.InTx(ctx, func(tx *sql.Tx) error {
		c, err := messages.CreateCompilation(ctx, tx, id, ids, intro, outro, s.now())
		if err != nil {
			return err
		}
		if err := messages.EnqueueCompilation(ctx, tx, s.queue, c.ID); err != nil {
			return err
		}
		return auth.Audit(ctx, tx, userFrom(r), auth.ActionCreate, auth.EntityMessageCall, id, nil,
			map[string]any{"compilation": c.ID, "messages": ids, "intro": intro, "outro": outro})
	})
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			err = problem.New(http.StatusNotFound, "error.not_found")
		}
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/admin/messages/%d/compilations?notice=started", id), http.StatusSeeOther)
}

// messageOrder saves how the call's page orders its approved messages: the newest first, or
// the editors' order (a place per message, the smallest first; those without one after).
func (s *Server) messageOrder(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	ms, err := messages.List(ctx, s.db.R, id, messages.StatusApproved)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	type placed struct {
		id    int64
		place int
	}
	var ps []placed
	for _, m := range ms {
		v := r.PostFormValue("position_" + strconv.FormatInt(m.ID, 10))
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10000 {
			s.fail(w, r, problem.New(http.StatusUnprocessableEntity, "messages2.error.position"))
			return
		}
		ps = append(ps, placed{m.ID, n})
	}
	slices.SortStableFunc(ps, func(a, b placed) int { return a.place - b.place })
	ids := make([]int64, len(ps))
	for i, p := range ps {
		ids[i] = p.id
	}
	curated := r.PostFormValue("order") == "curated"
	err = s.db.InTx(ctx, func(tx *sql.Tx) error {
		if _, err := messages.GetCall(ctx, tx, id); err != nil {
			return err
		}
		if err := messages.SetCurated(ctx, tx, id, curated); err != nil {
			return err
		}
		if err := messages.SetOrder(ctx, tx, id, ids); err != nil {
			return err
		}
		return auth.Audit(ctx, tx, userFrom(r), auth.ActionUpdate, auth.EntityMessageCall, id, nil,
			map[string]any{"curated": curated, "order": ids})
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/admin/messages/%d/queue?notice=ordered", id), http.StatusSeeOther)
}
