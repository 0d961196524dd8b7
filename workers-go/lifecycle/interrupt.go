package lifecycle

import (
	"log"
	"sync"
	"time"

	"github.com/myzhan/boomer"

	"locustfleet/worker/guard"
)

// stoppedPause is how long one of boomer's goroutines pauses when it calls a task of a worker that
// is stopping, so that boomer's loop does not spin.
const stoppedPause = 100 * time.Millisecond

// taskGate stands between boomer's goroutines and boomer-style tasks, so that an interrupted
// worker can stop the tasks and let the calls under way finish before boomer quits: boomer's own
// signal handler quits at once and drops what it measured since its last report.
type taskGate struct {
	mu       sync.RWMutex
	stopping bool
	inTest   bool
	active   sync.WaitGroup
}

// wrap is fn as boomer calls it: not at all once the worker stops (the goroutine pauses briefly,
// so boomer's loop does not spin), counted while it runs.
func (g *taskGate) wrap(fn func()) func() {
	return func() {
		g.mu.RLock()
		if g.stopping {
			g.mu.RUnlock()
			time.Sleep(stoppedPause)
			return
		}
		g.active.Add(1)
		g.mu.RUnlock()
		defer g.active.Done()
		fn()
	}
}

// lastReportOnInterrupt makes an interrupt wait for the tasks' last report. boomer's quit runs
// the quit event's subscribers, in order, before it tells the master: this one, subscribed
// before boomer runs, is first. It does nothing when the master said quit (the relay saw it).
func (g *taskGate) lastReportOnInterrupt(relay *guard.Relay) {
	_ = boomer.Events.Subscribe(boomer.EVENT_SPAWN, func(int, float64) { g.setInTest(true) })
	_ = boomer.Events.Subscribe(boomer.EVENT_STOP, func() { g.setInTest(false) })
	_ = boomer.Events.Subscribe(boomer.EVENT_QUIT, func() {
		if relay.MasterSaidQuit() {
			return
		}
		g.mu.Lock()
		g.stopping = true
		inTest := g.inTest
		g.mu.Unlock()
		if !inTest {
			return
		}
		g.active.Wait()
		time.Sleep(settle)
		select {
		case <-relay.QuietReport():
			log.Printf("worker: interrupted; the tasks' last requests are reported")
		case <-time.After(lastReportWait):
			log.Printf("worker: interrupted; no report within %v, the last requests may be uncounted", lastReportWait)
		}
	})
}

func (g *taskGate) setInTest(on bool) {
	g.mu.Lock()
	g.inTest = on
	g.mu.Unlock()
}
