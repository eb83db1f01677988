package jobs_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"testing"
	"time"

	"sistercity/internal/db"
	"sistercity/internal/db/dbtest"
	"sistercity/internal/jobs"
	"sistercity/internal/jobs/jobstest"
)

// The child process of TestKilledWorkerJobIsRescued: its environment names the database.
const (
	childEnv    = "SISTERCITY_JOBS_TEST_CHILD"
	childURLEnv = "SISTERCITY_JOBS_TEST_CHILD_URL"
	childDirEnv = "SISTERCITY_JOBS_TEST_CHILD_DIR"
)

// crashChild is a worker process whose encode job starts, records its run and hangs, until
// the test kills it with SIGKILL. It exits by itself after ten minutes should the test die first.
func crashChild() int {
	ctx := context.Background()
	d, err := db.Open(ctx, os.Getenv(childURLEnv), os.Getenv(childDirEnv))
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	q, err := jobs.New(d, jobs.ForTest(jobs.Config{Workers: 1, JobTimeout: time.Hour, FetchPollInterval: 100 * time.Millisecond}),
		slog.New(slog.NewTextHandler(os.Stderr, nil)))
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	err = jobs.Register(q, jobs.WorkFunc[encodeArgs](func(ctx context.Context, j *jobs.Job[encodeArgs]) error {
		if _, err := d.W.ExecContext(ctx, "INSERT INTO jobtest_runs (job_id, job_key, attempt, at) VALUES ($1, $2, $3, $4)",
			j.ID, j.Key(), j.Attempt, time.Now().UTC()); err != nil {
			return err
		}
		<-ctx.Done() // an encode that takes long
		return ctx.Err()
	}))
	if err == nil {
		err = q.Start(ctx)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	time.Sleep(10 * time.Minute)
	fmt.Fprintln(os.Stderr, "child: not killed within ten minutes")
	return 1
}

// A worker process killed with SIGKILL mid-job leaves the job running. A new queue with a
// short RescueStuckJobsAfter rescues it and runs it again, to completion, exactly once.
func TestKilledWorkerJobIsRescued(t *testing.T) {
	t.Parallel()
	url, dir := dbtest.URL(t), t.TempDir()
	ctx := context.Background()
	d, err := db.Open(ctx, url, dir)
	must(t, err)
	t.Cleanup(func() { d.Close() })
	_, err = d.Migrate(ctx)
	must(t, err)
	createTestTables(t, d)

	// The rescued attempt runs under the same JobTimeout (it may not exceed RescueStuckJobsAfter),
	// so both are long enough for that attempt's two writes on a loaded machine: a timed-out
	// attempt would be a third run.
	const rescueAfter = 20 * time.Second
	cfg := fastConfig()
	cfg.JobTimeout, cfg.RescueStuckJobsAfter = rescueAfter, rescueAfter
	cfg.Backoff = func(int) time.Duration { return 10 * time.Millisecond }
	e := newEnvOn(t, d, cfg)
	ins := e.insert(encodeArgs{VideoID: 42}, nil)

	// The worker process takes the job and hangs in it.
	var childLog bytes.Buffer
	child := exec.Command(os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), childEnv+"=1", childURLEnv+"="+url, childDirEnv+"="+dir)
	child.Stdout, child.Stderr = &childLog, &childLog
	must(t, child.Start())
	exited := false
	t.Cleanup(func() {
		if !exited {
			_ = child.Process.Kill()
			_ = child.Wait()
		}
		if t.Failed() {
			t.Logf("worker process log:\n%s", childLog.String())
		}
	})
	eventually(t, waitLong, "the worker process to start the job", func() bool { return len(e.runs(ins.ID)) == 1 })

	must(t, child.Process.Signal(os.Kill))
	_ = child.Wait()
	exited = true
	in, err := e.jobs.Get(ctx, ins.ID)
	must(t, err)
	if in.State != jobstest.StateRunning {
		t.Fatalf("after kill -9 the job is %s, want running", in.State)
	}

	// The dead process was River's leader, and only the leader rescues. Its lease would lapse
	// by itself within 15 s; ending it now, as the lapse would, keeps the test short.
	_, err = d.W.ExecContext(ctx, "DELETE FROM river_leader")
	must(t, err)
	// Rescue looks for jobs running longer than RescueStuckJobsAfter.
	time.Sleep(time.Until(in.AttemptedAt.Add(rescueAfter + 100*time.Millisecond)))

	e.start()
	in = e.waitState(ins.ID, jobstest.StateCompleted, waitLong)
	rs := e.runs(ins.ID)
	if len(rs) != 2 || rs[0].attempt != 1 || rs[1].attempt != 2 || rs[0].key != rs[1].key {
		t.Errorf("runs = %+v, want attempts 1 (killed) and 2 with one key", rs)
	}
	if n := e.effects("encoded video 42"); n != 1 {
		t.Errorf("the job's effect is there %d times, want 1", n)
	}
	if in.Attempt != 2 || in.Errors != 1 {
		t.Errorf("rescued job = attempt %d, %d errors (%q)", in.Attempt, in.Errors, in.LastError)
	}
	t.Logf("%s: rescued after %s; recorded error %q", dbtest.Name(), rs[1].at.Sub(rs[0].at).Round(time.Millisecond), in.LastError)
}
