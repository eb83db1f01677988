package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL through database/sql, to create and drop the bench's database

	"sistercity/bench/internal/benchkit"
)

// proc is a process of the deployment whose memory is reported.
type proc struct {
	name string
	p    *benchkit.Process
}

// deployment is one topology's running processes.
type deployment struct {
	name, dir, bin string
	env            []string // for sistercity's processes: the S3 credentials
	procs          []proc   // stopped in reverse order
	upstreams      []string // the serve replicas' addresses, nginx's upstream
	nginx          *benchkit.Process
	base           string // nginx's URL, where the load goes
	password       string // the demo admin's
	cleanups       []func()
}

func (d *deployment) stop() {
	if d.nginx != nil {
		d.nginx.Stop()
	}
	for i := len(d.procs) - 1; i >= 0; i-- {
		d.procs[i].p.Stop()
	}
	for i := len(d.cleanups) - 1; i >= 0; i-- {
		d.cleanups[i]()
	}
}

// startSQLite starts one `serve --demo` with its job workers, SQLite and media in its data
// directory.
func (d *deployment) startSQLite(ctx context.Context, o options) error {
	_, err := d.startServe(ctx, o, "serve", true)
	return err
}

// startPG creates a database, starts versitygw with a bucket, the first replica with --demo,
// then the second replica and the worker.
func (d *deployment) startPG(ctx context.Context, o options) error {
	dbURL, drop, err := createDatabase(ctx, o.databaseURL)
	if err != nil {
		return err
	}
	d.cleanups = append(d.cleanups, drop)
	mediaURL, err := d.startVersity(ctx, o)
	if err != nil {
		return err
	}
	shared := []string{"--database-url", dbURL, "--media-url", mediaURL}
	if _, err := d.startServe(ctx, o, "serve 1", true, append(shared, "--workers=0")...); err != nil {
		return err
	}
	if _, err := d.startServe(ctx, o, "serve 2", false, append(shared, "--workers=0")...); err != nil {
		return err
	}
	logFile, err := os.Create(filepath.Join(d.dir, "worker.log"))
	if err != nil {
		return err
	}
	defer logFile.Close()
	cmd := exec.CommandContext(ctx, d.bin, append([]string{"worker", "--data-dir", filepath.Join(d.dir, "worker")}, shared...)...)
	cmd.Env = append(os.Environ(), d.env...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	p, err := benchkit.StartProcess(cmd)
	if err != nil {
		return err
	}
	d.procs = append(d.procs, proc{"worker", p})
	// The worker has no port: it is up once it has run for a moment without exiting.
	select {
	case err := <-p.Done():
		log, _ := os.ReadFile(logFile.Name())
		return fmt.Errorf("worker exited: %v\n%s", err, log)
	case <-time.After(time.Second):
	}
	return nil
}

// startServe starts `sistercity serve` with its data in a directory of its own under d.dir on a
// free loopback port, trusting nginx's X-Forwarded-For, and waits until it listens. With demo
// it loads the demo and reads the admin's password from its output.
func (d *deployment) startServe(ctx context.Context, o options, name string, demo bool, args ...string) (*benchkit.Process, error) {
	addr, err := benchkit.FreePort()
	if err != nil {
		return nil, err
	}
	base := filepath.Join(d.dir, strings.ReplaceAll(name, " ", ""))
	out, err := os.Create(base + ".out")
	if err != nil {
		return nil, err
	}
	defer out.Close()
	logFile, err := os.Create(base + ".log")
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	args = append([]string{"serve", "--data-dir", base, "--listen", addr, "--trusted-proxies", "127.0.0.1/32"}, args...)
	if demo {
		args = append(args, "--demo")
	}
	cmd := exec.CommandContext(ctx, d.bin, args...)
	cmd.Env = append(os.Environ(), d.env...)
	cmd.Stdout, cmd.Stderr = out, logFile
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	p, err := benchkit.StartProcess(cmd)
	if err != nil {
		return nil, err
	}
	p.Addr = addr
	d.procs = append(d.procs, proc{name, p})
	for deadline := time.Now().Add(o.startTimeout); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if benchkit.Listening(addr) {
			d.upstreams = append(d.upstreams, addr)
			if !demo {
				return p, nil
			}
			b, _ := os.ReadFile(out.Name())
			m := regexp.MustCompile(`password: (\S+)`).FindSubmatch(b)
			if m == nil {
				return nil, fmt.Errorf("%s --demo printed no admin password: %q", name, b)
			}
			d.password = string(m[1])
			return p, nil
		}
		select {
		case err := <-p.Done():
			log, _ := os.ReadFile(logFile.Name())
			return nil, fmt.Errorf("%s exited: %v\n%s", name, err, log)
		case <-ctx.Done():
			return nil, ctx.Err()
		default:
		}
	}
	return nil, fmt.Errorf("%s did not listen within %s", name, o.startTimeout)
}

// createDatabase makes a new database on the server of serverURL and returns its URL and a
// function that drops it.
func createDatabase(ctx context.Context, serverURL string) (string, func(), error) {
	u, err := url.Parse(serverURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", nil, fmt.Errorf("-database-url %q: not a postgres:// URL", serverURL)
	}
	admin, err := sql.Open("pgx", serverURL)
	if err != nil {
		return "", nil, err
	}
	name := "sistercity_load_" + randomHex(6)
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		admin.Close()
		return "", nil, fmt.Errorf("create the bench's database on %s: %w", u.Redacted(), err)
	}
	u.Path = "/" + name
	drop := func() {
		dctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(dctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			fmt.Fprintf(os.Stderr, "load: drop database %s: %v\n", name, err)
		}
		admin.Close()
	}
	return u.String(), drop, nil
}

