// Package benchkit is what the benchmarks against nginx have in common: starting and stopping
// the processes they measure (nginx, Debian's package, with a generated config; sistercity),
// free loopback ports, a description of the machine, and the statistics they print.
package benchkit

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Process is a server a benchmark started.
type Process struct {
	Cmd  *exec.Cmd
	Addr string // where it listens, when known
	URL  string // what the benchmark measures, when the process tells
	done chan error
}

// StartProcess starts cmd and watches for its end.
func StartProcess(cmd *exec.Cmd) (*Process, error) {
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &Process{Cmd: cmd, done: make(chan error, 1)}
	go func() { p.done <- cmd.Wait() }()
	return p, nil
}

// Done receives the process's exit error once it has ended.
func (p *Process) Done() <-chan error { return p.done }

// Stop ends the process (SIGTERM, then SIGKILL after five seconds) and waits for it.
func (p *Process) Stop() {
	p.Cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		p.Cmd.Process.Kill()
		<-p.done
	}
}

// Listening reports whether addr accepts a TCP connection.
func Listening(addr string) bool {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// NginxPaths are the lines of an nginx configuration that keep every path nginx writes inside
// dir (pid, error log, temporary files), for the top level and the http block.
func NginxPaths(dir string) (top, http string) {
	top = "daemon off;\npid " + dir + "/nginx.pid;\nerror_log " + dir + "/error.log warn;\n"
	for _, t := range []string{"client_body", "proxy", "fastcgi", "uwsgi", "scgi"} {
		http += "    " + t + "_temp_path " + dir + "/tmp/" + t + ";\n"
	}
	return top, http
}

// StartNginx runs bin with the configuration conf (written to dir/nginx.conf; dir is created,
// and should hold what NginxPaths puts in conf) and waits until every one of addrs accepts
// connections.
func StartNginx(ctx context.Context, bin, dir, conf string, addrs ...string) (*Process, error) {
	if err := os.MkdirAll(filepath.Join(dir, "tmp"), 0o755); err != nil {
		return nil, err
	}
	confPath := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		return nil, err
	}
	// -e keeps even the start-up messages out of /var/log/nginx.
	cmd := exec.CommandContext(ctx, bin, "-p", dir, "-c", confPath, "-e", filepath.Join(dir, "error.log"))
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	p, err := StartProcess(cmd)
	if err != nil {
		return nil, err
	}
	if len(addrs) > 0 {
		p.Addr = addrs[0]
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if !slices.ContainsFunc(addrs, func(a string) bool { return !Listening(a) }) {
			return p, nil
		}
		select {
		case err := <-p.done:
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			return nil, fmt.Errorf("nginx exited: %v: %s", err, log)
		default:
		}
	}
	p.Stop()
	return nil, errors.New("nginx did not start listening")
}

// FreePort finds a loopback port nobody listens on. Another program could take it before the
// server does; then the server fails to start and the run says so.
func FreePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// FindNginx is flagValue if set, else nginx on PATH, else Debian's /usr/sbin/nginx.
func FindNginx(flagValue string) (string, error) {
	if flagValue != "" {
		return flagValue, nil
	}
	if p, err := exec.LookPath("nginx"); err == nil {
		return p, nil
	}
	if _, err := os.Stat("/usr/sbin/nginx"); err == nil {
		return "/usr/sbin/nginx", nil
	}
	return "", errors.New("nginx not found: install Debian's nginx package (make bench does)")
}

// NginxVersion is what `nginx -v` says, e.g. nginx/1.26.3.
func NginxVersion(bin string) string {
	out, _ := exec.Command(bin, "-v").CombinedOutput()
	return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(string(out)), "nginx version: "))
}

// CPUModel is the first model name of /proc/cpuinfo, or the architecture.
func CPUModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

// LoadAvg is the 1, 5 and 15 minute load average of /proc/loadavg.
func LoadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// Percentile is the q quantile (0 ≤ q ≤ 1) of sorted, which must not be empty.
func Percentile(sorted []time.Duration, q float64) time.Duration {
	return sorted[min(len(sorted)-1, int(q*float64(len(sorted))))]
}

// Median of v, which must not be empty; v is left as it was.
func Median(v []float64) float64 {
	v = slices.Clone(v)
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// Floats formats v with two decimals, space-separated.
func Floats(v []float64) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.FormatFloat(x, 'f', 2, 64)
	}
	return strings.Join(s, " ")
}

// Ms is d in milliseconds.
func Ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
