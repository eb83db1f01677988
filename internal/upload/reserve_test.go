package upload

import (
	"context"
	"database/sql"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"sistercity/internal/auth"
	"sistercity/internal/video"
)

// TestReservationsPerUser: one user's unfinished uploads may declare only so much together;
// another user is not held back by them, and a cancelled upload frees its reservation.
func TestReservationsPerUser(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.ReservePerUser = 3000 })
	v := e.newVideo(video.StateDraft)
	first := e.create(v.ID, 2000)
	try := func(lang string) *http.Response {
		return e.do("POST", "/uploads/", map[string]string{"Upload-Length": "2000", "Accept-Language": lang,
			"Upload-Metadata": meta("video", strconv.FormatInt(v.ID, 10), "filename", "b.mp4")}, nil)
	}
	for lang, want := range map[string]string{
		"en": "Your unfinished uploads already reserve 2 KB; with this file (2 KB) they would go over your limit of 2.9 KB.",
		"ru": "Незавершённые загрузки уже занимают 2\u00a0КБ",
		"ko": "이미 2KB만큼 공간을 차지하고",
	} {
		resp := try(lang)
		if body := text(resp); resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(body, want) {
			t.Errorf("%s: a second reservation over the limit: %d %q, want 413 with %q", lang, resp.StatusCode, body, want)
		}
	}
	// A byte received does not make the declared size count less.
	e.patch(first, 0, make([]byte, 1000))
	if resp := try("en"); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("with the first upload half sent: %d, want 413", resp.StatusCode)
	}

	// Another editor has a reservation of their own.
	boris := e.editor
	err := e.db.InTx(context.Background(), func(tx *sql.Tx) (err error) {
		e.editor, err = auth.CreateUser(context.Background(), tx, "ana", "", "correct horse battery", auth.RoleEditor)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp := try("en"); resp.StatusCode != http.StatusCreated {
		t.Errorf("another editor: %d %q, want 201", resp.StatusCode, text(resp))
	}

	// Cancelling the first upload frees boris's reservation.
	e.editor = boris
	if resp := e.do("DELETE", first, nil, nil); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("DELETE: %d", resp.StatusCode)
	}
	if resp := try("en"); resp.StatusCode != http.StatusCreated {
		t.Errorf("after cancelling: %d %q, want 201", resp.StatusCode, text(resp))
	}
}

// TestIdleUploadsExpire: an upload that has received no byte for IdleExpiry is deleted, long
// before Expiry; one that has received bytes is kept to resume, and so is a recent one.
func TestIdleUploadsExpire(t *testing.T) {
	now := time.Now()
	e := newEnv(t, func(o *Options) {
		o.Expiry, o.IdleExpiry, o.ReservePerUser = 24*time.Hour, 2*time.Hour, 5000
		o.Now = func() time.Time { return now }
	})
	v := e.newVideo(video.StateDraft)
	idle := e.create(v.ID, 2000)
	started := e.create(v.ID, 2000)
	e.patch(started, 0, make([]byte, 10))
	past := now.Add(-3 * time.Hour)
	for _, path := range []string{idle, started} {
		for _, name := range []string{filepath.Base(path), filepath.Base(path) + ".info"} {
			if err := os.Chtimes(filepath.Join(e.opts.Dir, name), past, past); err != nil {
				t.Fatal(err)
			}
		}
	}
	recent := e.create(v.ID, 500)

	if err := e.h.SweepIdle(context.Background()); err != nil {
		t.Fatal(err)
	}
	if resp := e.do("HEAD", idle, nil, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("HEAD of the idle upload: %d, want 404", resp.StatusCode)
	}
	for _, name := range []string{filepath.Base(idle), filepath.Base(idle) + ".info"} {
		if _, err := os.Stat(filepath.Join(e.opts.Dir, name)); !os.IsNotExist(err) {
			t.Errorf("%s of the idle upload: still there (%v)", name, err)
		}
	}
	if got := e.head(started); got != 10 {
		t.Errorf("the started upload: offset %d, want 10 (kept)", got)
	}
	if got := e.head(recent); got != 0 {
		t.Errorf("the recent upload: offset %d, want 0 (kept)", got)
	}
}

// TestIdleReservationDoesNotBlock: a reservation gone idle does not count when the user starts
// another upload, even before a sweep has run: it is deleted then.
func TestIdleReservationDoesNotBlock(t *testing.T) {
	now := time.Now()
	e := newEnv(t, func(o *Options) {
		o.IdleExpiry, o.ReservePerUser = 2*time.Hour, 3000
		o.Now = func() time.Time { return now }
	})
	v := e.newVideo(video.StateDraft)
	idle := e.create(v.ID, 2000)
	past := now.Add(-3 * time.Hour)
	if err := os.Chtimes(filepath.Join(e.opts.Dir, filepath.Base(idle)), past, past); err != nil {
		t.Fatal(err)
	}
	e.create(v.ID, 2000)
	if resp := e.do("HEAD", idle, nil, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("HEAD of the idle upload: %d, want 404", resp.StatusCode)
	}
}
