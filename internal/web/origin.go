package web

import (
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
)

// origin is the scheme and host that absolute URLs (OpenGraph, JSON-LD, calendar feeds and
// their UIDs) are built on, without a trailing slash.
//
// It is the configured --base-url. Without one it is the address the request reached the
// server at: the request's Host header only when it names that very address (the local IP
// address and port of the connection, or localhost on a loopback connection), and otherwise the
// connection's local address itself. A Host header a client makes up never reaches a page or a
// feed, where a cache or a subscriber would keep it; behind a proxy, set --base-url.
func (s *Server) origin(r *http.Request) string {
	if s.cfg.BaseURL != "" {
		return s.cfg.BaseURL
	}
	scheme, defPort := "http", 80
	if r.TLS != nil {
		scheme, defPort = "https", 443
	}
	local, ok := localAddr(r)
	if !ok {
		return scheme + "://" + listenHost(s.cfg.Listen)
	}
	if hostIsLocal(r.Host, local, defPort) {
		return scheme + "://" + strings.ToLower(r.Host)
	}
	if int(local.Port()) == defPort {
		return scheme + "://" + hostOf(local.Addr())
	}
	return scheme + "://" + net.JoinHostPort(local.Addr().String(), strconv.Itoa(int(local.Port())))
}

// localAddr is the address of the server's side of the request's connection.
func localAddr(r *http.Request) (netip.AddrPort, bool) {
	a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if !ok {
		return netip.AddrPort{}, false
	}
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(ap.Addr().Unmap().WithZone(""), ap.Port()), true
}

// hostIsLocal tells whether a Host header names the local address of the connection.
func hostIsLocal(host string, local netip.AddrPort, defPort int) bool {
	name, port := host, defPort
	if h, p, err := net.SplitHostPort(host); err == nil {
		n, err := strconv.Atoi(p)
		if err != nil || p == "" {
			return false
		}
		name, port = h, n
	} else if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		name = host[1 : len(host)-1]
	}
	if port != int(local.Port()) {
		return false
	}
	if strings.EqualFold(name, "localhost") {
		return local.Addr().IsLoopback()
	}
	a, err := netip.ParseAddr(name)
	return err == nil && a.Unmap() == local.Addr()
}

// hostOf writes an address as the host of a URL.
func hostOf(a netip.Addr) string {
	if a.Is6() {
		return "[" + a.String() + "]"
	}
	return a.String()
}

// listenHost is the host of the listen address as a URL's host: localhost for a wildcard.
func listenHost(listen string) string {
	h, p, err := net.SplitHostPort(listen)
	if err != nil {
		return "localhost"
	}
	if a, err := netip.ParseAddr(h); h == "" || (err == nil && a.IsUnspecified()) {
		h = "localhost"
	}
	if p == "80" {
		if strings.Contains(h, ":") {
			return "[" + h + "]"
		}
		return h
	}
	return net.JoinHostPort(h, p)
}
