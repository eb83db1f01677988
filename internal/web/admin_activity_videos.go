package web

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"sistercity/internal/auth"
	"sistercity/internal/exchange"
	"sistercity/internal/i18n"
	"sistercity/internal/problem"
	"sistercity/internal/video"
)

// activityVideoRecord is a link between an activity and a video as the audit log keeps it.
type activityVideoRecord struct {
	ActivityID int64 `json:"activity_id"`
	VideoID    int64 `json:"video_id"`
}

// videoOptions lists the videos an activity may still be linked to, titled in the editor's
// language; those already linked are left out.
func (s *Server) videoOptions(ctx context.Context, l *i18n.Localizer, linked []exchange.VideoRef) ([]option, error) {
	all, _, err := video.List(ctx, s.db.R, video.Filter{})
	if err != nil {
		return nil, err
	}
	var out []option
	for _, v := range all {
		if slices.ContainsFunc(linked, func(r exchange.VideoRef) bool { return r.ID == v.ID }) {
			continue
		}
		label := v.Title(l.Lang)
		if v.State != video.StatePublished {
			label = l.T("admin.activities.video_option", "title", label, "state", l.T("video.state."+v.State))
		}
		out = append(out, option{Value: strconv.FormatInt(v.ID, 10), Label: label})
	}
	return out, nil
}

// activityVideoLink links the chosen video to the activity, audited.
func (s *Server) activityVideoLink(w http.ResponseWriter, r *http.Request) {
	aid, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	vid, ok := formID(r, "video")
	if !ok {
		s.fail(w, r, problem.New(http.StatusUnprocessableEntity, "admin.activities.video_required"))
		return
	}
	ctx := r.Context()
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		made, err := exchange.LinkVideo(ctx, tx, aid, vid)
		if err != nil || !made {
			return err
		}
		return auth.Audit(ctx, tx, userFrom(r), auth.ActionCreate, auth.EntityActivityVideo, aid, nil, activityVideoRecord{aid, vid})
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/admin/activities/%d?notice=saved#videos", aid), http.StatusSeeOther)
}

// activityVideoUnlink removes the link between the activity and a video, audited.
func (s *Server) activityVideoUnlink(w http.ResponseWriter, r *http.Request) {
	aid, ok1 := pathID(r, "id")
	vid, ok2 := pathID(r, "video")
	if !ok1 || !ok2 {
		s.notFound(w, r)
		return
	}
	ctx := r.Context()
	err := s.change(r, auth.ActionDelete, auth.EntityActivityVideo, func(tx *sql.Tx) (int64, any, any, error) {
		return aid, activityVideoRecord{aid, vid}, nil, exchange.UnlinkVideo(ctx, tx, aid, vid)
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/admin/activities/%d?notice=deleted#videos", aid), http.StatusSeeOther)
}
