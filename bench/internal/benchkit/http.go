package benchkit

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
)

var hiddenInput = regexp.MustCompile(`<input[^>]*type="hidden"[^>]*>`)
var attr = regexp.MustCompile(`(name|value)="([^"]*)"`)

// HiddenFields are the name and value of every hidden input of an HTML page (a form's CSRF
// token among them), as a browser sends them back with the form.
func HiddenFields(page []byte) url.Values {
	form := url.Values{}
	for _, in := range hiddenInput.FindAll(page, -1) {
		var name, value string
		for _, m := range attr.FindAllSubmatch(in, -1) {
			if string(m[1]) == "name" {
				name = html.UnescapeString(string(m[2]))
			} else {
				value = html.UnescapeString(string(m[2]))
			}
		}
		if name != "" {
			form.Set(name, value)
		}
	}
	return form
}

// GetOK fetches u with c and wants 200; it returns the body.
func GetOK(ctx context.Context, c *http.Client, u string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: status %d", u, resp.StatusCode)
	}
	return body, nil
}

// SignIn signs in at base through the sign-in form, as a browser does — the form's hidden fields
// (its CSRF token) and whatever cookies it set go back with the POST — and returns the Cookie
// header of the signed-in session, checked on /admin/.
func SignIn(ctx context.Context, base, username, password string) (string, error) {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Transport: &http.Transport{Proxy: nil},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	defer c.CloseIdleConnections()
	body, err := GetOK(ctx, c, base+"/admin/sign-in")
	if err != nil {
		return "", err
	}
	form := HiddenFields(body)
	form.Set("username", username)
	form.Set("password", password)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/admin/sign-in", strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		return "", fmt.Errorf("POST /admin/sign-in: status %d, want 303", resp.StatusCode)
	}
	u, _ := url.Parse(base)
	var parts []string
	for _, ck := range jar.Cookies(u) {
		parts = append(parts, ck.Name+"="+ck.Value)
	}
	cookie := strings.Join(parts, "; ")
	// Signed in: /admin/ answers 200 rather than sending to the sign-in form.
	req, err = http.NewRequestWithContext(ctx, http.MethodGet, base+"/admin/", nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Cookie", cookie)
	resp, err = c.Do(req)
	if err != nil {
		return "", err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("after signing in: GET /admin/: status %d", resp.StatusCode)
	}
	return cookie, nil
}

// Memory is a process's resident set now (VmRSS) and at its highest (VmHWM), in kB.
type Memory struct{ RSS, HWM int64 }

// ProcMemory reads pid's resident memory from /proc/PID/status.
func ProcMemory(pid int) (Memory, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return Memory{}, err
	}
	return ParseStatus(string(b))
}

// ParseStatus reads VmRSS and VmHWM from the text of /proc/PID/status.
func ParseStatus(s string) (Memory, error) {
	var m Memory
	for line := range strings.Lines(s) {
		k, v, ok := strings.Cut(line, ":")
		if !ok || (k != "VmRSS" && k != "VmHWM") {
			continue
		}
		f := strings.Fields(v)
		if len(f) != 2 || f[1] != "kB" {
			return Memory{}, fmt.Errorf("/proc status: %q", line)
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return Memory{}, fmt.Errorf("/proc status: %q", line)
		}
		if k == "VmRSS" {
			m.RSS = n
		} else {
			m.HWM = n
		}
	}
	if m.RSS == 0 || m.HWM == 0 {
		return Memory{}, errors.New("/proc status: no VmRSS or VmHWM")
	}
	return m, nil
}

// MB is kb in megabytes.
func MB(kb int64) float64 { return float64(kb) / 1024 }
