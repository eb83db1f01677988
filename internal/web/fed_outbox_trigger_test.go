package web

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"sistercity/internal/db/dbtest"
	"sistercity/internal/fed"
	"sistercity/internal/jobs"
	"sistercity/internal/jobs/jobstest"
	"sistercity/internal/outbox"
	"sistercity/internal/polltest"
	"sistercity/internal/video"
)

// TestOutboxTriggerTwoReplicas: two processes on one database, each with a queue that runs the
// outbox.send job, as two workers would. A publication made through either replica's queue
// reaches the follower by itself, promptly (no poll, long before the backstop), once; and at
// most one outbox.send job ever waits.
func TestOutboxTriggerTwoReplicas(t *testing.T) {
	t.Parallel()
	e := newFedEnvWith(t, true)
	// The second replica: its own handle on the database and its own queue and sender.
	d2 := dbtest.Reopen(t, e.db)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	q2, err := jobs.New(d2, jobs.Config{Workers: 1, Queues: map[string]int{fed.Queue: 4}, FetchPollInterval: 100 * time.Millisecond}, log)
	if err != nil {
		t.Fatal(err)
	}
	fs2, err := NewFed(e.srv.cfg, d2, q2, log, "test")
	if err != nil {
		t.Fatal(err)
	}
	sender2, err := NewOutboxSender(d2, fs2, e.srv.cfg.BaseURL, log)
	if err != nil {
		t.Fatal(err)
	}
	sender2.backstop = triggerOnly
	for _, err := range []error{fs2.Register(q2), NewPortal(e.srv.cfg, d2, fs2, e.srv.docs, q2, log).Register(q2), sender2.Register(q2), q2.Start(context.Background())} {
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_ = q2.Stop(ctx)
	})

	f := newFollower(t, "Alice")
	if got := f.send(e, "/ap/inbox", map[string]any{"id": f.id() + "#follows/1", "type": "Follow", "actor": f.id(), "object": e.ts.URL + "/ap/actor"}); got != 202 {
		t.Fatalf("follow: %d", got)
	}
	_, _, p := seedVladivostok(t, e)
	waiting := func() int {
		page, err := jobstest.Must(t, e.db).List(context.Background(), jobstest.Filter{Kinds: []string{outbox.Send{}.Kind()},
			States: []jobstest.State{jobstest.StateAvailable, jobstest.StateScheduled, jobstest.StateRetryable, jobstest.StatePending}})
		if err != nil {
			t.Fatal(err)
		}
		return len(page.Jobs)
	}
	// Four videos published in turn through the two replicas' queues.
	const videos = 4
	for i := range videos {
		v := seedVideo(t, e, p, video.StateDraft, video.Text{Lang: "en", Title: "Message " + itoa64(int64(i))})
		d, q := e.db, e.queue
		if i%2 == 1 {
			d, q = d2, q2
		}
		ctx := jobs.NewContext(context.Background(), q)
		if err := d.InTx(ctx, func(tx *sql.Tx) error {
			v, err := video.Get(ctx, tx, v.ID)
			if err != nil {
				return err
			}
			return video.SetState(ctx, tx, v, video.StatePublished, time.Now())
		}); err != nil {
			t.Fatal(err)
		}
		if n := waiting(); n > 1 {
			t.Errorf("after publication %d: %d outbox.send jobs waiting, want at most 1", i, n)
		}
	}
	// The backstop is an hour away and did not run at start (triggerOnly): what arrives within
	// the bound was sent on the publications' triggers.
	polltest.Until(t, "every Create reaches the follower", func() (bool, string) {
		return len(f.received("Create")) >= videos, strings.Join(f.badSig, "; ")
	})
	if n := waiting(); n > 1 {
		t.Errorf("after the sending: %d outbox.send jobs waiting, want at most 1", n)
	}
	if got := len(f.received("Create")); got != videos {
		t.Errorf("%d Creates received, want %d: each once", got, videos)
	}
	// outbox.Send names fed's queue without importing fed.
	if q := (outbox.Send{}).InsertOpts().Queue; q != fed.Queue {
		t.Errorf("outbox.Send on queue %q, want fed.Queue %q", q, fed.Queue)
	}
}
