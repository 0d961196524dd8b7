package masterdial

import (
	"net"
	"strings"
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
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			addr := ln.Addr().String()
			ln.Close()
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
