package lifecycle

import (
	"flag"
	"log"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/myzhan/boomer"

	"locustfleet/worker/guard"
	"locustfleet/worker/user"
)

// ResetMessage is the custom message of a stats reset (master/locust_fleet/stats_reset.py): the
// master sends [N], its Nth reset; the worker answers [N] once every report it sends after the
// answer holds only requests sent after it learnt of reset N. A worker says [0] when it connects,
// so the master knows it takes part.
const ResetMessage = "fleet:stats_reset"

// ResetHeader is registered as --reset-header beside boomer's flags.
var ResetHeader = flag.String("reset-header", "",
	"Send every request with this header, its value the number of stats resets the worker had seen when it sent the request (the counting target tells the requests after a reset apart by X-Locust-Fleet-Reset). Users only: boomer-style tasks refuse it.")

// The marker requests a cut feeds through boomer's stats, behind everything recorded before it:
// the report that holds them holds the last of the requests the reset wiped.
const (
	markerMethod = "FLEET"
	markerName   = "stats reset"
)

// cutWithin bounds how long a cut waits for boomer's report of its markers (boomer reports every
// 3 s): past it the cut ends anyway and says so.
const cutWithin = 10 * time.Second

// inFlightWithin bounds how long a cut waits for the requests in flight at its reset to come back
// before it feeds its markers: one slower than that comes back after them, and counts nowhere.
const inFlightWithin = 5 * time.Second

// epoch counts the requests in flight that went out with one stamp.
type epoch struct {
	stamp  uint64
	flying atomic.Int64
}

// statsCut carries out the master's stats resets for the requests the user runtime records. Every
// request is stamped with the number of the last reset when it goes out. On reset N the recorder
// holds the requests stamped N as they complete and waits for those sent before N that are still
// in flight (they count before the reset, as the target counted them); then it feeds boomer a
// success and a failure marker, behind everything sent before the reset. Once a report with both
// has gone to the master (boomer has reported everything recorded before them: the master counts
// it before the reset, not in the statistics the reset started again), it answers the master and
// hands boomer the held requests. So the reports after the answer count exactly the requests sent
// after the reset, and those before it every request sent before. Resets that come during a cut
// are cut one after the other, each answered: the master tells the figures between them apart.
type statsCut struct {
	b      *boomer.Boomer
	relay  *guard.Relay
	header string

	mu      sync.Mutex
	current atomic.Pointer[epoch] // requests going out now take its stamp; swapped under mu
	epochs  map[uint64]*epoch     // under mu: the current epoch and those a cut under way waits for
	from    uint64                // under mu: the oldest stamp the cut under way still counts
	fed     bool                  // under mu: the cut under way has fed its markers
	late    int64                 // under mu: requests back after their reset's cut, until logged
	queue   []uint64              // under mu: the resets to cut, the one under way first
	held    []heldRecord
	batch   []boomer.Record // reused by recordBatch: boomer has counted a batch when RecordBatch returns
	inTest  func() bool
	ended   chan struct{} // closed to end a cut early (the test stopped)
}

// heldRecord is a request held by a cut, with the stamp it went out with.
type heldRecord struct {
	stamp uint64
	r     boomer.Record
}

func newStatsCut(b *boomer.Boomer, relay *guard.Relay, header string, inTest func() bool) *statsCut {
	c := &statsCut{b: b, relay: relay, header: header, inTest: inTest}
	first := &epoch{}
	c.current.Store(first)
	c.epochs = map[uint64]*epoch{0: first}
	return c
}

// stamp is the reset number requests going out now take.
func (c *statsCut) stamp() uint64 { return c.current.Load().stamp }

// subscribe answers the master's resets and says [0] once connected.
func (c *statsCut) subscribe() {
	_ = boomer.Events.Subscribe(boomer.EVENT_CONNECTED, func() {
		c.mu.Lock()
		stamp := c.stamp()
		c.mu.Unlock()
		c.b.SendCustomMessage(ResetMessage, []int64{int64(stamp)})
	})
	var once sync.Once
	_ = boomer.Events.Subscribe(ResetMessage, func(msg *boomer.CustomMessage) {
		n, ok := resetNumber(msg.Data)
		if !ok {
			once.Do(func() {
				log.Printf("worker: %s: got %v; expected [N], N >= 0 (further ones are not logged)", ResetMessage, msg.Data)
			})
			return
		}
		go c.reset(n) // boomer publishes from its message loop: never block it
	})
	_ = boomer.Events.Subscribe(boomer.EVENT_STOP, func() {
		c.mu.Lock()
		if c.ended != nil {
			close(c.ended) // boomer reports nothing once stopped: a cut waits for no report
			c.ended = nil
		}
		c.mu.Unlock()
	})
}

