package web

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"sistercity/internal/auth"
	"sistercity/internal/blob"
	"sistercity/internal/media"
	"sistercity/internal/problem"
	"sistercity/internal/track"
	"sistercity/internal/video"
)

// streamRoutes are the subtitle streams inside a video's uploaded file (MKV, MP4, MOV): the
// list found by probing, and the import of one as a draft track.
func (s *Server) streamRoutes() []route {
	return []route{
		{"GET /admin/videos/{id}/streams", auth.RoleViewer, s.adminStreams},
		{"POST /admin/videos/{id}/streams/{index}/import", auth.RoleEditor, s.adminStreamImport},
	}
}

// streamWork bounds the work on a source for the streams pages: copying a large file out of
// the store and ffmpeg's pass over it.
const streamWork = 5 * time.Minute

// streamRow is one subtitle stream of the source.
type streamRow struct {
	S          video.SubtitleStream
	Lang       string // BCP 47, from the tag
	LangName   string
	Flags      string
	Importable bool
	Reason     string // why it cannot be imported
	Imported   []*track.Track
}

type streamsPageData struct {
	Video     *video.Video
	Rows      []streamRow
	CanEdit   bool
	NoSource  bool
	Unread    bool // the source could not be examined
	Problem   string
	TracksURL string
}

// streamOrigin is the Origin of a track imported from stream s.
func streamOrigin(s video.SubtitleStream) string {
	return "stream " + strconv.Itoa(s.Index) + " (" + s.Codec + ")"
}

// sourceStreams returns the subtitle streams of v's source: those processing recorded, or, for
// a video processed before they were recorded, what probing the stored source finds.
func (s *Server) sourceStreams(ctx context.Context, v *video.Video) ([]video.SubtitleStream, error) {
	if streams, ok := v.RecordedSubtitles(); ok {
		return streams, nil
	}
	dir, err := s.streamWorkDir(v)
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithTimeout(ctx, streamWork)
	defer cancel()
	_, info, err := video.FetchSource(ctx, s.docs, v, dir)
	if err != nil {
		return nil, err
	}
	return video.SubtitlesOf(info), nil
}

// streamWorkDir is the temporary directory of work on v's source, in the data directory.
func (s *Server) streamWorkDir(v *video.Video) (string, error) {
	base := s.streamTempRoot()
	if err := os.MkdirAll(base, 0o750); err != nil {
		return "", err
	}
	return os.MkdirTemp(base, "streams-"+strconv.FormatInt(v.ID, 10)+"-")
}

func (s *Server) streamTempRoot() string { return filepath.Join(s.cfg.DataDir, "tmp") }

func (s *Server) adminStreams(w http.ResponseWriter, r *http.Request) {
	s.renderStreams(w, r, http.StatusOK, "")
}

func (s *Server) renderStreams(w http.ResponseWriter, r *http.Request, status int, problemKey string) {
	v, ok := s.loadVideo(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	tracks, err := track.ForVideo(ctx, s.db.R, v.ID, false)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := s.adminPage(w, r, "")
	l := p.L
	p.Title = l.T("streams.title", "title", v.Title(l.Lang))
	data := streamsPageData{Video: v, CanEdit: canEdit(r), NoSource: v.SourceKey == "",
		TracksURL: "/admin/videos/" + strconv.FormatInt(v.ID, 10) + "/tracks"}
	if problemKey != "" {
		data.Problem = l.T(problemKey)
	}
	if !data.NoSource {
		streams, err := s.sourceStreams(ctx, v)
		if err != nil {
			s.log.Warn("streams: examining the source", "video", v.ID, "err", err)
			data.Unread = true
		}
		for _, st := range streams {
			lang := track.StreamLanguage(st.Language)
			row := streamRow{S: st, Lang: lang, LangName: langName(l, lang), Importable: st.Text()}
			if lang == "und" {
				row.LangName = l.T("streams.lang_unknown")
			}
			var flags []string
			if st.Default {
				flags = append(flags, l.T("streams.flag.default"))
			}
			if st.Forced {
				flags = append(flags, l.T("streams.flag.forced"))
			}
			row.Flags = strings.Join(flags, ", ")
			if !row.Importable {
				row.Reason = l.T("streams.error.bitmap")
			}
			for _, t := range tracks {
				if t.Origin == streamOrigin(st) {
					row.Imported = append(row.Imported, t)
				}
			}
			data.Rows = append(data.Rows, row)
		}
	}
	p.Data = data
	s.render(w, r, status, "admin/streams", p)
}

// streamRecord is what the audit log keeps of an imported stream.
type streamRecord struct {
	Lang   string `json:"lang"`
	Kind   string `json:"kind"`
	Label  string `json:"label"`
	Origin string `json:"origin"`
	Cues   int    `json:"cues"`
}

func (s *Server) adminStreamImport(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	index, err := strconv.Atoi(r.PathValue("index"))
	if !ok || err != nil || index < 0 {
		s.notFound(w, r)
		return
	}
	ctx := r.Context()
	v, err := video.Get(ctx, s.db.R, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if v.SourceKey == "" {
		s.renderStreams(w, r, http.StatusConflict, "streams.error.no_source")
		return
	}
	// What processing recorded answers for a bitmap stream without copying the source.
	if streams, ok := v.RecordedSubtitles(); ok {
		for _, st := range streams {
			if st.Index == index && !st.Text() {
				s.renderStreams(w, r, http.StatusUnprocessableEntity, "streams.error.bitmap")
				return
			}
		}
	}
	wctx, cancel := context.WithTimeout(ctx, streamWork)
	defer cancel()
	t, err := track.FromStream(wctx, s.docs, s.streamTempRoot(), v, index)
	if err != nil {
		var me *media.Error
		switch {
		case errors.Is(err, track.ErrNoStream):
			s.renderStreams(w, r, http.StatusNotFound, "streams.error.no_stream")
		case errors.Is(err, track.ErrBitmapStream):
			s.renderStreams(w, r, http.StatusUnprocessableEntity, "streams.error.bitmap")
		case errors.Is(err, track.ErrStreamUnreadable), errors.As(err, &me):
			s.log.Warn("streams: import", "video", id, "stream", index, "err", err)
			s.renderStreams(w, r, http.StatusUnprocessableEntity, "streams.error.unreadable")
		case errors.Is(err, blob.ErrNotFound):
			s.renderStreams(w, r, http.StatusConflict, "streams.error.no_source")
		default:
			var pe *problem.Error
			if errors.As(err, &pe) {
				s.renderStreams(w, r, pe.Status, pe.Msg.Key)
				return
			}
			s.fail(w, r, err)
		}
		return
	}
	err = s.change(r, auth.ActionCreate, auth.EntitySubtitleTrack, func(tx *sql.Tx) (int64, any, any, error) {
		if _, err := video.Get(ctx, tx, id); err != nil {
			return 0, nil, nil, err // deleted meanwhile
		}
		err := track.Create(ctx, tx, t)
		return t.ID, nil, streamRecord{t.Lang, string(t.Kind), t.Label, t.Origin, t.CueCount}, err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/videos/"+strconv.FormatInt(id, 10)+"/tracks?notice=imported#track-"+strconv.FormatInt(t.ID, 10),
		http.StatusSeeOther)
}
