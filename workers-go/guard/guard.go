// Package guard stands between boomer and the Locust master. boomer connects to a relay on
// loopback; the relay opens the real connection to the master with boomer's identity, forwards
// boomer's frames unchanged, and hands boomer only the master's frames that are well-formed
// messages for this worker (Check). boomer trusts its master: a spawn whose user_classes_count
// is not a map panics its listener goroutine and kills the process, and a reconnect with odd data
// ends it. Rejected frames are logged once per kind, then counted.
package guard

import (
	"fmt"
	"log"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/myzhan/gomq/zmtp"

	"locustfleet/worker/masterdial"
)

// closeWithin bounds how long the relay waits, once boomer has left, for the master to close its
// side of the connection.
const closeWithin = 2 * time.Second

// Relay is the loopback endpoint boomer connects to instead of the master.
type Relay struct {
	Addr       string // host:port for boomer's --master-host/--master-port
	master     string
	dialWithin time.Duration
	listener   net.Listener

	mu         sync.Mutex
	rejected   map[string]int
	watchers   []watcher      // see Watch
	masterQuit bool           // the master sent quit (see MasterSaidQuit)
	outgoing   sync.WaitGroup // boomer -> master flows still relaying
	left       chan struct{}  // closed when boomer's connection ends (see BoomerLeft)
	leftOnce   sync.Once
	// masterClosed: the master's side of a relayed connection ended first (see MasterClosed)
	masterClosed atomic.Bool
}

// Start listens on a free loopback port and relays each connection to master (host:port),
// retrying for up to dialWithin while the master is not up yet.
func Start(master string, dialWithin time.Duration) (*Relay, error) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("guard: cannot listen on loopback: %w", err)
	}
	r := &Relay{Addr: listener.Addr().String(), master: master, dialWithin: dialWithin, listener: listener,
		rejected: map[string]int{}, left: make(chan struct{})}
	go r.accept()
	return r, nil
}

// Close stops accepting; relayed connections end when either side closes.
func (r *Relay) Close() error { return r.listener.Close() }

// Flush waits, up to within, until every frame boomer sent has been passed to the master: boomer
// returns from Quit once its own socket is closed, which may be before its quit was relayed.
func (r *Relay) Flush(within time.Duration) {
	flushed := make(chan struct{})
	go func() {
		r.outgoing.Wait()
		close(flushed)
	}()
	select {
	case <-flushed:
	case <-time.After(within):
	}
}

// MasterSaidQuit tells whether the master has sent this worker quit (as opposed to a quit of the
// worker's own, on an interrupt).
func (r *Relay) MasterSaidQuit() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.masterQuit
}

// BoomerLeft is closed once boomer's connection through the relay has ended: boomer quit, or gave
// up on its master (it shuts down, without quitting, after 60 s without the master's heartbeats).
func (r *Relay) BoomerLeft() <-chan struct{} { return r.left }

// MasterClosed reports whether the master's side of boomer's connection has ended (the master
// exited or closed it). The relay then closes boomer's side, so BoomerLeft follows; read once
// BoomerLeft is closed, it tells a master that went away from boomer giving up on a silent one.
func (r *Relay) MasterClosed() bool { return r.masterClosed.Load() }

// Rejected returns how many frames of each kind were kept from boomer.
func (r *Relay) Rejected() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]int, len(r.rejected))
	for k, v := range r.rejected {
		out[k] = v
	}
	return out
}

func (r *Relay) accept() {
	for {
		conn, err := r.listener.Accept()
		if err != nil {
			return
		}
		go r.relay(conn)
	}
}

func (r *Relay) relay(workerConn net.Conn) {
	defer workerConn.Close()
	worker := zmtp.NewConnection(workerConn)
	if _, err := worker.Prepare(zmtp.NewSecurityNull(), zmtp.RouterSocketType, nil, true, nil); err != nil {
		log.Printf("guard: handshake with boomer failed: %v", err)
		return
	}
	identity, err := worker.GetIdentity()
	if err != nil {
		log.Printf("guard: boomer sent no identity: %v", err)
		return
	}
	masterConn, master, err := masterdial.Dial(r.master, identity, r.dialWithin)
	if err != nil {
		log.Printf("guard: %v", err)
		return
	}
	defer masterConn.Close()

	done := make(chan struct{}, 2)
	masterDone := make(chan struct{}) // the master closed its side
	r.outgoing.Add(1)
	go func() { // boomer -> master, unchanged
		defer r.outgoing.Done()
		quitSent := false
		pump(worker, func(body []byte) error {
			if err := master.SendFrame(body); err != nil {
				return err
			}
			quitSent = quitSent || (len(body) < smallFrame && frameType(body) == "quit")
			r.observe(body)
			return nil
		})
		r.leftOnce.Do(func() { close(r.left) })
		// boomer closes its socket right after handing it its quit, which may then never be
		// written: a master that misses it keeps a worker it counts as ready. When boomer leaves
		// without a quit the master has seen (and the master did not say quit), it is sent here.
		if !quitSent && !r.MasterSaidQuit() {
			if quit, err := encodeFrame("quit", nil, identity); err == nil && master.SendFrame(quit) == nil {
				log.Printf("guard: boomer left without its quit reaching the master; sent it on its behalf")
			}
		}
		// Closing a connection with the master's heartbeats unread would reset it, and the master
		// may then drop the quit it has not read yet: say we are done writing and wait (briefly)
		// for the master to close its side, reading what it still sends.
		if tcp, ok := masterConn.(*net.TCPConn); ok {
			_ = tcp.CloseWrite()
		}
		select {
		case <-masterDone:
		case <-time.After(closeWithin):
		}
		done <- struct{}{}
	}()
	go func() { // master -> boomer, checked
		defer close(masterDone)
		joined := false
		pump(master, func(body []byte) error {
			if p := Check(body, identity); p != nil {
				r.reject(p)
				return nil
			}
			switch frameType(body) {
			case "quit":
				r.mu.Lock()
				r.masterQuit = true
				r.mu.Unlock()
			case "ack":
				if !joined { // said once per connection: `make up` waits for this line from each worker
					joined = true
					log.Printf("worker: joined the master at %s as %s", r.master, identity)
				}
			}
			_ = worker.SendFrame(body) // boomer gone: keep reading, so the master's frames are not left unread
			return nil
		})
		if !r.leftBefore() { // set before boomer's side is closed below, so BoomerLeft comes after it
			r.masterClosed.Store(true)
		}
		done <- struct{}{}
	}()
	<-done // either side closed: close both, so the other pump ends too
}

// leftBefore reports whether boomer's connection has ended already.
func (r *Relay) leftBefore() bool {
	select {
	case <-r.left:
		return true
	default:
		return false
	}
}

// pump hands every data frame read from conn to forward until the connection fails.
func pump(conn *zmtp.Connection, forward func([]byte) error) {
	in := make(chan *zmtp.Message, 64)
	conn.Recv(in)
	for msg := range in {
		if msg.MessageType == zmtp.ErrorMessage && msg.Err != nil {
			return
		}
		if msg.MessageType != zmtp.UserMessage {
			continue
		}
		for _, body := range msg.Body {
			if err := forward(body); err != nil {
				return
			}
		}
	}
}

func (r *Relay) reject(p *Problem) {
	r.mu.Lock()
	r.rejected[p.Kind]++
	first := r.rejected[p.Kind] == 1
	r.mu.Unlock()
	if first {
		log.Printf("guard: rejected a message from the master: %s (further messages of this kind are counted, not logged)", p.Detail)
	}
}
