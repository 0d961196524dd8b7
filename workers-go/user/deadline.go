package user

import (
	"net"
	"time"
)

// fasthttp sets a connection's write and read deadlines for every request with a timeout: two
// system-level timer moves (and a clock read each) per request, about a tenth of a closed loop's
// CPU against a fast server (the same loop without them sent 10 % more requests per CPU-second).
// A connection between the client and the network keeps a deadline it was asked for only when
// the one it has is too soon, or later than asked by more than it may be: a request's deadline
// then fires at most lateBy later than asked (its remaining time / lateShare, maxLate at most),
// never sooner, and a connection used a thousand times a second moves its timer about once
// every maxLate instead of twice per request.
const (
	lateShare = 16
	maxLate   = 10 * time.Millisecond
)

// lazyConn is a connection whose deadlines move only when they must (see lateShare), and which
// reads an answer only once it is likely there (see yield.go). fasthttp, and the TLS connection
// on it, use it from the goroutine that holds the connection for a request or its handshake, one
// at a time.
type lazyConn struct {
	net.Conn
	addr        *connAddr // its LocalAddr, and whether it carried an answer (keptRetries)
	read, write deadline
	sent        bool        // written to since the last read: the next read waits for its turn
	lastSend    instant     // when the last request began to be written; 0: none yet (idleclosed.go)
	peek        *socketPeek // looks at the socket before a request after a pause; made at its first use
}

func (c *lazyConn) LocalAddr() net.Addr {
	if c.addr == nil {
		return c.Conn.LocalAddr()
	}
	return c.addr
}

func (c *lazyConn) SetDeadline(t time.Time) error {
	if err := c.SetReadDeadline(t); err != nil {
		return err
	}
	return c.SetWriteDeadline(t)
}

func (c *lazyConn) SetReadDeadline(t time.Time) error {
	return c.read.move(t, c.Conn.SetReadDeadline)
}

func (c *lazyConn) SetWriteDeadline(t time.Time) error {
	return c.write.move(t, c.Conn.SetWriteDeadline)
}

// deadline is one of a connection's deadlines as set, and how much later than asked it was set.
type deadline struct {
	set  time.Time // zero: none
	late time.Duration
}

// move asks for a deadline of want (zero: none); apply sets the connection's. The one set is
// kept when it is no sooner than want and later by no more than it was allowed to be.
func (d *deadline) move(want time.Time, apply func(time.Time) error) error {
	switch {
	case want.IsZero() && d.set.IsZero():
		return nil
	case !want.IsZero() && !d.set.IsZero() && !want.After(d.set) && d.set.Sub(want) <= d.late:
		return nil
	}
	set, late := want, time.Duration(0)
	if !want.IsZero() {
		late = min(max(time.Until(want)/lateShare, 0), maxLate)
		set = want.Add(late)
	}
	if err := apply(set); err != nil {
		*d = deadline{} // unknown: the next call sets it again
		return err
	}
	d.set, d.late = set, late
	return nil
}
