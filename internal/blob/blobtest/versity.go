// Package blobtest runs a real S3 server for tests: versitygw with its POSIX backend, in a
// temporary directory, on a free port of 127.0.0.1, so that the blob suite and anything built on
// it can run against S3 as well as against a local directory, with no mock in between.
//
// The binary is found through $SISTERCITY_VERSITYGW, then PATH, then $(go env GOPATH)/bin.
// A missing binary fails the test rather than skipping it: `make test` installs it.
package blobtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"sistercity/internal/addrtest"
)

// EnvBinary names the variable that may point at the versitygw binary.
const EnvBinary = "SISTERCITY_VERSITYGW"

// Install is how the binary is installed; scripts/test.sh runs it when the binary is missing.
const Install = "go install github.com/versity/versitygw/cmd/versitygw@v1.8.0"

const region = "us-east-1"

// Server is a running versitygw.
type Server struct {
	// Endpoint is the server's URL, http://127.0.0.1:PORT.
	Endpoint string
	client   *s3.Client

	bin, access, secret, root, addr string

	// mu guards the running process: Kill and Restart replace it while the cleanup may stop it.
	mu      sync.Mutex
	cmd     *exec.Cmd
	exited  chan error
	out     *syncBuffer
	stopped bool
}

// Start runs versitygw until the test ends. Every server a test process starts takes the
// process's one pair of credentials, which the AWS SDK of the process reads from the
// environment, set once (so tests that start servers may run in parallel).
func Start(t testing.TB) *Server {
	t.Helper()
	access, secret := credentials()
	s := &Server{bin: binary(t), access: access, secret: secret, root: filepath.Join(t.TempDir(), "versitygw")}
	if err := os.Mkdir(s.root, 0o750); err != nil {
		t.Fatal(err)
	}
	// The free port is found by listening and closing, so another process may take it
	// before versitygw does; then versitygw exits and another port is tried.
	var lastErr error
	for range 3 {
		s.addr = addrtest.Free(t)
		if lastErr = s.run(); lastErr == nil {
			break
		}
	}
	if lastErr != nil {
		t.Fatalf("blobtest: versitygw did not start: %v", lastErr)
	}
	t.Cleanup(func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.stopped = true
		if s.cmd != nil {
			stop(s.cmd, s.exited)
		}
		if t.Failed() {
			t.Logf("versitygw output:\n%s", s.out.String())
		}
	})
	s.Endpoint = "http://" + s.addr
	s.client = s3.New(s3.Options{
		Region:       region,
		BaseEndpoint: aws.String(s.Endpoint),
		UsePathStyle: true,
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: access, SecretAccessKey: secret}, nil
		}),
	})
	return s
}

// run starts versitygw on s.addr over s.root and waits until it answers.
func (s *Server) run() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.out == nil {
		s.out = &syncBuffer{}
	}
	cmd := exec.Command(s.bin, "--access", s.access, "--secret", s.secret, "--region", region,
		"--port", s.addr, "--health", "/health", "--quiet", "posix", s.root)
	cmd.Stdout, cmd.Stderr = s.out, s.out
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", s.bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	if err := waitHealthy("http://"+s.addr, exited); err != nil {
		stop(cmd, exited)
		return fmt.Errorf("%w\n%s", err, s.out.String())
	}
	s.cmd, s.exited = cmd, exited
	return nil
}

// Kill ends the server with SIGKILL, as a crash or an operator's kill -9 would: requests in
// flight are cut and new ones refused until Restart. Its objects stay in its directory.
func (s *Server) Kill(t testing.TB) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		t.Fatal("blobtest: Kill: the server is not running")
	}
	if err := s.cmd.Process.Kill(); err != nil {
		t.Fatalf("blobtest: kill versitygw: %v", err)
	}
	<-s.exited
	s.cmd, s.exited = nil, nil
}

// Restart starts a killed server again on the same address over the same directory: its
// buckets, objects and multipart uploads are as the kill left them.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.mu.Lock()
	running, stopped := s.cmd != nil, s.stopped
	s.mu.Unlock()
	if running || stopped {
		t.Fatal("blobtest: Restart: the server is running or the test has ended")
	}
	// The address was versitygw's a moment ago; another process taking it meanwhile is
	// unlikely, but a start that loses the race is tried again for a while.
	var err error
	for range 5 {
		if err = s.run(); err == nil {
			return
		}
		time.Sleep(time.Second)
	}
	t.Fatalf("blobtest: versitygw did not restart on %s: %v", s.addr, err)
}

// Bucket creates a new, empty bucket and returns its URL for blob.Open.
func (s *Server) Bucket(t testing.TB) string {
	t.Helper()
	name := "sistercity-" + randomHex(6)
	if _, err := s.client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("blobtest: create bucket: %v", err)
	}
	return s.URL(name)
}

// URL is the blob.Open URL of the bucket name on this server, which may not exist.
func (s *Server) URL(name string) string {
	return "s3://" + name + "?endpoint=" + s.Endpoint + "&use_path_style=true&region=" + region
}

// binary finds versitygw, or fails the test saying how to install it.
var (
	credsOnce                sync.Once
	credsAccess, credsSecret string
)

// credentials makes the process's credentials and puts them in its environment, where the SDK
// looks first; the empty config files keep a developer's ~/.aws out of the tests.
func credentials() (access, secret string) {
	credsOnce.Do(func() {
		credsAccess, credsSecret = "sistercity-"+randomHex(4), randomHex(16)
		for k, v := range map[string]string{
			"AWS_ACCESS_KEY_ID":           credsAccess,
			"AWS_SECRET_ACCESS_KEY":       credsSecret,
			"AWS_SESSION_TOKEN":           "",
			"AWS_CONFIG_FILE":             os.DevNull,
			"AWS_SHARED_CREDENTIALS_FILE": os.DevNull,
			"AWS_EC2_METADATA_DISABLED":   "true",
		} {
			if err := os.Setenv(k, v); err != nil {
				panic(err)
			}
		}
	})
	return credsAccess, credsSecret
}

func binary(t testing.TB) string {
	t.Helper()
	if p := os.Getenv(EnvBinary); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("blobtest: %s=%s: %v", EnvBinary, p, err)
		}
		return p
	}
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		for _, dir := range filepath.SplitList(strings.TrimSpace(string(out))) {
			p := filepath.Join(dir, "bin", "versitygw")
			if _, err := os.Stat(p); err == nil {
				return p
			}
		}
	}
	t.Fatalf("blobtest: versitygw not found (in $%s, PATH or $(go env GOPATH)/bin); `make test` installs it, or run: %s", EnvBinary, Install)
	return ""
}

func waitHealthy(endpoint string, exited <-chan error) error {
	// Generous: versitygw starts slowly on a machine busy with the rest of the suite.
	client := &http.Client{Timeout: 10 * time.Second}
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		resp, err := client.Get(endpoint + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case err := <-exited:
			return fmt.Errorf("versitygw exited: %v", err)
		case <-time.After(25 * time.Millisecond):
		}
	}
	return errors.New("versitygw did not answer /health within 2 minutes")
}

// stop asks versitygw to finish, and kills it if it does not.
func stop(cmd *exec.Cmd, exited <-chan error) {
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// syncBuffer collects the server's output from the goroutines exec starts.
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
