// Package safehttp is the HTTP client for every request the server makes to an address that a
// remote party chose (ActivityPub actors and objects, deliveries, remote images): it refuses
// loopback, private, link-local, multicast and unspecified addresses unless configured, bounds
// time, redirects and the size of what it reads.
//
// The address is checked in the dialer's Control function, on the very address about to be
// dialled after DNS resolution, so a name that resolves to a public address when looked up and
// to 127.0.0.1 when dialled (DNS rebinding) is still refused.
package safehttp

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// Limits on what is read from a response.
const (
	MaxJSONBytes  = 1 << 20 // an actor, an object, a WebFinger answer
	MaxImageBytes = 5 << 20 // an avatar, a poster
	MaxRedirects  = 3
)

// ErrRefused is returned (wrapped) when an address is not allowed.
var ErrRefused = errors.New("safehttp: address refused")

// ErrTooLarge is returned by Read when the body is over its limit.
var ErrTooLarge = errors.New("safehttp: response too large")

// Options configure a Client. Zero values take the defaults named.
type Options struct {
	// Allow lists the prefixes that may be reached although not public (config
	// --fed-allow-private).
	Allow []netip.Prefix
	// Timeout bounds a whole request, body included. Default 20s.
	Timeout time.Duration
	// DialTimeout bounds the connection. Default 5s.
	DialTimeout time.Duration
}

// MaxIdleConns bounds the idle connections the client keeps, all hosts together (4 a host, for
// 90 s). A fan-out reaches each follower's server once; with a bound below the servers a
// fan-out reaches, each connection put back evicted another, and a connection evicted while a
// POST was being written on it failed that POST ("transport connection broken: putIdleConn: too
// many idle connections"): bench/fanout over 1,000 servers saw 49–142 deliveries of 1,000 fail
// so and go out again (the server had them already) with a bound of 100, none with 2,048.
const MaxIdleConns = 2048

// New returns a client that refuses the addresses Allowed refuses.
func New(o Options) *http.Client {
	if o.Timeout == 0 {
		o.Timeout = 20 * time.Second
	}
	if o.DialTimeout == 0 {
		o.DialTimeout = 5 * time.Second
	}
	allow := o.Allow
	dialer := &net.Dialer{
		Timeout: o.DialTimeout,
		Control: func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("%w: %s", ErrRefused, address)
			}
			if !Allowed(ap.Addr(), allow) {
				return fmt.Errorf("%w: %s", ErrRefused, ap.Addr())
			}
			return nil
		},
	}
	tr := &http.Transport{
		// No proxy from the environment: a proxy would dial for us and skip the check.
		Proxy:                  nil,
		DialContext:            dialer.DialContext,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           MaxIdleConns,
		MaxIdleConnsPerHost:    4,
		IdleConnTimeout:        90 * time.Second,
		TLSHandshakeTimeout:    10 * time.Second,
		ResponseHeaderTimeout:  o.Timeout,
		MaxResponseHeaderBytes: 64 << 10,
	}
	return &http.Client{
		Transport: tr,
		Timeout:   o.Timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > MaxRedirects {
				return fmt.Errorf("safehttp: more than %d redirects", MaxRedirects)
			}
			if req.URL.Scheme != "https" && req.URL.Scheme != "http" {
				return fmt.Errorf("safehttp: redirect to %q", req.URL.Scheme)
			}
			return nil
		},
	}
}

// Allowed reports whether a may be dialled: a public unicast address, or one inside allow.
func Allowed(a netip.Addr, allow []netip.Prefix) bool {
	a = a.Unmap()
	for _, p := range allow {
		if p.Contains(a) {
			return true
		}
	}
	switch {
	case !a.IsValid(), a.IsUnspecified(), a.IsLoopback(), a.IsPrivate(), a.IsLinkLocalUnicast(),
		a.IsLinkLocalMulticast(), a.IsInterfaceLocalMulticast(), a.IsMulticast():
		return false
	}
	for _, p := range special {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

// special are ranges that are neither private nor public in the sense that matters here:
// carrier-grade NAT, "this network", benchmarking, IPv4-in-IPv6 translation and the like.
var special = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"),
	netip.MustParsePrefix("64:ff9b:1::/48"),
	netip.MustParsePrefix("2002::/16"),
}

// Read reads resp's body up to limit bytes and closes it; a longer body is ErrTooLarge.
func Read(resp *http.Response, limit int64) ([]byte, error) {
	defer resp.Body.Close()
	if resp.ContentLength > limit {
		return nil, ErrTooLarge
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, ErrTooLarge
	}
	return b, nil
}
