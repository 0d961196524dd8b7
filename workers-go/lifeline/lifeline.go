// Package lifeline tells a worker that its master is gone. boomer's own connection never
// reconnects and only gives up after 60 s without heartbeats, leaving a process that looks
// alive but serves no master. A second, silent ZeroMQ connection to the master's port sees the
// master's sockets close at once (crash, restart, pod eviction), so the worker can exit non-zero
// and its supervisor can start a fresh one that registers with the new master.
package lifeline

import (
	"fmt"
	"net"
	"os"
	"time"

	"locustfleet/worker/masterdial"
)

// Watch connects to the master at addr and returns a channel that receives one error when the
// connection is lost, or when no master answers within connectTimeout. The probe never sends a
// Locust message, so the master never counts it as a worker.
func Watch(addr string, connectTimeout time.Duration) <-chan error {
	lost := make(chan error, 1)
	go func() {
		identity := fmt.Sprintf("lifeline-%d-%d", os.Getpid(), time.Now().UnixNano())
		conn, _, err := masterdial.Dial(addr, identity, connectTimeout)
		if err != nil {
			lost <- err
			return
		}
		defer conn.Close()
		lost <- wait(conn, addr)
	}()
	return lost
}

// wait blocks until the master closes the connection. The master never writes to the probe,
// so any read that returns means the connection has ended.
func wait(conn net.Conn, addr string) error {
	buf := make([]byte, 512)
	for {
		if _, err := conn.Read(buf); err != nil {
			return fmt.Errorf("lost the master at %s: %v", addr, err)
		}
	}
}
