package publish

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"sistercity/internal/db"
	"sistercity/internal/problem"
)

// Limits on the list of sites that may embed the player.
const (
	MaxEmbedOrigins   = 100
	MaxEmbedOriginLen = 200
)

// embedOriginsKey is the settings row holding the list, one origin a line; no row, or an empty
// one, lets any site embed.
const embedOriginsKey = "embed_origins"

// ParseOrigins reads the admin's list of sites that may embed the player: one origin a line
// (https://www.busan.go.kr, http://localhost:8081), blank lines ignored. An entry that is not an
// http or https origin — a path, a query, credentials, another scheme, a wildcard — is refused
// with the line's message, so that nothing half-read is saved. Each origin comes back in the
// form browsers compare: lower case, without its scheme's default port, once.
func ParseOrigins(text string) ([]string, error) {
	var out []string
	var errs problem.Fields
	seen := map[string]bool{}
	if len(text) > MaxEmbedOrigins*(MaxEmbedOriginLen+2) {
		errs.Add("origins", "embed.settings.error.too_many", "count", MaxEmbedOrigins)
		return nil, errs.Err()
	}
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		o, ok := normalizeOrigin(line)
		if !ok {
			errs.Add("origins", "embed.settings.error.origin", "line", i+1, "origin", truncate(line, 60))
			continue
		}
		if !seen[o] {
			seen[o] = true
			out = append(out, o)
		}
	}
	if len(out) > MaxEmbedOrigins {
		errs.Add("origins", "embed.settings.error.too_many", "count", MaxEmbedOrigins)
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// normalizeOrigin returns raw as a serialized origin, scheme://host[:port].
func normalizeOrigin(raw string) (string, bool) {
	if len(raw) > MaxEmbedOriginLen || strings.ContainsAny(raw, " \t*;,'\"") {
		return "", false
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery || u.Opaque != "" {
		return "", false
	}
	host, port := u.Hostname(), u.Port()
	if host == "" || strings.HasSuffix(host, ".") {
		return "", false
	}
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return "", false
		}
		if (u.Scheme == "http" && n == 80) || (u.Scheme == "https" && n == 443) {
			port = ""
		} else {
			port = strconv.Itoa(n)
		}
	}
	host = strings.ToLower(host)
	if strings.Contains(host, ":") { // an IPv6 address
		if net.ParseIP(host) == nil {
			return "", false
		}
		host = "[" + host + "]"
	} else if !validHostname(host) {
		return "", false
	}
	if port != "" {
		host += ":" + port
	}
	return u.Scheme + "://" + host, true
}

// validHostname accepts DNS names (letters, digits, hyphens; punycode for others) and IPv4
// addresses.
func validHostname(h string) bool {
	for label := range strings.SplitSeq(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// FrameAncestors is the Content-Security-Policy frame-ancestors value for a list of origins:
// any site when the list is empty, else the site itself and the listed origins.
func FrameAncestors(origins []string) string {
	if len(origins) == 0 {
		return "*"
	}
	return "'self' " + strings.Join(origins, " ")
}

// EmbedOrigins loads the admin's list; empty means any site may embed.
func EmbedOrigins(ctx context.Context, q db.Querier) ([]string, error) {
	var v string
	err := q.QueryRowContext(ctx, "SELECT value FROM settings WHERE key = $1", embedOriginsKey).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("publish: load embed origins: %w", err)
	}
	var out []string
	for line := range strings.SplitSeq(v, "\n") {
		if line != "" {
			out = append(out, line)
		}
	}
	return out, nil
}

// SetEmbedOrigins saves the list, checked by ParseOrigins.
func SetEmbedOrigins(ctx context.Context, tx *sql.Tx, origins []string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ($1, $2)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, embedOriginsKey, strings.Join(origins, "\n"))
	if err != nil {
		return fmt.Errorf("publish: save embed origins: %w", err)
	}
	return nil
}
