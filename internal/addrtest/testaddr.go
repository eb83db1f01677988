// Package addrtest gives tests loopback addresses for servers they start in another process or
// later: serve, versitygw. It is imported by tests only.
package addrtest

import (
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
)

// Free is a loopback address free now, for a server that listens on it a moment or seconds
// later (after migrating and seeding, or when restarted after a kill). Its port is taken below
// the kernel's range of ephemeral ports where there is one: a port from that range (what
// listening on port 0 gives) may meanwhile become the source port of any outgoing connection or
// the port of another test's listener, and the server then fails with "address already in use"
// (CI saw it once, for serve --demo).
func Free(tb testing.TB) string {
	tb.Helper()
	if low := ephemeralLow(); low > 20000 {
		for range 100 {
			port := 15000 + rand.IntN(low-15000)
			l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
			if err != nil {
				continue
			}
			addr := l.Addr().String()
			l.Close()
			return addr
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// ephemeralLow is the lowest port of Linux's range for ephemeral ports, or 0 where it cannot be
// read.
func ephemeralLow() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 0
	}
	fields := strings.Fields(string(b))
	if len(fields) != 2 {
		return 0
	}
	low, err := strconv.Atoi(fields[0])
	if err != nil {
		return 0
	}
	return low
}