func resetNumber(data any) (uint64, bool) {
	list, ok := data.([]any)
	if !ok || len(list) != 1 {
		return 0, false
	}
	switch n := list[0].(type) {
	case int64:
		return uint64(n), n >= 0
	case uint64:
		return n, true
	}
	return 0, false
}

// advance makes n the stamp of requests going out from now on; the caller holds c.mu.
func (c *statsCut) advance(n uint64) {
	next := &epoch{stamp: n}
	c.epochs[n] = next
	c.current.Store(next)
}

// settle forgets the epochs before the current one: a request of theirs back now is late. The
// caller holds c.mu.
func (c *statsCut) settle() {
	now := c.stamp()
	for stamp := range c.epochs {
		if stamp != now {
			delete(c.epochs, stamp)
		}
	}
	c.from, c.fed = now, false
}

func (c *statsCut) reset(n uint64) {
	c.mu.Lock()
	if n <= c.stamp() {
		cutting := len(c.queue) > 0
		c.mu.Unlock()
		if !cutting {
			c.b.SendCustomMessage(ResetMessage, []int64{int64(n)}) // already cut: answer again
		} // else the cut under way answers once it is done
		return
	}
	c.advance(n)
	c.queue = append(c.queue, n)
	if len(c.queue) > 1 {
		c.mu.Unlock()
		return // cut once the ones before it are
	}
	if !c.inTest() {
		// outside a test boomer holds nothing that it will report (it clears its stats when the
		// next test starts), and no request is in flight
		c.queue = nil
		c.settle()
		c.mu.Unlock()
		c.b.SendCustomMessage(ResetMessage, []int64{int64(n)})
		return
	}
	ended := make(chan struct{})
	c.ended = ended
	c.mu.Unlock()
	c.cut(ended)
}

// cut cuts the queued resets one after the other: for each, it waits for the requests in flight
// from before it, feeds the markers behind them, waits for boomer to report them, answers, and
// hands boomer the requests held that were sent before the next one.
func (c *statsCut) cut(ended chan struct{}) {
	for {
		c.mu.Lock()
		n := c.queue[0]
		c.mu.Unlock()
		deadline := time.Now().Add(cutWithin + inFlightWithin)
		c.waitInFlight(n, ended)

		c.mu.Lock()
		c.fed = true
		seen := c.markersSeen()
		c.b.RecordSuccess(markerMethod, markerName, 0, 0)
		c.b.RecordFailure(markerMethod, markerName, 0, "stats reset")
		c.mu.Unlock()
		select {
		case <-seen:
		case <-ended:
		case <-time.After(time.Until(deadline)):
			log.Printf("worker: stats reset %d: boomer sent no report within %v; counts after it may include earlier requests", n, cutWithin)
		}

		c.mu.Lock()
		if c.late > 0 {
			log.Printf("worker: stats reset %d: %d request(s) sent before a reset came back after its cut (in flight over %v): counted in neither half",
				n, c.late, inFlightWithin)
			c.late = 0
		}
		c.b.SendCustomMessage(ResetMessage, []int64{int64(n)})
		c.queue = c.queue[1:]
		if len(c.queue) > 0 && !isClosed(ended) {
			c.countHeld(c.queue[0]) // sent before the next reset: counted before its markers
			c.from, c.fed = n, false
			c.mu.Unlock()
			continue
		}
		if len(c.queue) > 0 { // the test stopped: the later resets are answered at once
			c.b.SendCustomMessage(ResetMessage, []int64{int64(c.queue[len(c.queue)-1])})
			c.queue = nil
		}
		c.countHeld(math.MaxUint64)
		c.settle()
		if c.ended == ended {
			c.ended = nil
		}
		c.mu.Unlock()
		return
	}
}

