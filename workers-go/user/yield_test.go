package user

import (
	"net"
	"runtime"
	"sync/atomic"
	"testing"
)

// watchedConn is a connection that does not block and notes, at each read, whether a goroutine
// started before it has run yet.
type watchedConn struct {
	net.Conn
	ran      *atomic.Bool
	ranFirst []bool
}

func (c *watchedConn) Write(b []byte) (int, error) { return len(b), nil }

func (c *watchedConn) Read(b []byte) (int, error) {
	c.ranFirst = append(c.ranFirst, c.ran.Load())
	return 0, nil
}

func TestLazyConn_reads_after_the_ready_goroutines_only_when_an_answer_is_awaited(t *testing.T) {
	// One P: a goroutine started here runs only once this one yields or blocks.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	var ran atomic.Bool
	inner := &watchedConn{ran: &ran}
	c := &lazyConn{Conn: inner}
	readWith := func(write bool) {
		ran.Store(false)
		done := make(chan struct{})
		go func() { ran.Store(true); close(done) }()
		if write {
			_, _ = c.Write([]byte("GET / HTTP/1.1\r\n\r\n"))
		}
		_, _ = c.Read(make([]byte, 1))
		<-done
	}
	readWith(true)  // the first read after a write: the other goroutine goes first
	readWith(false) // a read that continues an answer: at once
	readWith(true)
	want := []bool{true, false, true}
	for i := range want {
		if inner.ranFirst[i] != want[i] {
			t.Fatalf("read %d: the ready goroutine had run before it: %v, want %v (all reads: %v)", i+1, inner.ranFirst[i], want[i], inner.ranFirst)
		}
	}
}
