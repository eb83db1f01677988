package upload

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"sistercity/internal/db"
	"sistercity/internal/db/dbtest"
	"sistercity/internal/jobs"
	"sistercity/internal/jobs/jobstest"
	"sistercity/internal/polltest"
	"sistercity/internal/video"
)

// TestSweepJobAcrossReplicas: with the uploads in the bucket, the sweep is a periodic job of
// the processes that run jobs. Two queues on one database, as two worker processes, each with
// a Handler that serves no request: the upload abandoned on a serving replica goes from the
// bucket, parts and all, by one job across the two.
func TestSweepJobAcrossReplicas(t *testing.T) {
	t.Parallel()
	e := newS3Env(t)
	data := bigClip(t)
	v := e.newVideo(video.StateDraft)
	abandoned := e.create(v.ID, len(data))
	if off := e.patch(abandoned, 0, data[:6<<20]); off != 6<<20 {
		t.Fatalf("offset %d", off)
	}
	ctx := context.Background()

	// The workers' clock is two hours on, past the expiry of the abandoned upload (that a
	// recent upload stays is Sweep's own test, TestExpiryAndReservationAcrossReplicas).
	later := func() time.Time { return time.Now().Add(2 * time.Hour) }

	for _, d := range []*db.DB{e.db, dbtest.Reopen(t, e.db)} {
		o := e.opts
		o.DB, o.Locker, o.Now = d, lockerFor(t, d), later
		h, err := New(o)
		if err != nil {
			t.Fatal(err)
		}
		jobstest.StartQueue(t, d, func(q *jobs.Queue) error { return RegisterSweep(q, h, time.Hour) })
	}

	polltest.Within(t, 2*time.Minute, "the sweep job to delete the abandoned upload", func() (bool, string) {
		resp := e.do("HEAD", abandoned, nil, nil)
		return resp.StatusCode == http.StatusNotFound, fmt.Sprintf("HEAD %d", resp.StatusCode)
	})
	for a, err := range e.store.List(ctx, BucketPrefix) {
		if err != nil {
			t.Fatal(err)
		}
		t.Errorf("left in the bucket after the sweep: %s", a.Key)
	}
	var runs int
	polltest.Within(t, 2*time.Minute, "the sweep job to complete", func() (bool, string) {
		if err := e.db.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM river_job WHERE kind = 'upload.sweep' AND state = 'completed'").Scan(&runs); err != nil {
			t.Fatal(err)
		}
		return runs >= 1, fmt.Sprintf("%d completed", runs)
	})
	// Once across the two processes within the hour's interval.
	if err := e.db.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM river_job WHERE kind = 'upload.sweep'").Scan(&runs); err != nil {
		t.Fatal(err)
	}
	if runs != 1 {
		t.Errorf("%d sweep jobs, want 1 across the two processes", runs)
	}
}
