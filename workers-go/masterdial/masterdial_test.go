package masterdial

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/myzhan/gomq/zmtp"
)

func TestDial(t *testing.T) {
	cases := []struct {
		name      string
		listen    time.Duration // when the master starts listening; < 0: never
		within    time.Duration
		wantError string
	}{
		{"master up", 0, 2 * time.Second, ""},
		{"master starts late", 600 * time.Millisecond, 5 * time.Second, ""},
		{"no master", -1, 600 * time.Millisecond, "no master answered at ADDR within 600ms (last error: "},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			addr := releasedAddr(t)
			identities := make(chan string, 1)
			if c.listen >= 0 {
				go func() {
					time.Sleep(c.listen)
					ln, err := net.Listen("tcp", addr)
					if err != nil {
						return
					}
					t.Cleanup(func() { ln.Close() })
					conn, err := ln.Accept()
					if err != nil {
						return
					}
					defer conn.Close()
					zconn := zmtp.NewConnection(conn)
					if _, err := zconn.Prepare(zmtp.NewSecurityNull(), zmtp.RouterSocketType, nil, true, nil); err == nil {
						id, _ := zconn.GetIdentity()
						identities <- id
					}
				}()
			}
			conn, _, err := Dial(addr, "worker-1", c.within)
			if c.wantError != "" {
				if want := strings.ReplaceAll(c.wantError, "ADDR", addr); err == nil || !strings.HasPrefix(err.Error(), want) {
					t.Fatalf("got %v, want an error starting %q", err, want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if id := <-identities; id != "worker-1" {
				t.Fatalf("the master saw identity %q, want worker-1", id)
			}
		})
	}
}

// releasedAddr returns a loopback address nothing listens on, to listen on later. It is taken
// above the ephemeral port range: on a busy machine an outgoing connection or a server on port 0
// may take a released ephemeral port before the test listens on it again, and the ports below the
// range are the ones the Python tests, run beside these (make test), pick for their masters and
// targets (harness/procs.py free_port) and bind a moment later.
func releasedAddr(t *testing.T) string {
	t.Helper()
	low := 61000 // above Linux's default ephemeral range, 32768-60999
	if text, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if fields := strings.Fields(string(text)); len(fields) == 2 {
			if high, err := strconv.Atoi(fields[1]); err == nil && high < 65000 {
				low = high + 1
			}
		}
	}
	for range 1000 {
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", low+rand.IntN(65536-low)))
		if err == nil {
			ln.Close()
			return ln.Addr().String()
		}
	}
	t.Fatalf("no free loopback port from %d to 65535", low)
	return ""
}

// A wrong address is reported after the first attempt, in words that say what is there, while
// the dial keeps retrying until its time is up.
func TestDialReporting(t *testing.T) {
	cases := []struct {
		name  string
		serve func(net.Listener) // nil: nothing listens
		want  string
	}{
		{"nothing listens", nil, "connection refused"},
		{"a web server", func(ln net.Listener) {
			for {
				conn, err := ln.Accept()
				if err != nil {
					return
				}
				_, _ = conn.Write([]byte("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"))
				conn.Close()
			}
		}, "something answers there but not as a Locust master (no ZeroMQ handshake)"},
		{"a silent server", func(ln net.Listener) {
			for {
				conn, err := ln.Accept()
				if err != nil {
					return
				}
				t.Cleanup(func() { conn.Close() })
			}
		}, "something accepts connections there but does not answer ZeroMQ's handshake within 3s"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			addr := ln.Addr().String()
			counted := &countingListener{Listener: ln}
			if c.serve == nil {
				ln.Close()
			} else {
				defer ln.Close()
				go c.serve(counted)
			}
			var reasons []string
			started := time.Now()
			var firstAfter time.Duration
			var acceptedThen int32
			_, _, err = DialReporting(addr, "worker-1", 4*time.Second, func(reason string) {
				if reasons == nil {
					firstAfter = time.Since(started)
					acceptedThen = counted.accepted.Load()
				}
				reasons = append(reasons, reason)
			})
			if err == nil {
				t.Fatal("got a connection, want none")
			}
			if len(reasons) != 1 || !strings.HasPrefix(reasons[0], c.want) {
				t.Fatalf("got reasons %q, want one starting %q", reasons, c.want)
			}
			// The reason comes after the first attempt, not at the end: where a server accepts,
			// it had accepted one connection then and more after (counted, not timed: the silent
			// server's first attempt alone takes 3 s of the 4); where none listens, at once.
			if c.serve != nil {
				if accepted := counted.accepted.Load(); acceptedThen != 1 || accepted < 2 {
					t.Fatalf("the first reason came after %d accepted connections of %d; want after the first", acceptedThen, accepted)
				}
			} else if firstAfter > 3500*time.Millisecond {
				t.Fatalf("the first reason came after %s", firstAfter)
			}
			if !strings.Contains(err.Error(), "(last error: "+c.want) {
				t.Fatalf("got %v, want the last error to be %q", err, c.want)
			}
		})
	}
}

// countingListener counts the connections it accepted.
type countingListener struct {
	net.Listener
	accepted atomic.Int32
}

func (l *countingListener) Accept() (net.Conn, error) {
	conn, err := l.Listener.Accept()
	if err == nil {
		l.accepted.Add(1)
	}
	return conn, err
}
