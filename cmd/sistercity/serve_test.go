package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"sistercity/internal/addrtest"
	"sistercity/internal/civil"
	"sistercity/internal/db/dbtest"
	"sistercity/internal/i18n"
	"sistercity/internal/polltest"
)

// syncBuffer is a bytes.Buffer safe for the server goroutine and the test to share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// serveStartBound is how long a test waits for a serve it started to answer: with --demo it
// migrates, seeds and starts its queue, and the package's tests run in parallel, so on a busy
// two-core machine that takes longer than polltest's usual bound.
const serveStartBound = 5 * time.Minute

// startServe runs "sistercity serve" with args in the background until the test ends, and waits
// until it answers /healthz. The address is one the kernel had free a moment before; another
// process may take it before serve listens (after migrating and, with --demo, seeding: seconds
// on a busy machine — CI saw "bind: address already in use" once), so a serve that exits for
// that is started again on another address, with the same output buffers.
func startServe(t *testing.T, args ...string) (base string, stdout *syncBuffer, stop func() int) {
	t.Helper()
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	var (
		cancel context.CancelFunc
		done   chan int
	)
	for attempt := 1; ; attempt++ {
		addr := addrtest.Free(t)
		all := append([]string{"serve", "--listen", addr, "--log-level", "warn"}, args...)
		c, stopRun := context.WithCancel(context.Background())
		exited := make(chan int, 1)
		go func() { exited <- run(c, all, stdout, stderr) }()
		cancel, done = stopRun, exited
		base = "http://" + addr
		rebind := false
		polltest.Within(t, serveStartBound, "serve to answer /healthz", func() (bool, string) {
			select {
			case code := <-done:
				if attempt < 5 && strings.Contains(stderr.String(), "address already in use") {
					rebind = true
					return true, ""
				}
				t.Fatalf("serve exited with %d before answering\n%s", code, stderr.String())
			default:
			}
			return healthy(base), stderr.String()
		})
		if !rebind {
			break
		}
		cancel()
		t.Logf("serve's address %s was taken before it listened; starting it again", addr)
	}
	var once sync.Once
	code := -1
	stop = func() int {
		once.Do(func() {
			cancel()
			select {
			case code = <-done:
			case <-time.After(2 * time.Minute):
				t.Error("serve did not stop within 2 min of SIGTERM")
			}
		})
		return code
	}
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			t.Logf("serve's log:\n%s", stderr.String())
		}
	})
	return base, stdout, stop
}

// dbArgs are the flags of a data directory and a database, already migrated (a test of
// migrating itself starts from dbtest.URL instead).
func dbArgs(t *testing.T) []string {
	dir, u := dbtest.Migrated(t)
	args := []string{"--data-dir", dir}
	if u != "" {
		args = append(args, "--database-url", u)
	}
	return args
}

// TestServeDemo is what a new user does first: start with --demo, open the Russian partner list
// and the Korean home page, sign in with the printed password; then start again and find
// nothing duplicated.
func TestServeDemo(t *testing.T) {
	t.Parallel()
	args := append(dbArgs(t), "--demo")
	base, stdout, stop := startServe(t, args...)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	req, _ := http.NewRequest("GET", base+"/", nil)
	req.Header.Set("Accept-Language", "ko")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/ko/" {
		t.Fatalf("GET / in Korean: %d → %s", resp.StatusCode, resp.Header.Get("Location"))
	}

	// The age of the Busan–Vladivostok partnership on today's date, the Russian way.
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	age := civil.MustParse("1992-06-30").YearsUntil(civil.Today(time.UTC))
	wantAge := cat.Localizer("ru").N("partner.age", age)
	body := get(t, base+"/ru/partners")
	item := regexp.MustCompile(`Владивосток</a>[^<]*<span class="meta">([^<]*)</span>`).FindStringSubmatch(body)
	if item == nil || !strings.Contains(item[1], wantAge) {
		t.Fatalf("/ru/partners: Владивосток with %q not found (got %q)", wantAge, item)
	}
	if !regexp.MustCompile(`\d+ (год|года|лет)`).MatchString(wantAge) {
		t.Fatalf("unexpected Russian age %q", wantAge)
	}
	if n := strings.Count(body, "<article class=\"partner\">"); n != 29 {
		t.Errorf("/ru/partners lists %d partnerships, want 29", n)
	}

	m := regexp.MustCompile(`password: (\S+)`).FindStringSubmatch(stdout.String())
	if m == nil {
		t.Fatalf("no admin password printed:\n%s", stdout.String())
	}
	if code := stop(); code != 0 {
		t.Fatalf("serve exited with %d after SIGTERM", code)
	}

	// A second start loads nothing new and prints no password.
	base, stdout, _ = startServe(t, args...)
	body = get(t, base+"/ru/partners")
	if n := strings.Count(body, "<article class=\"partner\">"); n != 29 {
		t.Errorf("after a second --demo start: %d partnerships, want 29", n)
	}
	if strings.Contains(stdout.String(), "password") {
		t.Error("the second start printed a password again")
	}
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", url, resp.StatusCode)
	}
	return string(b)
}

func TestBadConfigurationIsRefused(t *testing.T) {
	for _, args := range [][]string{
		{"serve", "--listen", "nonsense"},
		{"serve", "--log-format", "xml"},
		{"serve", "--database-url", "mysql://x"},
		{"nosuchcommand"},
	} {
		var out, errb bytes.Buffer
		if code := run(context.Background(), args, &out, &errb); code == 0 {
			t.Errorf("%v: exit 0", args)
		}
	}
	// A configuration file with a misspelt key stops the command, naming the key.
	file := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(file, []byte("data-dir = \"/tmp\"\nworker = 3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var fout, ferr bytes.Buffer
	if code := run(context.Background(), []string{"migrate", "--config", file}, &fout, &ferr); code == 0 ||
		!strings.Contains(ferr.String(), `unknown setting "worker"`) {
		t.Errorf("a misspelt key in --config: %d %s", code, ferr.String())
	}
	t.Setenv("SISTERCITY_DEMO", "maybe")
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"migrate", "--data-dir", t.TempDir()}, &out, &errb); code == 0 ||
		!strings.Contains(errb.String(), "SISTERCITY_DEMO") {
		t.Errorf("a malformed SISTERCITY_DEMO was not reported: %d %s", code, errb.String())
	}
}
