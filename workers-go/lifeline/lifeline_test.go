package lifeline

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/myzhan/gomq/zmtp"
)

// router accepts one ZeroMQ connection as a ROUTER would and hands it to the test.
func router(t *testing.T) (string, <-chan net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	accepted := make(chan net.Conn, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		if _, err := zmtp.NewConnection(conn).Prepare(zmtp.NewSecurityNull(), zmtp.RouterSocketType, nil, true, nil); err != nil {
			conn.Close()
			return
		}
		accepted <- conn
	}()
	return ln.Addr().String(), accepted
}

func TestWatch_ReportsWhenTheMasterCloses(t *testing.T) {
	t.Parallel()
	addr, accepted := router(t)
	lost := Watch(addr, 5*time.Second)
	conn := <-accepted
	select {
	case err := <-lost:
		t.Fatalf("reported %v while the master was up", err)
	case <-time.After(300 * time.Millisecond):
	}
	conn.Close()
	select {
	case err := <-lost:
		if !strings.HasPrefix(err.Error(), "lost the master at "+addr+": ") {
			t.Errorf("got %q", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no report 5 s after the master closed its socket")
	}
}

func TestWatch_GivesUpWhenNoMasterAnswers(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	select {
	case err := <-Watch(addr, 600*time.Millisecond):
		if !strings.HasPrefix(err.Error(), "no master answered at "+addr+" within 600ms") {
			t.Errorf("got %q", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Watch did not give up")
	}
}