// startVersity runs versitygw with its POSIX backend under d.dir on a free port, creates a
// bucket and returns its media URL; the credentials go to sistercity's processes through
// d.env.
func (d *deployment) startVersity(ctx context.Context, o options) (string, error) {
	bin, err := findVersity(o.versitygw)
	if err != nil {
		return "", err
	}
	root := filepath.Join(d.dir, "versitygw")
	if err := os.Mkdir(root, 0o750); err != nil {
		return "", err
	}
	addr, err := benchkit.FreePort()
	if err != nil {
		return "", err
	}
	const region = "us-east-1"
	access, secret := "sistercity-"+randomHex(4), randomHex(16)
	logFile, err := os.Create(filepath.Join(d.dir, "versitygw.log"))
	if err != nil {
		return "", err
	}
	defer logFile.Close()
	cmd := exec.CommandContext(ctx, bin, "--access", access, "--secret", secret, "--region", region,
		"--port", addr, "--health", "/health", "--quiet", "posix", root)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	p, err := benchkit.StartProcess(cmd)
	if err != nil {
		return "", err
	}
	d.procs = append(d.procs, proc{"versitygw", p})
	endpoint := "http://" + addr
	hc := &http.Client{Timeout: 5 * time.Second}
	for deadline := time.Now().Add(o.startTimeout); ; time.Sleep(50 * time.Millisecond) {
		if resp, err := hc.Get(endpoint + "/health"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case err := <-p.Done():
			log, _ := os.ReadFile(logFile.Name())
			return "", fmt.Errorf("versitygw exited: %v\n%s", err, log)
		default:
		}
		if time.Now().After(deadline) {
			return "", errors.New("versitygw did not become healthy")
		}
	}
	client := s3.New(s3.Options{Region: region, BaseEndpoint: aws.String(endpoint), UsePathStyle: true,
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: access, SecretAccessKey: secret}, nil
		})})
	bucket := "sistercity-load"
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		return "", fmt.Errorf("create the bucket: %w", err)
	}
	// The AWS SDK in sistercity reads the credentials from the environment; the empty config
	// files keep a developer's ~/.aws out.
	d.env = []string{"AWS_ACCESS_KEY_ID=" + access, "AWS_SECRET_ACCESS_KEY=" + secret, "AWS_SESSION_TOKEN=",
		"AWS_CONFIG_FILE=" + os.DevNull, "AWS_SHARED_CREDENTIALS_FILE=" + os.DevNull, "AWS_EC2_METADATA_DISABLED=true"}
	return "s3://" + bucket + "?endpoint=" + endpoint + "&use_path_style=true&region=" + region, nil
}

// findVersity is flagValue if set, else $SISTERCITY_VERSITYGW, versitygw on PATH, or in
// $(go env GOPATH)/bin, where `make test` installs it.
func findVersity(flagValue string) (string, error) {
	if flagValue != "" {
		return flagValue, nil
	}
	if p := os.Getenv("SISTERCITY_VERSITYGW"); p != "" {
		return p, nil
	}
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p, nil
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		for _, dir := range filepath.SplitList(strings.TrimSpace(string(out))) {
			p := filepath.Join(dir, "bin", "versitygw")
			if _, err := os.Stat(p); err == nil {
				return p, nil
			}
		}
	}
	return "", errors.New("versitygw not found: go install github.com/versity/versitygw/cmd/versitygw@v1.8.0 (make test does)")
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// nginxConf proxies every request to the replicas, round robin over keep-alive connections,
// passes upload bodies through as they arrive, and tells the client which replica answered.
const nginxConf = `{{top}}worker_processes {{workers}};
events { worker_connections 4096; }
http {
{{paths}}    access_log {{dir}}/access.log combined buffer=64k flush=5s;
    keepalive_requests 1000000;
    keepalive_timeout 60s;
    upstream sistercity {
{{servers}}        keepalive 64;
    }
    server {
        listen {{listen}};
        client_max_body_size 0;
        proxy_request_buffering off;
        location / {
            proxy_pass http://sistercity;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            add_header X-Upstream $upstream_addr always;
        }
    }
}
`

// upstreamHeader is the response header in which nginx names the replica that answered.
const upstreamHeader = "X-Upstream"

func (d *deployment) startNginx(ctx context.Context, bin, workers string) error {
	listen, err := benchkit.FreePort()
	if err != nil {
		return err
	}
	var servers strings.Builder
	for _, u := range d.upstreams {
		fmt.Fprintf(&servers, "        server %s;\n", u)
	}
	dir := filepath.Join(d.dir, "nginx")
	top, paths := benchkit.NginxPaths(dir)
	conf := strings.NewReplacer("{{top}}", top, "{{paths}}", paths, "{{dir}}", dir, "{{workers}}", workers,
		"{{servers}}", servers.String(), "{{listen}}", listen).Replace(nginxConf)
	ng, err := benchkit.StartNginx(ctx, bin, dir, conf, listen)
	if err != nil {
		return err
	}
	d.nginx = ng
	d.base = "http://" + listen
	return nil
}

// memoryTargets are the processes whose memory is sampled now, by name and pid: the
// deployment's, and nginx's workers (the master's children).
func (d *deployment) memoryTargets() map[string]int {
	t := map[string]int{}
	for _, p := range d.procs {
		t[p.name] = p.p.Cmd.Process.Pid
	}
	if d.nginx != nil {
		pid := strconv.Itoa(d.nginx.Cmd.Process.Pid)
		b, _ := os.ReadFile("/proc/" + pid + "/task/" + pid + "/children")
		for i, f := range strings.Fields(string(b)) {
			if n, err := strconv.Atoi(f); err == nil {
				t["nginx worker "+strconv.Itoa(i+1)] = n
			}
		}
	}
	return t
}
