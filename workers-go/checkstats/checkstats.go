// Package checkstats counts the outcomes of non-fatal checks on a worker, so that the master can
// show them beside Locust's statistics without adding request rows to them: a check that does
// not fail its request (k6's kind) is counted here, per request (method and name) and check,
// and the worker sends the master what changed after each of boomer's stats reports (a custom
// message that the master's checks module merges).
//
// Counting happens before the request is recorded (user.Request.Observe), and the counts are
// sent right after the stats report that holds the request: the master therefore has every
// check of a request by the time it has the stats report after it, which is what its drain at
// the end of a test waits for.
package checkstats

import (
	"slices"
	"sync"
	"sync/atomic"
)

// MessageType is the custom message to the master: [[method, name, check, passes, fails], ...],
// what changed since the previous one.
const MessageType = "fleet:checks"

// Key names a counted check: the request it judges (as Locust names it) and the check.
type Key struct{ Method, Name, Check string }

// Row is a key's counts.
type Row struct {
	Key
	Passes, Fails int64
}

type counter struct{ pass, fail atomic.Int64 }

// Tally counts passes and fails per key. Every method is safe for concurrent use: a scenario adds
// its keys while it compiles, a user written in Go may add one the first time it counts it (Add
// returns the index a key already has). Pass and Fail take no lock: they run on every request.
type Tally struct {
	mu    sync.Mutex
	keys  []Key
	index map[Key]int
	// counts is replaced, never appended to in place, when a key is added, so that Pass and Fail
	// read it without the lock; the counters it points to are shared by every copy.
	counts atomic.Pointer[[]*counter]
	sent   []Row // what Take handed out so far, by index
}

// New returns an empty tally.
func New() *Tally {
	t := &Tally{index: map[Key]int{}}
	t.counts.Store(&[]*counter{})
	return t
}

// Add returns the index of key, adding it when it is new; checks with the same key (the same
// request and check in two tasks) share one count.
func (t *Tally) Add(key Key) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	if i, ok := t.index[key]; ok {
		return i
	}
	t.index[key] = len(t.keys)
	t.keys = append(t.keys, key)
	counts := append(slices.Clip(*t.counts.Load()), &counter{})
	t.counts.Store(&counts)
	t.sent = append(t.sent, Row{Key: key})
	return len(t.keys) - 1
}

// Len is the number of keys.
func (t *Tally) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.keys)
}

// Pass counts a pass of check i.
func (t *Tally) Pass(i int) { (*t.counts.Load())[i].pass.Add(1) }

// Fail counts a fail of check i.
func (t *Tally) Fail(i int) { (*t.counts.Load())[i].fail.Add(1) }

// Take returns what was counted since the previous Take, leaving out keys without news.
func (t *Tally) Take() []Row {
	t.mu.Lock()
	defer t.mu.Unlock()
	counts := *t.counts.Load()
	var rows []Row
	for i := range t.keys {
		pass, fail := counts[i].pass.Load(), counts[i].fail.Load()
		prev := &t.sent[i]
		if pass == prev.Passes && fail == prev.Fails {
			continue
		}
		rows = append(rows, Row{Key: t.keys[i], Passes: pass - prev.Passes, Fails: fail - prev.Fails})
		prev.Passes, prev.Fails = pass, fail
	}
	return rows
}

// Totals returns every key's counts since the tally was made, in the order keys were added.
func (t *Tally) Totals() []Row {
	t.mu.Lock()
	defer t.mu.Unlock()
	counts := *t.counts.Load()
	rows := make([]Row, len(t.keys))
	for i, k := range t.keys {
		rows[i] = Row{Key: k, Passes: counts[i].pass.Load(), Fails: counts[i].fail.Load()}
	}
	return rows
}

// Encode is rows as the message's data: a list, since boomer takes any message whose data is a
// map for one of Locust's own.
func Encode(rows []Row) []any {
	out := make([]any, len(rows))
	for i, r := range rows {
		out[i] = []any{r.Method, r.Name, r.Check, r.Passes, r.Fails}
	}
	return out
}
