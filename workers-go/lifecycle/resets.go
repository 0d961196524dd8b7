package lifecycle

import (
	"flag"
	"log"
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

// statsCut carries out the master's stats resets for the requests the user runtime records. Every
// request is stamped with the number of the last reset when it goes out. On a reset the recorder
// drops requests stamped earlier as they complete, holds the later ones, and feeds boomer a
// success and a failure marker; once a report with both has gone to the master (boomer has
// reported everything recorded before them, all of it wiped by the reset), it answers the master
// and hands boomer the held requests. So the reports after the answer count exactly the requests
// sent after the reset, which the master counts from then on.
type statsCut struct {
	b      *boomer.Boomer
	relay  *guard.Relay
	header string

	mu      sync.Mutex
	stamp   atomic.Uint64 // written under mu; read without it by Stamp, once per request sent
	holding bool
	held    []boomer.Record
	batch   []boomer.Record // reused by recordBatch: boomer has counted a batch when RecordBatch returns
	inTest  func() bool
	ended   chan struct{} // closed to end a cut early (the test stopped)
}

func newStatsCut(b *boomer.Boomer, relay *guard.Relay, header string, inTest func() bool) *statsCut {
	return &statsCut{b: b, relay: relay, header: header, inTest: inTest}
}

// subscribe answers the master's resets and says [0] once connected.
func (c *statsCut) subscribe() {
	_ = boomer.Events.Subscribe(boomer.EVENT_CONNECTED, func() {
		c.mu.Lock()
		stamp := c.stamp.Load()
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

func (c *statsCut) reset(n uint64) {
	c.mu.Lock()
	if n <= c.stamp.Load() && !c.holding {
		c.mu.Unlock()
		c.b.SendCustomMessage(ResetMessage, []int64{int64(n)}) // already cut: answer again
		return
	}
	c.stamp.Store(n)
	c.held = nil // sent before this reset: wiped by it
	if c.holding || !c.inTest() {
		// a cut under way answers with the newest number; outside a test boomer holds nothing
		// that it will report (it clears its stats when the next test starts)
		holding := c.holding
		c.mu.Unlock()
		if !holding {
			c.b.SendCustomMessage(ResetMessage, []int64{int64(n)})
		}
		return
	}
	c.holding = true
	ended := make(chan struct{})
	c.ended = ended
	seen := c.markersSeen()
	c.b.RecordSuccess(markerMethod, markerName, 0, 0)
	c.b.RecordFailure(markerMethod, markerName, 0, "stats reset")
	c.mu.Unlock()

	select {
	case <-seen:
	case <-ended:
	case <-time.After(cutWithin):
		log.Printf("worker: stats reset %d: boomer sent no report within %v; counts after it may include earlier requests", n, cutWithin)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.b.SendCustomMessage(ResetMessage, []int64{int64(c.stamp.Load())})
	if len(c.held) > 0 {
		c.b.RecordBatch(c.held) // each in the second it ended
	}
	c.held, c.holding = nil, false
	if c.ended == ended {
		c.ended = nil
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

// Stamp is user.Stamper's: the reset number requests going out now belong to.
func (c *statsCut) Stamp() (uint64, string) {
	return c.stamp.Load(), c.header
}

// record takes one request; unstamped ones (a failure that is not a request) belong to now.
func (c *statsCut) record(stamp uint64, stamped bool, r boomer.Record) {
	c.mu.Lock()
	defer c.mu.Unlock()
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

// counts tells whether boomer counts r now: false when a reset wiped it (it was sent before the
// last reset) or when a cut under way holds it; the caller holds c.mu.
func (c *statsCut) counts(stamp uint64, stamped bool, r boomer.Record) bool {
	if !stamped {
		stamp = c.stamp.Load()
	}
	switch {
	case stamp < c.stamp.Load(): // sent before the last reset: it wiped this request
		return false
	case c.holding:
		c.held = append(c.held, r)
		return false
	}
	return true
}
