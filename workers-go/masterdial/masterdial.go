// Package masterdial opens a ZeroMQ DEALER connection to the Locust master, retrying while the
// master is not up yet: workers may start before their master, as they do in Kubernetes. The
// guard relay and the lifeline both connect this way; the worker first waits for its master
// with Await, which says at once what is wrong with the address while it keeps retrying.
package masterdial

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/myzhan/gomq/zmtp"
)

// retryEvery is the pause between attempts.
const retryEvery = 250 * time.Millisecond

// handshakeWithin bounds one attempt's ZeroMQ handshake: a server that accepts the connection
// but is not a Locust master (a web server on the wrong port) may never answer it.
const handshakeWithin = 3 * time.Second

// Dial connects to addr (host:port) as a DEALER with identity and completes the ZeroMQ
// handshake, retrying until within has passed.
func Dial(addr, identity string, within time.Duration) (net.Conn, *zmtp.Connection, error) {
	return DialReporting(addr, identity, within, nil)
}

// DialReporting is Dial that calls report with a short reason (Reason) after the first failed
// attempt and whenever the reason changes, so the user learns what is wrong while it retries.
func DialReporting(addr, identity string, within time.Duration, report func(reason string)) (net.Conn, *zmtp.Connection, error) {
	deadline := time.Now().Add(within)
	var lastErr error
	reported := ""
	for time.Now().Before(deadline) {
		conn, err := net.DialTimeout("tcp", addr, time.Until(deadline))
		if err == nil {
			_ = conn.SetDeadline(earliest(deadline, time.Now().Add(handshakeWithin)))
			zconn := zmtp.NewConnection(conn)
			if _, err = zconn.Prepare(zmtp.NewSecurityNull(), zmtp.DealerSocketType, zmtp.SocketIdentity(identity), false, nil); err == nil {
				_ = conn.SetDeadline(time.Time{})
				return conn, zconn, nil
			}
			conn.Close()
			err = &handshakeError{err}
		}
		lastErr = err
		if reason := Reason(err); report != nil && reason != reported {
			reported = reason
			report(reason)
		}
		time.Sleep(retryEvery)
	}
	return nil, nil, fmt.Errorf("no master answered at %s within %s (last error: %s)", addr, within, Reason(lastErr))
}

// Await waits until a Locust master answers at addr and closes the connection again; it
// returns the error of the last attempt when none answered within.
func Await(addr string, within time.Duration, report func(reason string)) error {
	identity := fmt.Sprintf("await-%d-%d", os.Getpid(), time.Now().UnixNano())
	conn, _, err := DialReporting(addr, identity, within, report)
	if err != nil {
		return err
	}
	return conn.Close()
}

// handshakeError marks a connection that was accepted but did not complete ZeroMQ's handshake.
type handshakeError struct{ err error }

func (e *handshakeError) Error() string { return e.err.Error() }

// Reason says in a few words why an attempt failed.
func Reason(err error) string {
	var handshake *handshakeError
	var timeout interface{ Timeout() bool }
	switch {
	case err == nil:
		return "no attempt"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.As(err, &handshake) && strings.Contains(handshake.err.Error(), "i/o timeout"):
		// gomq wraps errors as text: the deadline shows only in the message.
		return fmt.Sprintf("something accepts connections there but does not answer ZeroMQ's handshake within %s; "+
			"is it the master's worker port (--master-bind-port, default 5557)?", handshakeWithin)
	case errors.As(err, &handshake):
		return "something answers there but not as a Locust master (no ZeroMQ handshake); " +
			"is it the master's worker port (--master-bind-port, default 5557)?"
	case errors.As(err, &timeout) && timeout.Timeout():
		return "no answer to connecting"
	default:
		return err.Error()
	}
}

func earliest(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
