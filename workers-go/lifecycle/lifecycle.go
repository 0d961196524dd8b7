// Package fleet runs boomer tasks as a worker of a Locust master and decides how the process
// ends: 0 when the master says quit or the user interrupts, 1 when the master is gone, so that a
// supervisor (make up, Kubernetes) starts a fresh worker for the next master.
package lifecycle

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/myzhan/boomer"

	"locustfleet/worker/guard"
	"locustfleet/worker/hostname"
	"locustfleet/worker/lifeline"
	"locustfleet/worker/masterdial"
)

// Exit codes of a worker process.
const (
	ExitOK         = 0 // the master sent quit, or the worker was interrupted
	ExitMasterLost = 1 // the master went away, never answered or sent no heartbeat for --master-heartbeat-timeout (with --run-tasks: the user could not start)
	ExitUsage      = 2 // bad flags or scenario; nothing was started
)

// quitGrace is how long a closed master connection may precede boomer's own quit handling:
// a master that quits sends "quit" and closes its sockets half a second later.
const quitGrace = 2 * time.Second

// closeWait bounds how long an ending worker waits for the relay to hand its last frames (the quit)
// to the master and for the master to close the connection (guard's closeWithin, plus a second).
const closeWait = 3 * time.Second

// ConnectTimeout is registered as --connect-timeout on the default flag set, beside boomer's flags.
var ConnectTimeout = flag.Duration("connect-timeout", 60*time.Second,
	"Exit with code 1 when no master answers within this time.")

// MasterHeartbeatTimeout is registered as --master-heartbeat-timeout: how long boomer waits for
// its master's heartbeats (a master frozen or stuck, its connection still open) before it gives up
// and the worker exits 1. A large test's master may be busy for longer than Locust's minute; a CI
// job or a supervisor may rather start a fresh worker sooner.
var MasterHeartbeatTimeout = flag.Duration("master-heartbeat-timeout", boomer.DefaultMasterHeartbeatTimeout,
	"Exit with code 1 when the master, still connected, sends no heartbeat for this long.")

// MasterAddr returns host:port from boomer's --master-host and --master-port flags (or their
// LOCUST_* variables, named when the value came from one).
func MasterAddr() (string, error) {
	host := flag.Lookup("master-host").Value.String()
	port, err := strconv.Atoi(flag.Lookup("master-port").Value.String())
	if err != nil || port < 1 || port > 65535 {
		return "", fmt.Errorf("%s: got %q; expected a port from 1 to 65535", sourceOf("master-port"), flag.Lookup("master-port").Value.String())
	}
	if host == "" {
		return "", fmt.Errorf("%s: missing; expected a host name or IP address", sourceOf("master-host"))
	}
	// "[::1]" as it is written in a URL.
	if ip := strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"); ip != host && net.ParseIP(ip) != nil {
		host = ip
	}
	// Anything else that is no host name (a URL, host:port, a space) was dialled until
	// --connect-timeout ran out, each try failing with "no such host".
	if !hostname.Valid(host) {
		return "", fmt.Errorf("%s: got %q; expected a host name or IP address such as 127.0.0.1 or locust-master (no scheme, no port: the port is --master-port)",
			sourceOf("master-host"), host)
	}
	return net.JoinHostPort(host, strconv.Itoa(port)), nil
}

// Run connects boomer-style tasks to the master named by the flags and blocks until the worker
// should exit; it returns the process exit code. The tasks record through boomer.RecordSuccess
// and boomer.RecordFailure; boomer runs them in a loop, one goroutine per user. Interrupted
// (SIGTERM, SIGINT) during a test, the worker stops calling the tasks, lets the calls under way
// finish and waits for the report that shows them all counted (at most 7 s) before it tells the
// master it quits, as a worker of users does.
func Run(tasks ...*boomer.Task) int {
	ParseFlags()
	names := make([]string, len(tasks))
	for i, t := range tasks {
		names[i] = t.Name
	}
	if err := ValidateFlags(names); err != nil {
		log.Printf("worker: %v", err)
		return ExitUsage
	}
	if *ResetHeader != "" { // boomer's tasks send their requests themselves: no header could be added
		log.Printf("worker: --reset-header: given to boomer-style tasks (lifecycle.Run); expected it only with users (a scenario, lifecycle.RunUsers), whose requests the worker sends")
		return ExitUsage
	}
	gate := &taskGate{}
	for _, t := range tasks {
		t.Fn = gate.wrap(t.Fn)
	}
	return connected(func(relay *guard.Relay) (<-chan struct{}, func()) {
		gate.lastReportOnInterrupt(relay)
		done := make(chan struct{})
		boomer.SetMasterHeartbeatTimeout(*MasterHeartbeatTimeout)
		go func() {
			boomer.Run(tasks...)
			close(done)
		}()
		return done, func() { relay.Flush(closeWait) } // the quit reaches the master before the process ends
	})
}

