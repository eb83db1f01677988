package web

import (
	"database/sql"
	"errors"
	"math"
	"net/http"
	"strconv"

	"sistercity/internal/auth"
	"sistercity/internal/db"
	"sistercity/internal/i18n"
	"sistercity/internal/problem"
	"sistercity/internal/track"
	"sistercity/internal/video"
)

// versionRoutes are the burned-in language versions of a video: the page listing each approved
// track with the state of its burned MP4, the request to burn (or burn again), and the
// download of the file; and the import of subtitle streams from the video's file
// (admin_streams.go), the other way a track comes from the video itself.
func (s *Server) versionRoutes() []route {
	return append([]route{
		{"GET /admin/videos/{id}/versions", auth.RoleViewer, s.adminVersions},
		{"POST /admin/tracks/{id}/burn", auth.RoleEditor, s.adminTrackBurn},
		{"GET /admin/tracks/{id}/burn.mp4", auth.RoleViewer, s.adminTrackBurnFile},
	}, s.streamRoutes()...)
}

// versionsNotices are the notices of the versions page.
var versionsNotices = noticeSet{"requested": "versions.notice.requested"}

// versionRow is one approved track and its burned-in version.
type versionRow struct {
	T        *track.Track
	LangName string
	// State is "none", a track.Burn… status, or "outdated" for a ready file of an older text.
	State    string
	Text     string // the state in words
	Failure  string // ffmpeg's words, for the administrator
	File     string // download name, when a file is stored
	Size     string
	Button   string // "burn" or "burn again"
	Active   bool
	Download string
}

type versionsPageData struct {
	Video     *video.Video
	Rows      []versionRow
	CanEdit   bool
	HasVideo  bool // processed or at least uploaded: something to burn into
	Active    bool // a burn is waiting or running: the page refreshes itself
	Problem   string
	TracksURL string
}

// versionFileName names a burned-in version for download: "video-12-ko.mp4".
func versionFileName(videoID int64, lang string) string {
	return "video-" + strconv.FormatInt(videoID, 10) + "-" + lang + ".mp4"
}

func versionRowOf(l *i18n.Localizer, t *track.Track, b *track.Burn) versionRow {
	row := versionRow{T: t, LangName: langName(l, t.Lang), State: "none", Button: l.T("versions.burn")}
	if b == nil {
		row.Text = l.T("versions.status.none")
		return row
	}
	row.State, row.Active = b.Status, b.Active()
	switch {
	case b.Status == track.BurnProcessing:
		row.Text = l.T("versions.status.processing", "percent", b.Progress)
	case b.Status == track.BurnFailed:
		row.Text, row.Failure = l.T("versions.status.failed"), b.Failure
	case b.Outdated(t):
		row.State, row.Text = "outdated", l.T("versions.status.outdated")
	default: // waiting or ready
		row.Text = l.T("versions.status." + b.Status)
	}
	if b.StorageKey != "" {
		row.File = versionFileName(t.VideoID, t.Lang)
		row.Size = l.T("versions.size", "size", math.Round(float64(b.Size)/(1<<20)*10)/10)
		row.Download = "/admin/tracks/" + strconv.FormatInt(t.ID, 10) + "/burn.mp4"
		row.Button = l.T("versions.burn_again")
	}
	return row
}

func (s *Server) adminVersions(w http.ResponseWriter, r *http.Request) {
	s.renderVersions(w, r, http.StatusOK, "")
}

// renderVersions shows the versions page of the video in the path, with problem (a catalog
// key) above it when a request was refused.
func (s *Server) renderVersions(w http.ResponseWriter, r *http.Request, status int, problemKey string) {
	v, ok := s.loadVideo(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	tracks, err := track.ForVideo(ctx, s.db.R, v.ID, true)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	burns, err := track.BurnsForVideo(ctx, s.db.R, v.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := s.adminPage(w, r, "")
	l := p.L
	p.Title = l.T("versions.title", "title", v.Title(l.Lang))
	showNotice(p, r, versionsNotices)
	data := versionsPageData{Video: v, CanEdit: canEdit(r), HasVideo: len(v.Renditions) > 0 || v.SourceKey != "",
		TracksURL: "/admin/videos/" + strconv.FormatInt(v.ID, 10) + "/tracks"}
	if problemKey != "" {
		data.Problem = l.T(problemKey)
	}
	for _, t := range tracks {
		row := versionRowOf(l, t, burns[t.ID])
		data.Active = data.Active || row.Active
		data.Rows = append(data.Rows, row)
	}
	p.Data = data
	s.render(w, r, status, "admin/versions", p)
}

// burnRecord is what the audit log keeps of a burn request.
type burnRecord struct {
	TrackID int64  `json:"track_id"`
	Lang    string `json:"lang"`
	Version int64  `json:"track_version"`
}

func (s *Server) adminTrackBurn(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	ctx := r.Context()
	var videoID int64
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		t, err := track.Get(ctx, tx, id)
		if err != nil {
			return err
		}
		videoID = t.VideoID
		v, err := video.Get(ctx, tx, t.VideoID)
		if err != nil {
			return err
		}
		if len(v.Renditions) == 0 && v.SourceKey == "" {
			return problem.New(http.StatusConflict, "versions.error.no_video")
		}
		if err := track.RequestBurn(ctx, tx, s.queue, t, s.now()); err != nil {
			return err
		}
		return auth.Audit(ctx, tx, userFrom(r), auth.ActionBurn, auth.EntitySubtitleTrack, t.ID, nil, burnRecord{t.ID, t.Lang, t.Version})
	})
	switch {
	case errors.Is(err, track.ErrNotApproved):
		r.SetPathValue("id", strconv.FormatInt(videoID, 10))
		s.renderVersions(w, r, http.StatusConflict, "versions.error.not_approved")
		return
	case err != nil:
		var pe *problem.Error
		if errors.As(err, &pe) && videoID != 0 {
			r.SetPathValue("id", strconv.FormatInt(videoID, 10))
			s.renderVersions(w, r, pe.Status, pe.Msg.Key)
			return
		}
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/videos/"+strconv.FormatInt(videoID, 10)+"/versions?notice=requested#track-"+strconv.FormatInt(id, 10),
		http.StatusSeeOther)
}

func (s *Server) adminTrackBurnFile(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	ctx := r.Context()
	t, err := track.Get(ctx, s.db.R, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	b, err := track.GetBurn(ctx, s.db.R, id)
	if err == nil && b.StorageKey == "" {
		err = db.ErrNotFound
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.sendAttachment(w, r, b.StorageKey, "video/mp4", versionFileName(t.VideoID, t.Lang), b.UpdatedAt)
}