// countHeld hands boomer the requests held that were sent before reset `before`; the caller holds c.mu.
func (c *statsCut) countHeld(before uint64) {
	c.batch = c.batch[:0]
	kept := c.held[:0]
	for _, h := range c.held {
		if h.stamp < before {
			c.batch = append(c.batch, h.r)
		} else {
			kept = append(kept, h)
		}
	}
	clear(c.held[len(kept):])
	c.held = kept
	if len(c.batch) > 0 {
		c.b.RecordBatch(c.batch) // each in the second it ended
	}
	clear(c.batch)
}

// waitInFlight waits, at most inFlightWithin, until no request sent before reset n is in flight.
func (c *statsCut) waitInFlight(n uint64, ended chan struct{}) {
	until := time.Now().Add(inFlightWithin)
	for time.Now().Before(until) && !isClosed(ended) {
		c.mu.Lock()
		var flying int64
		for stamp, e := range c.epochs {
			if stamp >= c.from && stamp < n {
				flying += e.flying.Load()
			}
		}
		c.mu.Unlock()
		if flying <= 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func isClosed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// markersSeen is closed once boomer has sent both markers of the cut to the master, in one report
// or two (boomer reports an entry only while it has requests, so earlier cuts' markers are never
// seen again).
func (c *statsCut) markersSeen() <-chan struct{} {
	var requests, failures int64
	return c.relay.Watch(func(frame []byte) bool {
		if r, f, ok := guard.EntryCounts(frame, markerMethod, markerName); ok {
			requests, failures = requests+r, failures+f
		}
		return requests >= 2 && failures >= 1
	})
}

// Stamp is user.Stamper's: the reset number requests going out now belong to. The request counts
// as in flight in its epoch until its record comes (landed).
func (c *statsCut) Stamp() (uint64, string) {
	for {
		e := c.current.Load()
		e.flying.Add(1)
		if c.current.Load() == e {
			return e.stamp, c.header
		}
		e.flying.Add(-1) // a reset came meanwhile: the request goes out after it, with its stamp
	}
}

// landed takes n requests stamped stamp out of flight; the caller holds c.mu.
func (c *statsCut) landed(stamp uint64, n int64) {
	if e := c.epochs[stamp]; e != nil {
		e.flying.Add(-n)
	}
}

// record takes one request; unstamped ones (a failure that is not a request) belong to now.
func (c *statsCut) record(stamp uint64, stamped bool, r boomer.Record) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if stamped {
		c.landed(stamp, 1)
	}
	if !c.counts(stamp, stamped, r) {
		return
	}
	if r.Failed {
		c.b.RecordFailure(r.RequestType, r.Name, r.ResponseTime, r.Exception)
	} else {
		c.b.RecordSuccess(r.RequestType, r.Name, r.ResponseTime, r.ResponseLength)
	}
}

// recordBatch takes the runtime's records as record takes each, and hands boomer those it
// counts now in one batch.
func (c *statsCut) recordBatch(records []user.Record) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.batch = c.batch[:0]
	for _, x := range records {
		if x.Stamped {
			c.landed(x.Stamp, x.Count)
		}
		r := boomer.Record{RequestType: x.Method, Name: x.Name, ResponseTime: x.Millis, ResponseLength: x.Length,
			Failed: x.Failed, Exception: x.Failure, Unix: x.Unix, Count: x.Count}
		if c.counts(x.Stamp, x.Stamped, r) {
			c.batch = append(c.batch, r)
		}
	}
	if len(c.batch) > 0 {
		c.b.RecordBatch(c.batch)
	}
	clear(c.batch) // no strings kept alive until the slots are written again
}

// counts tells whether boomer counts r now: a request sent before the reset being cut counts
// (before it) until the cut has fed its markers, and is late after; one sent after it is held
// while a cut is under way. The caller holds c.mu.
func (c *statsCut) counts(stamp uint64, stamped bool, r boomer.Record) bool {
	if !stamped {
		stamp = c.stamp()
	}
	if len(c.queue) == 0 {
		if stamp < c.stamp() {
			c.late += max(r.Count, 1) // a record of one request may leave Count at 0
			return false
		}
		return true
	}
	switch cutting := c.queue[0]; {
	case stamp < cutting && (stamp < c.from || c.fed):
		c.late += max(r.Count, 1)
		return false
	case stamp < cutting:
		return true
	}
	c.held = append(c.held, heldRecord{stamp, r})
	return false
}
