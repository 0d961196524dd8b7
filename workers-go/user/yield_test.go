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
	// Many rounds: a yield lets the ready goroutine go first, but the scheduler takes the yielding
	// one back first now and then (it serves its global queue first at every 61st schedule, for
	// fairness), so a single round would fail 1 time in 61.
	const rounds = 200
	for range rounds {
		readWith(true)  // the first read after a write: the other goroutine goes first
		readWith(false) // a read that continues an answer: at once
	}
	afterWrite, continuing := 0, 0
	for i, first := range inner.ranFirst {
		switch {
		case !first:
		case i%2 == 0:
			afterWrite++
		default:
			continuing++
		}
	}
	if afterWrite < rounds*9/10 || continuing != 0 {
		t.Fatalf("the ready goroutine had run before %d of %d first reads after a write (want nearly all) and before %d of %d reads continuing an answer (want none)",
			afterWrite, rounds, continuing, rounds)
	}
}
