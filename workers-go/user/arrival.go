package user

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// Defaults of Arrival.
const (
	// DefaultMaxLag is how far a user may fall behind its schedule before it skips arrivals.
	DefaultMaxLag = time.Second
	// DefaultMaxConns bounds the connections of an open-model worker (per host).
	DefaultMaxConns = 1024
)

// MinArrivalRate is the lowest Arrival.Rate, one task per user a day (in tasks per second). A
// rate below it is a wrong unit or a typo rather than a load: each user's first task is due at a
// random time within the first gap, so that at 1e-300/s its users never sent anything at all.
const MinArrivalRate = 1.0 / (24 * 60 * 60)

// Arrival makes a class open-model: each user starts a task every 1/Rate on a schedule, whether
// or not its earlier tasks have finished, so that a slow server meets the same arrivals as a
// fast one (k6's constant-arrival-rate, wrk2's -R, per Locust user). The total rate is users ×
// Rate: the master's user count and spawn rate set and ramp it.
//
// A user's open tasks run side by side, each on a slot: a User of its own (session, cookie jar,
// Vars, random source, State) that starts as a copy of the user after OnStart, and is reused by
// later tasks of the same user. The first request of a task is timed from when the task was due,
// not from when it was sent, so that a wait for the generator or for a connection counts (the
// coordinated-omission correction of wrk2 and HdrHistogram).
type Arrival struct {
	Rate    float64 // tasks started per second by each user; > 0
	Poisson bool    // random gaps (exponential, mean 1/Rate) instead of exactly 1/Rate
	// MaxInFlight bounds the tasks one user has open; a task due beyond it is not started and is
	// recorded as a failure (type ARRIVAL, the task's name). 0: Rate × HTTP.Timeout, at least 1.
	MaxInFlight int
	// MaxLag bounds how late a task may start: one due longer ago (the worker's CPU is saturated)
	// is not started and is recorded as a failure. 0: DefaultMaxLag.
	MaxLag time.Duration
	// MaxConns bounds the connections all users of the worker open to a host; a request that
	// finds them all busy waits for one (the wait counts in its response time) rather than dial
	// another. Without a bound, a worker that falls behind starts its late tasks at once, each on
	// a new connection, and the dialling costs more CPU than the requests. It bounds the open
	// tasks the worker runs at once too: more would wait for a connection. 0: DefaultMaxConns.
	MaxConns int
}

// ArrivalType is the request type under which tasks the open model could not start are recorded.
const ArrivalType = "ARRIVAL"

// checkArrival fills a's defaults for the class's request timeout and names the field at fault.
func checkArrival(a *Arrival, timeout time.Duration) error {
	if !(a.Rate > 0) || math.IsInf(a.Rate, 0) {
		return fmt.Errorf("Arrival.Rate: got %v; expected a number of tasks per second > 0", a.Rate)
	}
	if a.Rate < MinArrivalRate {
		return fmt.Errorf("Arrival.Rate: got %v; expected at least user.MinArrivalRate (%.3g tasks per second, one a day): its users would send nothing in any test", a.Rate, MinArrivalRate)
	}
	if a.MaxInFlight < 0 {
		return fmt.Errorf("Arrival.MaxInFlight: got %d; expected >= 0 (0: Rate × HTTP.Timeout)", a.MaxInFlight)
	}
	if a.MaxLag < 0 {
		return fmt.Errorf("Arrival.MaxLag: got %s; expected a duration >= 0 (0: %s)", a.MaxLag, DefaultMaxLag)
	}
	if a.MaxConns < 0 {
		return fmt.Errorf("Arrival.MaxConns: got %d; expected >= 0 (0: %d)", a.MaxConns, DefaultMaxConns)
	}
	if a.MaxConns == 0 {
		a.MaxConns = DefaultMaxConns
	}
	if a.MaxInFlight == 0 {
		// Bounded before the conversion: beyond an int, it wrapped to a negative number, and a
		// fast rate with a long timeout had one task in flight at most.
		a.MaxInFlight = max(1, int(min(math.Ceil(a.Rate*timeout.Seconds()), math.MaxInt32)))
	}
	if a.MaxLag == 0 {
		a.MaxLag = DefaultMaxLag
	}
	return nil
}

