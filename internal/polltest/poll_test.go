package polltest_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"sistercity/internal/polltest"
)

func TestUntilReturnsOnceDone(t *testing.T) {
	n := 0
	polltest.Until(t, "the third check", func() (bool, string) { n++; return n == 3, "" })
	if n != 3 {
		t.Errorf("%d checks", n)
	}
}

// recorder is a testing.TB that keeps the failure instead of failing.
type recorder struct {
	testing.TB
	failed string
}

func (r *recorder) Helper() {}
func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = fmt.Sprintf(format, args...)
	panic(r)
}

func TestWithinFailsWithWhatAndState(t *testing.T) {
	rec := &recorder{TB: t}
	func() {
		defer func() {
			if p := recover(); p != rec {
				panic(p)
			}
		}()
		polltest.Within(rec, 50*time.Millisecond, "a thing that never comes", func() (bool, string) { return false, "still waiting" })
	}()
	if !strings.Contains(rec.failed, "for a thing that never comes; last seen: still waiting") {
		t.Errorf("failure %q", rec.failed)
	}
}