// connected starts the guard relay (pointing boomer's --master-host/--master-port at it) and the
// lifeline, then start, which runs boomer and returns a channel closed when boomer has quit and
// a function that finishes the worker's own work. It returns the exit code.
func connected(start func(relay *guard.Relay) (done <-chan struct{}, finish func())) int {
	addr, _ := MasterAddr()
	// A master that lost track of this worker (it was marked missing and removed) asks it to
	// reconnect; boomer ignores that message, so a fresh process is the reliable answer.
	reconnect := make(chan struct{}, 1)
	_ = boomer.Events.Subscribe("reconnect", func(*boomer.CustomMessage) {
		select {
		case reconnect <- struct{}{}:
		default:
		}
	})

	// Wait for the master before boomer starts: boomer itself would retry silently for a minute
	// and then blame the master's Locust version.
	waited := false
	err := masterdial.Await(addr, *ConnectTimeout, func(reason string) {
		waited = true
		log.Printf("worker: no master at %s (%s); retrying for up to %s (--connect-timeout)", addr, reason, *ConnectTimeout)
	})
	if err != nil {
		log.Printf("worker: %v", err)
		return ExitMasterLost
	}
	if waited {
		log.Printf("worker: the master at %s answers now", addr)
	}

	// boomer talks to the master through the guard, which keeps malformed frames from it.
	relay, err := guard.Start(addr, *ConnectTimeout)
	if err != nil {
		log.Printf("worker: %v", err)
		return ExitMasterLost
	}
	defer relay.Close()
	// boomer names the address it connects to as its master's: the relay's, which means
	// nothing to the user. Its log lines name the master instead.
	logOut := log.Writer()
	log.SetOutput(&relayNamer{out: logOut, relay: []byte("tcp://" + relay.Addr), master: []byte("tcp://" + addr)})
	defer log.SetOutput(logOut)
	relayHost, relayPort, _ := net.SplitHostPort(relay.Addr)
	_ = flag.Set("master-host", relayHost)
	_ = flag.Set("master-port", relayPort)

	// boomer publishes its quit (the master's, or the worker's on an interrupt) before it closes
	// its connection; a connection that ends without one is boomer giving up on the master.
	var quitting atomic.Bool
	_ = boomer.Events.Subscribe(boomer.EVENT_QUIT, func() { quitting.Store(true) })

	done, finish := start(relay)
	defer finish()
	lost := lifeline.Watch(addr, *ConnectTimeout)

	left := relay.BoomerLeft()
	for {
		select {
		case <-done:
			return ExitOK
		case <-reconnect:
			log.Printf("worker: the master at %s no longer knows this worker; exiting so a fresh one registers", addr)
			return ExitMasterLost
		case err := <-lost:
			select {
			case <-done:
				return ExitOK
			case <-time.After(quitGrace):
			}
			log.Printf("worker: %v; exiting", err)
			return ExitMasterLost
		case <-left:
			left = nil
			// A quit under way: done follows. A master that went away (it closed the connection)
			// ends boomer's connection too: the lifeline says so, as before boomer left.
			if quitting.Load() || relay.MasterSaidQuit() || relay.MasterClosed() {
				continue
			}
			select {
			case <-done:
				return ExitOK
			case err := <-lost:
				log.Printf("worker: %v; exiting", err)
				return ExitMasterLost
			case <-time.After(quitGrace):
			}
			// boomer shuts down, without a quit, when its master has sent no heartbeat for
			// --master-heartbeat-timeout (a master frozen or stuck): it then neither reports nor takes messages, while the
			// users it ran would go on sending requests that no one counts.
			log.Printf("worker: the master at %s sent no heartbeat for %v (--master-heartbeat-timeout) and this worker stopped serving it; exiting",
				addr, *MasterHeartbeatTimeout)
			return ExitMasterLost
		}
	}
}

// relayNamer writes log lines with the guard relay's address replaced by the master's.
type relayNamer struct {
	out           io.Writer
	relay, master []byte
}

func (w *relayNamer) Write(line []byte) (int, error) {
	if _, err := w.out.Write(bytes.ReplaceAll(line, w.relay, w.master)); err != nil {
		return 0, err
	}
	return len(line), nil
}