// schedule is one user's arrival times: start plus a phase, then gaps of 1/rate (or random
// gaps of that mean). Constant times are computed from the count, not summed, so they do not
// drift. Times are durations from the scheduler's epoch: every arrival reads its next one, and
// time.Time's arithmetic cost a worker past saturation 1 % of its CPU.
type schedule struct {
	start   time.Duration
	gap     float64 // seconds between arrivals (the mean gap when poisson)
	phase   float64 // seconds from start to the first arrival
	poisson bool
	rnd     *rand.Rand
	n       int64   // arrivals passed
	at      float64 // seconds from start to the next arrival
}

// newSchedule starts a schedule at start. A constant schedule begins at a random phase within
// the first gap, so that users started together do not send in lockstep.
func newSchedule(start time.Duration, a *Arrival, rnd *rand.Rand) *schedule {
	s := &schedule{start: start, gap: 1 / a.Rate, poisson: a.Poisson, rnd: rnd}
	if s.poisson {
		s.at = rnd.ExpFloat64() * s.gap
	} else {
		s.phase = rnd.Float64() * s.gap
		s.at = s.phase
	}
	return s
}

// next is when the next arrival is due. An arrival beyond what a Duration holds (a rate below one
// task in about 292 years) is due never: converted as it is, the float wraps to a time in the
// past, and the scheduler started that user's tasks without end, deaf to stop and quit.
func (s *schedule) next() time.Duration {
	ns := s.at * float64(time.Second)
	if ns >= float64(math.MaxInt64-s.start) {
		return math.MaxInt64
	}
	return s.start + time.Duration(ns)
}

// advance passes the next arrival.
func (s *schedule) advance() {
	s.n++
	if s.poisson {
		s.at += s.rnd.ExpFloat64() * s.gap
	} else {
		s.at = s.phase + float64(s.n)*s.gap
	}
}

// clock is time as the open model sees it; tests inject one that they move by hand.
type clock interface {
	Now() time.Time
	// SleepUntil waits until t, or until wake sends (the scheduler has sooner work); it returns
	// false, early, when ctx ends.
	SleepUntil(ctx context.Context, t time.Time, wake <-chan bool) bool
}

// realClock sleeps on one timer, reused: the scheduler may wake thousands of times a second.
type realClock struct{ timer *time.Timer }

func newRealClock() clock { return &realClock{} }

func (c *realClock) Now() time.Time { return now() }

func (c *realClock) SleepUntil(ctx context.Context, t time.Time, wake <-chan bool) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	if c.timer == nil {
		c.timer = time.NewTimer(d)
	} else {
		c.timer.Reset(d)
	}
	select {
	case <-c.timer.C:
		return true
	case <-wake:
		c.timer.Stop() // since Go 1.23 a stopped timer delivers nothing stale to the next Reset
		return true
	case <-ctx.Done():
		c.timer.Stop()
		return false
	}
}

// slot makes a User for one of u's open tasks: a copy of u as OnStart left it.
func (r *Runtime) slot(u *User) *User {
	sl := &User{
		Number:  u.Number,
		Session: newSession(r.t, u.Session.rec.out),
		Rand:    rand.New(rand.NewPCG(u.Rand.Uint64(), u.Rand.Uint64())),
		Vars:    make(map[string]string, len(u.Vars)),
		ctx:     u.ctx,
	}
	for k, v := range u.Vars {
		sl.Vars[k] = v
	}
	if u.Session.jar != nil {
		sl.Session.jar.cookies = append([]cookie(nil), u.Session.jar.cookies...)
	}
	switch {
	case r.class.ForkState != nil:
		sl.State = r.class.ForkState(u, sl)
	case r.class.NewState != nil:
		sl.State = r.class.NewState(sl)
	}
	return sl
}
