package guard

import (
	"net"
	"testing"
	"time"

	"github.com/myzhan/gomq/zmtp"
)

// accept plays the master's side of one ZMTP connection (a ROUTER) and returns it with its
// socket and the peer's identity.
func accept(t *testing.T, l net.Listener) (*zmtp.Connection, net.Conn, string) {
	t.Helper()
	conn, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	z := zmtp.NewConnection(conn)
	if _, err := z.Prepare(zmtp.NewSecurityNull(), zmtp.RouterSocketType, nil, true, nil); err != nil {
		t.Fatal(err)
	}
	id, err := z.GetIdentity()
	if err != nil {
		t.Fatal(err)
	}
	return z, conn, id
}

// relayed is one worker connection through a relay to a master the test plays.
type relayed struct {
	relay                  *Relay
	worker, master         *zmtp.Connection
	workerConn, masterConn net.Conn
	identity               string // the worker's, as the master sees it
}

// relayOne starts a relay, connects a worker (a DEALER named w-1) through it and accepts the
// connection as the master; everything is closed when the test ends.
func relayOne(t *testing.T) relayed {
	t.Helper()
	masterListener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { masterListener.Close() })
	relay, err := Start(masterListener.Addr().String(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { relay.Close() })
	workerConn, err := net.Dial("tcp", relay.Addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { workerConn.Close() })
	worker := zmtp.NewConnection(workerConn)
	handshake := make(chan error, 1)
	go func() {
		_, err := worker.Prepare(zmtp.NewSecurityNull(), zmtp.DealerSocketType, zmtp.SocketIdentity("w-1"), false, nil)
		handshake <- err
	}()
	master, masterConn, identity := accept(t, masterListener)
	if err := <-handshake; err != nil {
		t.Fatal(err)
	}
	return relayed{relay: relay, worker: worker, master: master, workerConn: workerConn, masterConn: masterConn, identity: identity}
}

func next(t *testing.T, in chan *zmtp.Message) []byte {
	t.Helper()
	for {
		select {
		case m := <-in:
			if m.MessageType == zmtp.UserMessage {
				return m.Body[0]
			}
			if m.Err != nil {
				t.Fatalf("connection failed: %v", m.Err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no frame within 5 s")
		}
	}
}

// The relay keeps the worker's identity towards the master, forwards the worker's frames as they
// are, and hands the worker only the master's well-formed frames, counting the others by kind.
func TestRelay(t *testing.T) {
	c := relayOne(t)
	relay, worker, master, workerConn, identity := c.relay, c.worker, c.master, c.workerConn, c.identity
	if identity != "w-1" {
		t.Fatalf("the master sees identity %q; want the worker's w-1", identity)
	}

	fromMaster, fromWorker := make(chan *zmtp.Message, 16), make(chan *zmtp.Message, 16)
	worker.Recv(fromMaster)
	master.Recv(fromWorker)

	ready := encode(t, "client_ready", -1, "w-1")
	if err := worker.SendFrame(ready); err != nil {
		t.Fatal(err)
	}
	if got := next(t, fromWorker); string(got) != string(ready) {
		t.Fatalf("the master got %x; want the worker's frame unchanged", got)
	}

	for _, bad := range [][]byte{
		encode(t, "spawn", nil, "w-1"), encode(t, "spawn", nil, "w-1"), []byte{0x93, 0xa5},
		encode(t, "quit", nil, "someone-else"),
	} {
		if err := master.SendFrame(bad); err != nil {
			t.Fatal(err)
		}
	}
	ack := encode(t, "ack", map[string]any{"index": 0}, "w-1")
	if err := master.SendFrame(ack); err != nil {
		t.Fatal(err)
	}
	if got := next(t, fromMaster); string(got) != string(ack) {
		t.Fatalf("the worker got %x first; want only the ack", got)
	}
	rejected := relay.Rejected()
	if rejected["spawn"] != 2 || rejected["undecodable"] != 1 || rejected["node_id"] != 1 {
		t.Fatalf("rejected %v; want spawn 2, undecodable 1, node_id 1", rejected)
	}

	select {
	case <-relay.BoomerLeft():
		t.Fatal("BoomerLeft closed while the worker is connected")
	default:
	}
	workerConn.Close() // boomer gives up on its master, or quits
	select {
	case <-relay.BoomerLeft():
	case <-time.After(5 * time.Second):
		t.Fatal("BoomerLeft not closed 5 s after the worker's connection ended")
	}
	if relay.MasterClosed() {
		t.Fatal("MasterClosed after boomer left on its own; want false: the master's side was open")
	}
}

// A master that exits closes its side: boomer's connection ends after it, and MasterClosed says
// why (the worker then waits for its lifeline's verdict rather than say the master fell silent).
func TestRelay_MasterClosed(t *testing.T) {
	c := relayOne(t)
	relay := c.relay
	if relay.MasterClosed() {
		t.Fatal("MasterClosed while the master is connected")
	}
	c.masterConn.Close()
	select {
	case <-relay.BoomerLeft():
	case <-time.After(5 * time.Second):
		t.Fatal("BoomerLeft not closed 5 s after the master closed its side")
	}
	if !relay.MasterClosed() {
		t.Fatal("MasterClosed false once BoomerLeft closed after the master went away")
	}
}

// Flush returns once boomer's side of every relayed connection has closed and its frames went on,
// and at the latest after its bound.
func TestRelay_Flush(t *testing.T) {
	r := &Relay{rejected: map[string]int{}}
	started := time.Now()
	r.Flush(time.Second)
	if time.Since(started) > 100*time.Millisecond {
		t.Fatal("Flush waited with nothing relaying")
	}
	r.outgoing.Add(1)
	started = time.Now()
	r.Flush(50 * time.Millisecond)
	if got := time.Since(started); got < 50*time.Millisecond || got > time.Second {
		t.Fatalf("Flush with a flow still relaying returned after %v; want its bound, 50ms", got)
	}
	go func() {
		time.Sleep(20 * time.Millisecond)
		r.outgoing.Done()
	}()
	started = time.Now()
	r.Flush(5 * time.Second)
	if time.Since(started) > time.Second {
		t.Fatal("Flush did not return when the flow ended")
	}
}
