package web

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"syscall"
	"testing"

	"sistercity/internal/blob"
	"sistercity/internal/db"
	"sistercity/internal/exchange"
	"sistercity/internal/i18n"
	"sistercity/internal/milestone"
	"sistercity/internal/problem"
	"sistercity/internal/register"
	"sistercity/internal/track"
	"sistercity/internal/video"
)

// TestClassify: every package's conflict of versions is one db.ErrStale and one 409, and each
// domain error a handler may pass on gets its status and a message every catalog has.
func TestClassify(t *testing.T) {
	t.Parallel()
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		err    error
		status int
		key    string
	}{
		{fmt.Errorf("register: update city 3: %w", register.ErrStale), http.StatusConflict, "error.conflict"},
		{exchange.ErrStale, http.StatusConflict, "error.conflict"},
		{milestone.ErrStale, http.StatusConflict, "error.conflict"},
		{video.ErrStale, http.StatusConflict, "error.conflict"},
		{track.ErrStale, http.StatusConflict, "tracks.error.stale"},
		{fmt.Errorf("db: cities 9: %w", db.ErrNotFound), http.StatusNotFound, "error.not_found"},
		{track.ErrTransition, http.StatusConflict, "tracks.error.transition"},
		{track.ErrNotEditable, http.StatusConflict, "tracks.error.transition"},
		{track.ErrBlocked, http.StatusUnprocessableEntity, "tracks.error.blocked"},
		{video.ErrTransition, http.StatusConflict, "video.error.transition"},
		{problem.New(http.StatusGone, "error.not_found"), http.StatusGone, "error.not_found"},
		{&http.MaxBytesError{Limit: 1}, http.StatusRequestEntityTooLarge, "error.too_large"},
		{problem.Fields{{Field: "name", Msg: i18n.M("validation.required")}}, http.StatusUnprocessableEntity, "validation.required"},
		{errors.New("disk on fire"), http.StatusInternalServerError, "error.internal"},
		{fmt.Errorf("blob: stat videos/1/a.mp4: %w", blob.Classify(&net.OpError{Op: "dial", Err: syscall.ECONNREFUSED})),
			http.StatusServiceUnavailable, "error.storage_unavailable"},
	} {
		status, msg := classify(c.err)
		if status != c.status || msg.Key != c.key {
			t.Errorf("classify(%v) = %d %s, want %d %s", c.err, status, msg.Key, c.status, c.key)
		}
		for _, lang := range cat.Languages() {
			if !slices.Contains(cat.Keys(lang), c.key) {
				t.Errorf("%s: no message %s", lang, c.key)
			}
		}
	}
	for _, stale := range []error{register.ErrStale, exchange.ErrStale, milestone.ErrStale, video.ErrStale, track.ErrStale} {
		if !errors.Is(stale, db.ErrStale) {
			t.Errorf("%v is not a db.ErrStale", stale)
		}
	}
}

// TestAutosaveError: the cue editor's autosave keeps its own words for a conflict (the typed
// text stays on the page); everything else is classified as on any page.
func TestAutosaveError(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		err    error
		status int
		key    string
	}{
		{fmt.Errorf("track: update 4: %w", track.ErrStale), http.StatusConflict, "translate.error.stale"},
		{track.ErrNotEditable, http.StatusConflict, "translate.error.not_editable"},
		{track.ErrTransition, http.StatusConflict, "tracks.error.transition"},
		{fmt.Errorf("db: subtitle_tracks 9: %w", db.ErrNotFound), http.StatusNotFound, "error.not_found"},
	} {
		status, msg := classify(autosaveError(c.err))
		if status != c.status || msg.Key != c.key {
			t.Errorf("autosave %v = %d %s, want %d %s", c.err, status, msg.Key, c.status, c.key)
		}
	}
}
