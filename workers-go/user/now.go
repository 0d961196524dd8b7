package user

import (
	"sync/atomic"
	"time"
)

// The clock of the hot path, read once per reading instead of twice.
//
// time.Now reads the wall clock and the monotonic clock: two calls into the kernel's vDSO, about
// 50 ns each on a virtual machine. Timing a request (its send and its answer), keeping its
// cookies and pacing its user took ten such calls per request, some 7 % of a worker's CPU against
// a fast target (perf, docs/worker-profile.md). An instant reads the monotonic clock alone; the
// wall clock, which only says which second a request counts in, is taken from an anchor read
// with time.Now at most reanchorAfter earlier, so it follows a step of the system's clock within
// that time. Durations between instants, and between an instant's time and any time with Go's
// monotonic reading (time.Now, now), are as exact as time.Now's.

// instant is a reading of the monotonic clock: the time since processStart.
type instant time.Duration

// monoNow reads the monotonic clock.
func monoNow() instant { return instant(time.Since(processStart)) }

// now is time.Now with one read of the clock.
func now() time.Time { return monoNow().time() }

// since is the time from i to now.
func (i instant) since() time.Duration { return time.Duration(monoNow() - i) }

// time is i as a time.Time, with its monotonic reading.
func (i instant) time() time.Time {
	a := anchorFor(i)
	// i may be before a.mono (another runner anchored since): the duration is then negative.
	return a.wall.Add(time.Duration(i - a.mono))
}

// unix is the second of the wall clock at i.
func (i instant) unix() int64 {
	a := anchorFor(i)
	return (a.unixNano + int64(i-a.mono)) / int64(time.Second)
}

// reanchorAfter is how long the wall clock is derived from one reading of it.
const reanchorAfter = 100 * time.Millisecond

// wallAnchor is a reading of time.Now, with its instant.
type wallAnchor struct {
	wall     time.Time
	unixNano int64
	mono     instant
}

var (
	processStart = time.Now()
	anchor       atomic.Pointer[wallAnchor]
)

// anchorFor is the anchor to derive i's wall clock from, read anew when the last is too old.
func anchorFor(i instant) *wallAnchor {
	a := anchor.Load()
	if a == nil || time.Duration(i-a.mono) >= reanchorAfter {
		t := time.Now()
		a = &wallAnchor{wall: t, unixNano: t.UnixNano(), mono: instant(t.Sub(processStart))}
		anchor.Store(a)
	}
	return a
}
