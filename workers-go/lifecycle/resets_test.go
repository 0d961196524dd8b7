package lifecycle

import (
	"sync"
	"testing"
	"time"

	"github.com/myzhan/boomer"
)

func TestResetNumber(t *testing.T) {
	tests := []struct {
		name   string
		data   any
		want   uint64
		wantOK bool
	}{
		{"signed", []any{int64(3)}, 3, true},
		{"unsigned", []any{uint64(7)}, 7, true},
		{"zero", []any{int64(0)}, 0, true},
		{"negative", []any{int64(-1)}, 0, false},
		{"two numbers", []any{int64(1), int64(2)}, 0, false},
		{"a map", map[any]any{"n": int64(1)}, 0, false},
		{"text", []any{"1"}, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := resetNumber(tc.data)
			if ok != tc.wantOK || (ok && got != tc.want) {
				t.Errorf("resetNumber(%v) = %d, %v; want %d, %v", tc.data, got, ok, tc.want, tc.wantOK)
			}
		})
	}
}

// A cut counts the requests in flight at its reset before its markers (they were sent before it,
// and the target counted them so): they were dropped, counted on neither side of the reset.
func TestACutWaitsForTheRequestsInFlightAtItsReset(t *testing.T) {
	c := newStatsCut(nil, nil, "", func() bool { return true })
	for range 2 {
		if stamp, _ := c.Stamp(); stamp != 0 {
			t.Fatalf("a request before any reset took stamp %d", stamp)
		}
	}
	c.mu.Lock()
	c.advance(1)
	c.queue = []uint64{1}
	c.mu.Unlock()
	if stamp, _ := c.Stamp(); stamp != 1 {
		t.Fatalf("a request after reset 1 took stamp %d", stamp)
	}
	ended := make(chan struct{})
	waited := make(chan struct{})
	go func() {
		c.waitInFlight(1, ended)
		close(waited)
	}()
	back := func(stamp uint64) bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.landed(stamp, 1)
		return c.counts(stamp, true, boomer.Record{Count: 1})
	}
	if !back(0) {
		t.Error("a request sent before the reset, back before the markers, was not counted")
	}
	select {
	case <-waited:
		t.Fatal("the cut stopped waiting with a request of before the reset still in flight")
	case <-time.After(100 * time.Millisecond):
	}
	if back(1) {
		t.Error("a request sent after the reset was counted during the cut instead of held")
	}
	if !back(0) {
		t.Error("the last request sent before the reset was not counted")
	}
	select {
	case <-waited:
	case <-time.After(time.Second):
		t.Fatal("the cut still waits with no request of before the reset in flight")
	}

	c.mu.Lock()
	c.fed = true // the markers are out: a request of before the reset back now is late
	if c.counts(0, true, boomer.Record{Count: 3}) || c.late != 3 {
		t.Errorf("a request back after the markers: late %d, want 3 and not counted", c.late)
	}
	if held := len(c.held); held != 1 {
		t.Errorf("%d requests held, want the 1 sent after the reset", held)
	}
	c.mu.Unlock()
	c.reset(1) // the master's reset again during the cut: nothing changes, the cut answers
	if stamp, _ := c.Stamp(); stamp != 1 || len(c.held) != 1 {
		t.Errorf("after a repeated reset: stamp %d, %d held; want 1, 1", stamp, len(c.held))
	}
}

// A request going out while a reset swaps the epochs is in flight in exactly one of them.
func TestStampsRacingAResetAreInFlightOnce(t *testing.T) {
	c := newStatsCut(nil, nil, "", func() bool { return true })
	var wg sync.WaitGroup
	stamps := make([][]uint64, 4)
	for g := range stamps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 1000 {
				stamp, _ := c.Stamp()
				stamps[g] = append(stamps[g], stamp)
			}
		}()
	}
	for n := uint64(1); n <= 50; n++ {
		c.mu.Lock()
		c.advance(n)
		c.mu.Unlock()
	}
	wg.Wait()
	sent := map[uint64]int64{}
	for _, of := range stamps {
		for _, stamp := range of {
			sent[stamp]++
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for stamp, e := range c.epochs {
		if got := e.flying.Load(); got != sent[stamp] {
			t.Errorf("epoch %d: %d in flight, %d requests went out with its stamp", stamp, got, sent[stamp])
		}
	}
}

// Resets during a cut are cut one after the other: a request sent between two of them is held
// until the first is answered, then counted before the second's markers.
func TestResetsDuringACutAreCutInTurn(t *testing.T) {
	c := newStatsCut(nil, nil, "", func() bool { return true })
	c.mu.Lock()
	defer c.mu.Unlock()
	c.advance(1)
	c.advance(2)
	c.queue = []uint64{1, 2}
	for _, sent := range []struct { // in this order: the held ones are kept in the order they came back
		stamp uint64
		want  bool
	}{{0, true}, {1, false}, {2, false}} {
		stamp, want := sent.stamp, sent.want
		if got := c.counts(stamp, true, boomer.Record{Count: 1}); got != want {
			t.Errorf("cutting reset 1: a request stamped %d counted %v, want %v", stamp, got, want)
		}
	}
	if len(c.held) != 2 {
		t.Fatalf("%d held, want the 2 sent after reset 1", len(c.held))
	}
	if c.held[0].stamp != 1 || c.held[1].stamp != 2 {
		t.Errorf("held %v: each with its stamp, to be counted between the two answers or after", c.held)
	}
	c.queue, c.from, c.fed = c.queue[1:], 1, false // reset 1 answered
	if c.counts(0, true, boomer.Record{Count: 1}) || c.late != 1 {
		t.Error("a request sent before reset 1, back after its cut, was not late")
	}
	if !c.counts(1, true, boomer.Record{Count: 1}) {
		t.Error("a request sent between the resets, back during reset 2's cut, was not counted")
	}
}
