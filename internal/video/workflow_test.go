package video

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"sistercity/internal/auth"
	"sistercity/internal/auth/authtest"
	"sistercity/internal/db"
	"sistercity/internal/jobs"
	"sistercity/internal/problem"
)

// workflowFixture is a database, a queue that only takes jobs, and an editor.
type workflowFixture struct {
	deps   Deps
	q      *jobs.Queue
	editor *auth.User
	now    time.Time
}

func newWorkflowFixture(t *testing.T) *workflowFixture {
	t.Helper()
	f := &workflowFixture{deps: newDeps(t), now: time.Now().UTC().Truncate(time.Second)}
	f.q = insertOnly(t, f.deps)
	err := f.deps.DB.InTx(context.Background(), func(tx *sql.Tx) (err error) {
		f.editor, err = auth.CreateUser(context.Background(), tx, "editor", "", "correct horse battery", auth.RoleEditor)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// video stores a video in state with what processing records (a rendition, ready), without
// running ffmpeg; with processed false it has no renditions and no source.
func (f *workflowFixture) video(t *testing.T, state string, processed bool) *Video {
	t.Helper()
	ctx := context.Background()
	v := &Video{OriginalLang: "ru", State: state, Texts: []Text{{Lang: "ru", Title: "Видео"}}}
	err := f.deps.DB.InTx(ctx, func(tx *sql.Tx) error {
		if err := Create(ctx, tx, v); err != nil {
			return err
		}
		if !processed {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO video_renditions (video_id, lines, width, height, size, bitrate, storage_key)
			VALUES ($1, 360, 640, 360, 1000, 4000, 'videos/x/a-360p.mp4')`, v.ID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE videos SET processing = $1, source_key = 'sources/x.mp4' WHERE id = $2`, ProcReady, v.ID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return f.get(t, v.ID)
}

func (f *workflowFixture) get(t *testing.T, id int64) *Video {
	t.Helper()
	v, err := Get(context.Background(), f.deps.DB.R, id)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// change is a change of v asked for by the editor from the version v holds.
func (f *workflowFixture) change(v *Video) Change {
	return Change{ID: v.ID, Version: v.Version, Actor: f.editor, Now: f.now}
}

func (f *workflowFixture) inTx(fn func(ctx context.Context, tx *sql.Tx) error) error {
	return f.deps.DB.InTx(context.Background(), func(tx *sql.Tx) error { return fn(context.Background(), tx) })
}

// jobsFor counts the jobs of kind queued for video id.
func (f *workflowFixture) jobsFor(t *testing.T, kind string, id int64) int {
	t.Helper()
	// River keeps the arguments as JSONB: SQLite's json() gives them back as text.
	args := "json(args)"
	if f.deps.DB.Dialect == db.Postgres {
		args = "args::text"
	}
	rows, err := f.deps.DB.R.QueryContext(context.Background(), "SELECT "+args+" FROM river_job WHERE kind = $1", kind)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var raw []byte
		var args struct {
			VideoID int64 `json:"video_id"`
		}
		if err := rows.Scan(&raw); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, &args); err != nil {
			t.Fatal(err)
		}
		if args.VideoID == id {
			n++
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return n
}

// audits lists video id's audit entries, newest first.
func (f *workflowFixture) audits(t *testing.T, id int64) []auth.AuditEntry {
	t.Helper()
	all, err := authtest.AuditLog(context.Background(), f.deps.DB.R, auth.EntityVideo, 100, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []auth.AuditEntry
	for _, e := range all {
		if e.EntityID == id {
			out = append(out, e)
		}
	}
	return out
}

// TestScheduleEnqueuesPublication: scheduling sets the time, moves the video and enqueues its
// publication in one transaction, audited; a refused schedule changes and enqueues nothing.
func TestScheduleEnqueuesPublication(t *testing.T) {
	t.Parallel()
	f := newWorkflowFixture(t)
	at := f.now.Add(time.Hour)

	t.Run("scheduled", func(t *testing.T) {
		v := f.video(t, StateInReview, true)
		if err := f.inTx(func(ctx context.Context, tx *sql.Tx) error { return Schedule(ctx, tx, f.q, f.change(v), at) }); err != nil {
			t.Fatal(err)
		}
		got := f.get(t, v.ID)
		if got.State != StateScheduled || !got.ScheduledAt.Equal(at) {
			t.Errorf("state %s at %v", got.State, got.ScheduledAt)
		}
		if n := f.jobsFor(t, PublishArgs{}.Kind(), v.ID); n != 1 {
			t.Errorf("%d publication jobs, want 1", n)
		}
		var before, after StateRecord
		a := f.audits(t, v.ID)
		if len(a) != 1 || a[0].Action != auth.ActionState || a[0].UserID != f.editor.ID ||
			json.Unmarshal([]byte(a[0].Before), &before) != nil || json.Unmarshal([]byte(a[0].After), &after) != nil ||
			before.State != StateInReview || after.State != StateScheduled || !after.ScheduledAt.Equal(at) {
			t.Errorf("audit %+v", a)
		}
	})
	for _, tc := range []struct {
		name  string
		state string
		at    time.Time
		stale bool
		is    error  // the sentinel, or nil for a field error
		field string // the field refused
	}{
		{name: "the time lies ahead", state: StateInReview, at: f.now.Add(-time.Minute), field: "scheduled_at"},
		{name: "now is not ahead", state: StateInReview, at: f.now, field: "scheduled_at"},
		{name: "a time is needed", state: StateInReview, field: "scheduled_at"},
		{name: "someone else's change", state: StateInReview, at: at, stale: true, is: ErrStale},
		{name: "a planned video is drafted first", state: StatePlanned, at: at, is: ErrTransition},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := f.video(t, tc.state, true)
			c := f.change(v)
			if tc.stale {
				c.Version--
			}
			err := f.inTx(func(ctx context.Context, tx *sql.Tx) error { return Schedule(ctx, tx, f.q, c, tc.at) })
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("got %v, want %v", err, tc.is)
			}
			if fields, ok := problem.AsFields(err); tc.is == nil && (!ok || !fields.Has(tc.field)) {
				t.Errorf("got %v, want an error on %s", err, tc.field)
			}
			if got := f.get(t, v.ID); got.State != tc.state || got.Version != v.Version || f.jobsFor(t, PublishArgs{}.Kind(), v.ID) != 0 || len(f.audits(t, v.ID)) != 0 {
				t.Errorf("a refused schedule left state %s version %d (was %d), jobs or audit entries", got.State, got.Version, v.Version)
			}
		})
	}
}

// TestEditReschedules: editing a scheduled video's time enqueues its publication again; an edit
// that keeps the time does not.
func TestEditReschedules(t *testing.T) {
	t.Parallel()
	f := newWorkflowFixture(t)
	v := f.video(t, StateInReview, true)
	if err := f.inTx(func(ctx context.Context, tx *sql.Tx) error {
		return Schedule(ctx, tx, f.q, f.change(v), f.now.Add(time.Hour))
	}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		at   time.Time
		jobs int
	}{
		{"same time", f.now.Add(time.Hour), 1},
		{"later", f.now.Add(2 * time.Hour), 2},
	} {
		v := f.get(t, v.ID)
		v.ScheduledAt = tc.at
		v.Texts[0].Title = "Видео: " + tc.name
		if err := f.inTx(func(ctx context.Context, tx *sql.Tx) error { return Edit(ctx, tx, f.q, v, f.editor) }); err != nil {
			t.Fatal(err)
		}
		if n := f.jobsFor(t, PublishArgs{}.Kind(), v.ID); n != tc.jobs {
			t.Errorf("%s: %d publication jobs, want %d", tc.name, n, tc.jobs)
		}
		if a := f.audits(t, v.ID); a[0].Action != auth.ActionUpdate {
			t.Errorf("%s: audit %+v", tc.name, a[0])
		}
	}
	stale := f.get(t, v.ID)
	stale.Version--
	if err := f.inTx(func(ctx context.Context, tx *sql.Tx) error { return Edit(ctx, tx, f.q, stale, f.editor) }); !errors.Is(err, ErrStale) {
		t.Errorf("stale edit: %v", err)
	}
}

// TestPublishAndWithdraw: the state moves the workflow allows, audited; publishing needs
// renditions; scheduling goes through Schedule.
func TestPublishAndWithdraw(t *testing.T) {
	t.Parallel()
	f := newWorkflowFixture(t)
	v := f.video(t, StateInReview, true)
	if err := f.inTx(func(ctx context.Context, tx *sql.Tx) error { return Publish(ctx, tx, f.change(v)) }); err != nil {
		t.Fatal(err)
	}
	if got := f.get(t, v.ID); got.State != StatePublished || !got.PublishedAt.Equal(f.now) {
		t.Errorf("published: %s at %v", got.State, got.PublishedAt)
	}
	v = f.get(t, v.ID)
	if err := f.inTx(func(ctx context.Context, tx *sql.Tx) error { return Withdraw(ctx, tx, f.change(v)) }); err != nil {
		t.Fatal(err)
	}
	if got := f.get(t, v.ID); got.State != StateWithdrawn || got.Public() {
		t.Errorf("withdrawn: %s", got.State)
	}
	if a := f.audits(t, v.ID); len(a) != 2 || a[0].Action != auth.ActionState || a[1].Action != auth.ActionState {
		t.Errorf("audit %+v", a)
	}
	bare := f.video(t, StateInReview, false)
	for name, move := range map[string]func(context.Context, *sql.Tx) error{
		"publish without renditions": func(ctx context.Context, tx *sql.Tx) error { return Publish(ctx, tx, f.change(bare)) },
		"schedule through Move":      func(ctx context.Context, tx *sql.Tx) error { return Move(ctx, tx, f.change(v), StateScheduled) },
	} {
		if err := f.inTx(move); !errors.Is(err, ErrTransition) {
			t.Errorf("%s: %v, want ErrTransition", name, err)
		}
	}
}

// TestReprocess: a failed processing is queued again, audited; a video without a source, or
// one that is processed, is refused with a reason.
func TestReprocess(t *testing.T) {
	t.Parallel()
	f := newWorkflowFixture(t)
	reprocess := func(id int64) error {
		return f.inTx(func(ctx context.Context, tx *sql.Tx) error {
			return Reprocess(ctx, tx, f.q, id, f.now.Add(-DefaultStaleAfter), f.editor)
		})
	}
	var pe *problem.Error
	if err := reprocess(f.video(t, StateDraft, false).ID); !errors.As(err, &pe) || pe.Status != http.StatusUnprocessableEntity {
		t.Errorf("no source: %v", err)
	}
	ready := f.video(t, StateDraft, true)
	if err := reprocess(ready.ID); !errors.As(err, &pe) || pe.Status != http.StatusConflict {
		t.Errorf("processed: %v", err)
	}
	failed := f.video(t, StateDraft, true)
	if err := f.inTx(func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "UPDATE videos SET processing = $1, failure = 'encode' WHERE id = $2", ProcFailed, failed.ID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := reprocess(failed.ID); err != nil {
		t.Fatal(err)
	}
	if got := f.get(t, failed.ID); got.Processing != ProcWaiting || got.Failure != "" {
		t.Errorf("after reprocess: %s %q", got.Processing, got.Failure)
	}
	if n := f.jobsFor(t, ProcessArgs{}.Kind(), failed.ID); n != 1 {
		t.Errorf("%d processing jobs, want 1", n)
	}
	if a := f.audits(t, failed.ID); len(a) != 1 || a[0].Action != auth.ActionReprocess || a[0].Before != `{"processing":"failed","failure":"encode"}` {
		t.Errorf("audit %+v", a)
	}
	if n := f.jobsFor(t, ProcessArgs{}.Kind(), ready.ID) + len(f.audits(t, ready.ID)); n != 0 {
		t.Errorf("a refused reprocess queued or audited %d", n)
	}
}

// TestReviewRequired: by default a draft is published in one step, logged as a publication; an
// office that requires a review has a draft's publication and schedule refused
// (ErrReviewRequired, an ErrTransition), nothing changed, until the draft is in review.
func TestReviewRequired(t *testing.T) {
	t.Parallel()
	f := newWorkflowFixture(t)
	v := f.video(t, StateDraft, true)
	if err := f.inTx(func(ctx context.Context, tx *sql.Tx) error { return Publish(ctx, tx, f.change(v)) }); err != nil {
		t.Fatalf("one-step publication: %v", err)
	}
	if got := f.get(t, v.ID); got.State != StatePublished || !got.PublishedAt.Equal(f.now) {
		t.Errorf("published from draft: %s at %v", got.State, got.PublishedAt)
	}
	if err := f.inTx(func(ctx context.Context, tx *sql.Tx) error {
		return SaveWorkflow(ctx, tx, Workflow{ReviewRequired: true})
	}); err != nil {
		t.Fatal(err)
	}
	if w, err := LoadWorkflow(context.Background(), f.deps.DB.R); err != nil || !w.ReviewRequired {
		t.Fatalf("workflow: %+v %v", w, err)
	}
	d := f.video(t, StateDraft, true)
	for name, move := range map[string]func(context.Context, *sql.Tx) error{
		"publish": func(ctx context.Context, tx *sql.Tx) error { return Publish(ctx, tx, f.change(d)) },
		"schedule": func(ctx context.Context, tx *sql.Tx) error {
			return Schedule(ctx, tx, f.q, f.change(d), f.now.Add(time.Hour))
		},
	} {
		if err := f.inTx(move); !errors.Is(err, ErrReviewRequired) || !errors.Is(err, ErrTransition) {
			t.Errorf("%s a draft: %v, want ErrReviewRequired", name, err)
		}
	}
	if got := f.get(t, d.ID); got.State != StateDraft || got.Version != d.Version || len(f.audits(t, d.ID)) != 0 {
		t.Errorf("a refused publication left %s version %d", got.State, got.Version)
	}
	if err := f.inTx(func(ctx context.Context, tx *sql.Tx) error { return Move(ctx, tx, f.change(d), StateInReview) }); err != nil {
		t.Fatal(err)
	}
	d = f.get(t, d.ID)
	if err := f.inTx(func(ctx context.Context, tx *sql.Tx) error { return Publish(ctx, tx, f.change(d)) }); err != nil {
		t.Errorf("publish after review: %v", err)
	}
}
