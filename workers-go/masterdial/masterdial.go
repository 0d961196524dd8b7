// Package masterdial opens a ZeroMQ DEALER connection to the Locust master, retrying while the
// master is not up yet: workers may start before their master, as they do in Kubernetes. The
// guard relay and the lifeline both connect this way.
package masterdial

import (
	"fmt"
	"net"
	"time"

	"github.com/myzhan/gomq/zmtp"
)

// retryEvery is the pause between attempts.
const retryEvery = 250 * time.Millisecond

// Dial connects to addr (host:port) as a DEALER with identity and completes the ZeroMQ
// handshake, retrying until within has passed.
func Dial(addr, identity string, within time.Duration) (net.Conn, *zmtp.Connection, error) {
	deadline := time.Now().Add(within)
	var lastErr error
	for time.Now().Before(deadline) {
		conn, err := net.DialTimeout("tcp", addr, time.Until(deadline))
		if err == nil {
			_ = conn.SetDeadline(deadline)
			zconn := zmtp.NewConnection(conn)
			if _, err = zconn.Prepare(zmtp.NewSecurityNull(), zmtp.DealerSocketType, zmtp.SocketIdentity(identity), false, nil); err == nil {
				_ = conn.SetDeadline(time.Time{})
				return conn, zconn, nil
			}
			conn.Close()
		}
		lastErr = err
		time.Sleep(retryEvery)
	}
	return nil, nil, fmt.Errorf("no master answered at %s within %s (last error: %v)", addr, within, lastErr)
}
