package user

import (
	"sync"
	"time"
)

// Record is one outcome as a BatchRecorder receives it.
type Record struct {
	Method, Name string
	Millis       int64  // the response time
	Length       int64  // a success's body length
	Failed       bool   // a failure: Failure says why
	Failure      string // a failure's reason
	Unix         int64  // the second the request ended, which Locust counts it in
	Count        int64  // how many outcomes exactly like this one the record stands for (>= 1)
	Stamp        uint64 // the stamp the request went out with (Stamper), when Stamped
	Stamped      bool   // false: an outcome that is no request sent, which belongs to when it is taken
}

// same reports whether r is the outcome o is, so that o can count it.
func (o *Record) same(r *Record) bool {
	return o.Millis == r.Millis && o.Unix == r.Unix && o.Length == r.Length && o.Failed == r.Failed &&
		o.Name == r.Name && o.Method == r.Method && o.Failure == r.Failure && o.Stamp == r.Stamp &&
		o.Stamped == r.Stamped
}

// BatchRecorder is a Recorder that also takes many records in one call (boomer's RecordBatch).
// A Runtime gathers its users' records and hands them over in batches: handing over each
// request on its own (a channel send and a wake-up of boomer's stats goroutine) costs a load
// generator about a sixth of its CPU. RecordBatch must keep nothing of the slice once it returns.
type BatchRecorder interface {
	Recorder
	RecordBatch(records []Record)
}

const (
	// batchSize is how many records an outbox holds before it hands them over.
	batchSize = 256
	// flushInterval bounds how long a record waits in an outbox: boomer reports every 3 s, and
	// each record carries its own second, so the wait moves no count to another second.
	flushInterval = 200 * time.Millisecond
)

// outbox gathers the records of some of a runtime's users (users share outboxes, so that on
// several cores they rarely wait for each other's lock) and hands them to a BatchRecorder when
// it holds batchSize, when its runtime's flusher ticks, and when one of its users ends.
type outbox struct {
	to BatchRecorder

	mu      sync.Mutex
	records []Record

	flushing sync.Mutex // one hand-over at a time, so spare is free
	spare    []Record
}

func newOutbox(to BatchRecorder) *outbox {
	return &outbox{to: to, records: make([]Record, 0, batchSize), spare: make([]Record, 0, batchSize)}
}

// add takes r; an outcome like the last one only raises its count (a fast target answers in
// the same millisecond, in the same second, over and over).
func (o *outbox) add(r Record) {
	o.mu.Lock()
	if n := len(o.records); n > 0 && o.records[n-1].same(&r) {
		o.records[n-1].Count += r.Count
		o.mu.Unlock()
		return
	}
	o.records = append(o.records, r)
	full := len(o.records) >= batchSize
	o.mu.Unlock()
	if full {
		o.flush()
	}
}

// flush hands over what the outbox holds; it returns once the recorder has taken it.
func (o *outbox) flush() {
	o.flushing.Lock()
	defer o.flushing.Unlock()
	o.mu.Lock()
	batch := o.records
	o.records = o.spare
	o.mu.Unlock()
	if len(batch) > 0 {
		o.to.RecordBatch(batch)
	}
	clear(batch) // no strings kept alive until the slot is written again
	o.spare = batch[:0]
}

// recording is where a session's records go: its runtime's outbox, or straight to the Recorder
// (sessions made outside a runtime, recorders that take no batches).
type recording struct {
	direct Recorder
	out    *outbox // nil: direct
}

// success records a request sent with stamp st that succeeded in the second (Unix time) second.
func (r recording) success(st stamped, method, name string, ms, length int64, second int64) {
	if r.out == nil {
		st.success(r.direct, method, name, ms, length)
		return
	}
	r.out.add(Record{Method: method, Name: name, Millis: ms, Length: length, Unix: second, Count: 1,
		Stamp: st.stamp, Stamped: st.by != nil})
}

// failure records a failure in the second (Unix time) second: of a request sent with stamp st,
// or (st the zero value) of something that is no request sent.
func (r recording) failure(st stamped, method, name string, ms int64, reason string, second int64) {
	if r.out == nil {
		st.failure(r.direct, method, name, ms, reason)
		return
	}
	r.out.add(Record{Method: method, Name: name, Millis: ms, Failed: true, Failure: reason, Unix: second, Count: 1,
		Stamp: st.stamp, Stamped: st.by != nil})
}

// notStarted records n arrivals of one task that were not started, at end: one record counting
// them all, so that an overloaded worker spends little on each arrival it cannot start.
func (r recording) notStarted(name, reason string, n int64, end time.Time) {
	if r.out == nil {
		for range n {
			r.direct.RecordFailure(ArrivalType, name, 0, reason)
		}
		return
	}
	r.out.add(Record{Method: ArrivalType, Name: name, Failed: true, Failure: reason, Unix: end.Unix(), Count: n})
}

// flush hands over what the session's outbox holds (nothing to do when it records directly).
func (r recording) flush() {
	if r.out != nil {
		r.out.flush()
	}
}

// outboxes are a runtime's outboxes and the goroutine that flushes them every flushInterval
// while any user lives.
type outboxes struct {
	all []*outbox // nil: the recorder takes no batches

	mu    sync.Mutex
	alive int           // users whose goroutines run
	stop  chan struct{} // closed to end the flusher of the users alive
}

func newOutboxes(rec Recorder, n int) *outboxes {
	o := &outboxes{}
	if b, ok := rec.(BatchRecorder); ok {
		for range n {
			o.all = append(o.all, newOutbox(b))
		}
	}
	return o
}

// pick is the outbox of the user with local index i.
func (o *outboxes) pick(i int64) *outbox {
	if o.all == nil {
		return nil
	}
	return o.all[i%int64(len(o.all))]
}

// born counts a user in; the first one starts the flusher.
func (o *outboxes) born() {
	if o.all == nil {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.alive++
	if o.alive == 1 {
		o.stop = make(chan struct{})
		go o.flushEvery(o.stop)
	}
}

// died counts a user out, after it flushed its own outbox; the last one stops the flusher.
func (o *outboxes) died() {
	if o.all == nil {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.alive--
	if o.alive == 0 {
		close(o.stop)
	}
}

func (o *outboxes) flushEvery(stop <-chan struct{}) {
	tick := time.NewTicker(flushInterval)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			o.flushAll()
		case <-stop:
			o.flushAll()
			return
		}
	}
}

func (o *outboxes) flushAll() {
	for _, b := range o.all {
		b.flush()
	}
}
