package addrtest

import (
	"net"
	"strconv"
	"testing"
)

// The address is on loopback, free (a server can listen on it), and below the ephemeral range
// where the kernel has one.
func TestFree(t *testing.T) {
	low := ephemeralLow()
	for range 20 {
		addr := Free(t)
		host, portText, err := net.SplitHostPort(addr)
		if err != nil || host != "127.0.0.1" {
			t.Fatalf("Free gave %q (%v), want a 127.0.0.1 address", addr, err)
		}
		port, _ := strconv.Atoi(portText)
		if low > 20000 && (port < 15000 || port >= low) {
			t.Errorf("port %d, want one in [15000, %d)", port, low)
		}
		l, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatalf("listen on %s: %v", addr, err)
		}
		l.Close()
	}
}
