// Package polltest is how tests wait for what happens in the background — a job, an encode, a
// browser's player — without asserting on a moment: they check a condition until it holds,
// within a bound generous enough for a busy two-core machine, and fail with what they waited
// for and the state they last saw. It is imported by tests only.
package polltest

import (
	"testing"
	"time"
)

// Bound is how long Until waits: long enough for a loaded machine, short enough that a test
// waiting for something that never comes does not hang the suite.
const Bound = 2 * time.Minute

// Until checks cond until it reports done, at most for Bound, and fails tb otherwise, naming
// what it waited for and the state cond last described. cond runs on the test's goroutine and
// may stop the test itself when it sees a state that will not change (a failure).
func Until(tb testing.TB, what string, cond func() (done bool, state string)) {
	tb.Helper()
	Within(tb, Bound, what, cond)
}

// Within is Until with another bound, for waits known to take longer (a whole encode).
func Within(tb testing.TB, bound time.Duration, what string, cond func() (done bool, state string)) {
	tb.Helper()
	start := time.Now()
	pause := 10 * time.Millisecond
	for {
		done, state := cond()
		if done {
			return
		}
		if waited := time.Since(start); waited > bound {
			tb.Fatalf("waited %s for %s; last seen: %s", waited.Round(time.Millisecond), what, state)
		}
		time.Sleep(pause)
		pause = min(2*pause, 200*time.Millisecond)
	}
}
