package user

import (
	"runtime"
	"time"
)

// The CPU is measured over cpuWindow at least: the share of the CPU time the Go runtime may use
// (GOMAXPROCS CPUs) that the process used. At cpuFull the worker counts as saturated; below
// cpuIdle it is mostly idle.
const (
	cpuWindow = 10 * time.Millisecond
	cpuFull   = 0.9
	cpuIdle   = 0.5
)

// cpuMeter tells the scheduler how much of its CPU the worker uses: at full, runners more cannot
// send more, they only queue for it. It reads the process's CPU time at most once per cpuWindow.
// The Go runtime's own signs (goroutines runnable, Ps idle) miss it: goroutines whose answers
// have arrived are not runnable until the runtime polls the network, which a busy one does
// rarely, and its CPU classes are updated only by the garbage collector.
type cpuMeter struct {
	read  func() (time.Duration, bool) // the process's CPU time so far; false: not known here
	since time.Time                    // the window's start
	used  time.Duration                // the CPU time at its start
	last  float64                      // the share over the last window ended
	prev  float64                      // the share over the window before it
}

// full reports whether the last two windows found the CPU full: one window alone may be a burst
// (a garbage collection, a batch of arrivals), two in a row are a load.
func (m *cpuMeter) full() bool { return m.last >= cpuFull && m.prev >= cpuFull }

// idle reports whether the last two windows found the CPU mostly idle: one window alone may be a
// stall (the process off its core for a few milliseconds reads as idle).
func (m *cpuMeter) idle() bool { return m.last < cpuIdle && m.prev < cpuIdle }

// share is the share of its CPU the process used over the last window ended by now, and whether
// that window ended just now (the CPU was measured). 0 where the CPU time is not known.
func (m *cpuMeter) share(now time.Time) (share float64, measured bool) {
	if m.read == nil || now.Sub(m.since) < cpuWindow {
		return m.last, false
	}
	used, ok := m.read()
	if !ok {
		return 0, false
	}
	first := m.since.IsZero() // the first window begins: none has ended
	if !first {
		m.prev = m.last
		m.last = float64(used-m.used) / (float64(runtime.GOMAXPROCS(0)) * float64(now.Sub(m.since)))
	}
	m.since, m.used = now, used
	return m.last, !first
}
