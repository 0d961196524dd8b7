package user

import (
	"errors"
	"time"
)

// Servers close keep-alive connections that stay idle: gunicorn after 2 s, uvicorn (FastAPI),
// Node and Apache after 5 s. A user that waits longer between two requests finds its connection
// closed by the server (its FIN has come) while still in the pool, and a request written into it
// fails with "connection reset by the server" though the server never saw it: a POST, which is
// not sent again, was a failure in Locust that the target had not served, and an idempotent
// request sent again on one stale connection after another failed once fasthttp's 5 attempts
// were spent on them (as many stale connections as users waited). Python's requests (urllib3)
// looks first: a connection the server closed is dropped before it is used. So does the worker:
// before the first write of a request on a kept connection (one that has carried an answer:
// connAddr.answered) idle at least peekAfter, it peeks at the socket without waiting
// (peerClosed). When the server has closed it (or sent something unasked, such as a 408 before
// closing), the write fails with errIdleClosed, nothing is sent, fasthttp closes the connection,
// and the request is sent on another one, whatever its method (retryIfErr). A connection used
// again sooner than peekAfter is not looked at, so a busy closed loop pays no system call for
// it; nor is one that has carried no answer yet: its TLS handshake may leave a session ticket
// unread (OpenSSL sends two), and its first request goes on it at once anyway.

// kept reports whether the connection has carried an answer (keptRetries marks it).
func (c *lazyConn) kept() bool { return c.addr != nil && c.addr.answered.Load() }

// peekAfter is how long after the start of its last request a connection is looked at before
// the next (so every connection idle that long is): no server closes an idle connection sooner.
const peekAfter = 100 * time.Millisecond

// errIdleClosed is a kept connection the server closed while it was idle: the request was not
// written, and is sent again on another connection.
var errIdleClosed = errors.New("the server closed the kept connection while it was idle")

// startRequest is called at the first write of each request (and of each TLS handshake step):
// it reports whether the connection can carry it, and notes when it began.
func (c *lazyConn) startRequest() bool {
	t := monoNow()
	if c.lastSend != 0 && time.Duration(t-c.lastSend) >= peekAfter && c.kept() && c.peerClosed() {
		return false
	}
	c.lastSend = t
	return true
}
