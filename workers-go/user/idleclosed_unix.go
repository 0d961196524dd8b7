//go:build unix && !aix

package user

import "syscall"

// peerClosed reports whether the server closed the connection or sent data nobody asked for:
// a read of the socket that neither waits nor takes what it finds (MSG_PEEK | MSG_DONTWAIT).
// Nothing to read (EAGAIN) is a live idle connection. It uses the socket's descriptor through
// Control, which honours no read deadline (an expired one from the last request would skip the
// look); the socket and the function that looks are made once per connection, not per request.
func (c *lazyConn) peerClosed() bool {
	if c.peek == nil {
		sc, ok := c.Conn.(syscall.Conn)
		if !ok {
			return false
		}
		raw, err := sc.SyscallConn()
		if err != nil {
			return false
		}
		c.peek = &socketPeek{raw: raw}
		c.peek.look = c.peek.recv
	}
	c.peek.closed = false
	if err := c.peek.raw.Control(c.peek.look); err != nil {
		return false
	}
	return c.peek.closed
}

// socketPeek looks at a connection's socket; look is recv bound once, so that Control is not
// handed a new closure (an allocation) per look.
type socketPeek struct {
	raw    syscall.RawConn
	look   func(fd uintptr)
	buf    [1]byte
	closed bool
}

func (p *socketPeek) recv(fd uintptr) {
	for {
		_, _, err := syscall.Recvfrom(int(fd), p.buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN || err == syscall.EWOULDBLOCK:
			p.closed = false // open, nothing pending
		default: // data nobody asked for (n > 0), the server's FIN (0 bytes), or an error (a reset)
			p.closed = true
		}
		return
	}
}
