package user

import (
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log"
	"math"
	"math/rand/v2"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"locustfleet/worker/baseurl"
	"locustfleet/worker/headername"
	"locustfleet/worker/urlesc"
)

// Defaults of a Class's durations.
const (
	DefaultOnStopTimeout = 10 * time.Second
	DefaultRetryDelay    = time.Second
)

// NumberSource hands out fleet-wide unique user numbers (Class.FleetNumbers).
type NumberSource interface {
	// Reserve announces that n more users are starting, each of which will call Next once; it
	// must not block.
	Reserve(n int)
	// Next returns a number no other user of the test has had, waiting until one is available;
	// it returns false when ctx ends first.
	Next(ctx context.Context) (int64, bool)
}

// Option adjusts a Runtime made by New.
type Option func(*Runtime)

// WithNumbers makes users of a class with FleetNumbers take their numbers from src. Without it
// such users are numbered on this worker alone, which is right for a single process (tests).
func WithNumbers(src NumberSource) Option { return func(r *Runtime) { r.numbers = src } }

// WithLimiter makes every request of every user take a permit from l first (--max-rps).
func WithLimiter(l Limiter) Option { return func(r *Runtime) { r.t.limiter = l } }

// WithSeed makes the users' random sources (task choice, waits, User.Rand) repeatable.
func WithSeed(seed uint64) Option {
	return func(r *Runtime) { r.seeds = rand.New(rand.NewPCG(seed, seed)) }
}

// WithScheduleLag passes observe how late each task of the open model (Class.Arrival) started,
// from when it was due (arrivals not started are recorded as such, not observed here). Runners
// call it from their own goroutines: it must be safe for concurrent use.
func WithScheduleLag(observe func(lag time.Duration)) Option {
	return func(r *Runtime) { r.lag = observe }
}

// Runtime runs users of one Class on behalf of boomer; see New.
type Runtime struct {
	class   Class // with defaults filled in
	t       *transport
	clock   func() clock            // the open model's time, one per user
	lag     func(lag time.Duration) // nil: schedule lag not observed
	numbers NumberSource            // nil: numbered here
	weights []int                   // cumulative task weights, for the choice of a task
	logged  sync.Map                // kinds of trouble already logged, so each is logged once
	out     *outboxes               // where users' records gather when the recorder takes batches
	sched   *scheduler              // starts open-model tasks; nil in the closed model

	mu      sync.Mutex
	seeds   *rand.Rand
	next    int64 // the next local user number
	running []*User
	users   sync.WaitGroup
	alive   atomic.Int64 // users running or retiring (see Alive)
}

// New prepares a runtime that records through rec. Attach it to boomer with lifecycle.RunUsers
// (or drive it directly in tests with SetUsers/Stop). It checks the class and names the field
// at fault.
func New(class *Class, rec Recorder, opts ...Option) (*Runtime, error) {
	if class == nil {
		return nil, fmt.Errorf("user class: missing")
	}
	c := *class
	host, err := checkHost(c.Host)
	if err != nil {
		return nil, err
	}
	c.Host = host
	if len(c.Tasks) == 0 {
		return nil, fmt.Errorf("Tasks: empty; expected at least one task")
	}
	r := &Runtime{class: c}
	total := 0
	for i, t := range c.Tasks {
		if t.Weight < 1 {
			return nil, fmt.Errorf("Tasks[%d] (%q): Weight: got %d; expected >= 1", i, t.Name, t.Weight)
		}
		if t.Fn == nil {
			return nil, fmt.Errorf("Tasks[%d] (%q): Fn: missing", i, t.Name)
		}
		if t.Weight > math.MaxInt-total { // pick draws below the sum: it must stay a positive int
			return nil, fmt.Errorf("Tasks[%d] (%q): Weight: got %d; the weights add up to more than %d, expected smaller weights", i, t.Name, t.Weight, math.MaxInt)
		}
		total += t.Weight
		r.weights = append(r.weights, total)
	}
	for _, d := range []struct {
		name  string
		value *time.Duration
		def   time.Duration
	}{
		{"HTTP.Timeout", &r.class.HTTP.Timeout, DefaultTimeout},
		{"HTTP.ConnectTimeout", &r.class.HTTP.ConnectTimeout, DefaultConnectTimeout},
		{"OnStopTimeout", &r.class.OnStopTimeout, DefaultOnStopTimeout},
		{"RetryDelay", &r.class.RetryDelay, DefaultRetryDelay},
	} {
		if *d.value < 0 {
			return nil, fmt.Errorf("%s: got %s; expected a duration >= 0 (0: %s)", d.name, *d.value, d.def)
		}
		if *d.value == 0 {
			*d.value = d.def
		}
	}
	switch h := &r.class.HTTP; {
	case h.MaxRedirects < 0:
		return nil, fmt.Errorf("HTTP.MaxRedirects: got %d; expected >= 0 (0: %d)", h.MaxRedirects, DefaultMaxRedirects)
	case h.MaxRedirects == 0:
		h.MaxRedirects = DefaultMaxRedirects
	}
	for i, h := range r.class.HTTP.Headers { // sent with every request: a bad name corrupts each one
		if !headername.Valid(h.Name) {
			return nil, fmt.Errorf("HTTP.Headers[%d]: name %q is not a header name; expected %s", i, h.Name, headername.Allowed)
		}
	}
	if r.class.HTTP.MaxConns < 0 {
		return nil, fmt.Errorf("HTTP.MaxConns: got %d; expected >= 0 (0: no limit)", r.class.HTTP.MaxConns)
	}
	if insecure(r.class.HTTP.TLS) {
		log.Printf("worker: WARNING: TLS certificates are not verified (insecure_skip_verify): any server can answer for %s", urlesc.Redact(host))
	}
	if c.Arrival != nil {
		if c.Wait != nil {
			return nil, fmt.Errorf("Wait: set with Arrival; expected none: open-model users start tasks on Arrival's schedule, not after a wait")
		}
		a := *c.Arrival
		if err := checkArrival(&a, r.class.HTTP.Timeout); err != nil {
			return nil, err
		}
		r.class.Arrival = &a
		// An open-model worker always has a connection limit: the smaller of the two.
		if h := &r.class.HTTP; h.MaxConns == 0 || a.MaxConns < h.MaxConns {
			h.MaxConns = a.MaxConns
		}
	}
	r.clock = newRealClock
	r.out = newOutboxes(rec, 2*runtime.GOMAXPROCS(0))
	r.sched = newScheduler(r)
	if a := r.class.Arrival; a != nil {
		r.sched.busy = fmt.Sprintf("not started: %d tasks of this user still running (max_in_flight)", a.MaxInFlight)
		r.sched.behind = fmt.Sprintf("not started: the worker fell more than %s behind its arrival schedule (max_lag; CPU saturated?)", a.MaxLag)
		r.sched.saturated = "not started: the worker's CPU is saturated (its running tasks wait for it; more workers or a lower rate)"
	}
	r.t = newTransport(newClient(r.class.HTTP), rec, host, r.class.HTTP)
	var seed [16]byte
	_, _ = crand.Read(seed[:])
	r.seeds = rand.New(rand.NewPCG(binary.LittleEndian.Uint64(seed[:8]), binary.LittleEndian.Uint64(seed[8:])))
	for _, opt := range opts {
		opt(r)
	}
	if !c.FleetNumbers {
		r.numbers = nil
	}
	return r, nil
}

// checkHost is the class's base URL as baseurl.Check judges it.
func checkHost(raw string) (string, error) { return baseurl.Check("Host", raw) }

// Class returns the class the runtime runs, with defaults filled in.
func (r *Runtime) Class() *Class { return &r.class }

// SetUsers moves the number of running users to n without waiting: new users start (OnStart,
// then tasks), surplus ones are retired, newest first, each finishing its current request and
// running OnStop.
func (r *Runtime) SetUsers(n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n = max(n, 0)
	if add := n - len(r.running); add > 0 && r.numbers != nil {
		r.numbers.Reserve(add)
	}
	for len(r.running) < n {
		ctx, cancel := context.WithCancel(context.Background())
		u := r.newUser(ctx)
		u.cancel = cancel
		r.running = append(r.running, u)
		r.users.Add(1)
		r.alive.Add(1)
		r.out.born()
		r.sched.enter(u)
	}
	for i := len(r.running) - 1; i >= n; i-- {
		u := r.running[i]
		u.cancel()
		r.sched.wakeNow(u) // a user waiting between tasks ends at once
		r.running[i] = nil
	}
	r.running = r.running[:n]
}

// newUser makes the next user; the caller holds r.mu.
func (r *Runtime) newUser(ctx context.Context) *User {
	u := &User{
		Number:  r.next,
		Session: newSession(r.t, r.out.pick(r.next)),
		Rand:    rand.New(rand.NewPCG(r.seeds.Uint64(), r.seeds.Uint64())),
		Vars:    map[string]string{},
		ctx:     ctx,
		index:   -1,
	}
	r.next++
	return u
}

// RunOnce runs one user through OnStart (once, without retry), the named tasks once each in
// that order, and OnStop: a class tried without a master (boomer's --run-tasks). A name that
// several tasks share (requests grouped in one row of Locust's statistics, as Locust's name=
// groups them) runs each of them, in the class's order.
func (r *Runtime) RunOnce(names []string) error {
	var tasks []*Task
	for _, name := range names {
		found := false
		for j := range r.class.Tasks {
			if r.class.Tasks[j].Name == name {
				tasks = append(tasks, &r.class.Tasks[j])
				found = true
			}
		}
		if !found {
			return fmt.Errorf("no task named %q", name)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r.mu.Lock()
	u := r.newUser(ctx)
	r.mu.Unlock()
	if r.class.NewState != nil && !r.safe("NewState", func() { u.State = r.class.NewState(u) }) {
		return fmt.Errorf("NewState panicked")
	}
	if r.class.OnStart != nil {
		var err error
		if !r.safe("OnStart", func() { err = r.class.OnStart(u) }) {
			return fmt.Errorf("OnStart panicked")
		}
		u.Session.release()
		if err != nil {
			return fmt.Errorf("OnStart: %w", err)
		}
	}
	for _, t := range tasks {
		r.safe(t.Name, func() { t.Fn(u) })
		u.Session.release()
		u.Iteration++
	}
	cancel()
	r.stop(u)
	u.Session.rec.flush()
	return nil
}

// Users returns how many users are running (retiring ones not counted).
func (r *Runtime) Users() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.running)
}

// Alive returns how many users have not ended yet: running ones and retired ones still finishing
// their request in hand or OnStop. A user is counted out once what it recorded has been handed over.
func (r *Runtime) Alive() int { return int(r.alive.Load()) }

// Stop retires every user and returns when all have finished (or their OnStop timed out).
func (r *Runtime) Stop() {
	r.SetUsers(0)
	r.users.Wait()
}

// resume runs u, on a runner of the scheduler, from where it was: its start (its number,
// OnStart) and tasks, or its next task after a wait, until it waits again (it is then on the
// scheduler's heap, and no goroutine holds it: a worker with many waiting users spends neither
// a goroutine's stack nor a timer on each) or ends (OnStop). What it recorded has been handed
// over when it counts as ended.
func (r *Runtime) resume(u *User) {
	if !u.begun {
		u.begun = true
		if !r.begin(u) {
			r.end(u, false)
			return
		}
		if r.class.Arrival != nil {
			// An open-model user holds no runner between its arrivals: it leaves when retired.
			ou := r.sched.join(u)
			context.AfterFunc(u.ctx, func() {
				r.sched.leave(ou) // waits for its open tasks
				r.end(u, true)
			})
			return
		}
	}
	wait, clock := r.class.Wait, r.sched.clock // the clock the scheduler times waits with
	var began time.Time
	for u.ctx.Err() == nil {
		t := &r.class.Tasks[r.pick(u.Rand)]
		switch {
		case wait == nil:
		case !u.waitEnds.IsZero():
			// Back from a wait: what the task takes counts from when the wait was due to end,
			// so that pacing makes up for a late wake-up, as Locust's constant_pacing does.
			began, u.waitEnds = u.waitEnds, time.Time{}
		default:
			began = clock.Now()
		}
		r.safe(t.Name, func() { t.Fn(u) })
		u.Iteration++
		if wait == nil {
			if r.sched.yield(u) {
				return // users due wait for a runner: this one takes its turn after them
			}
			continue // the next task at once: the session keeps its buffers
		}
		d := wait.Next(clock.Now().Sub(began), u.Rand)
		if d <= 0 {
			continue
		}
		u.Session.release() // a waiting user holds no buffers
		if r.sched.sleep(u, d) {
			return
		}
	}
	r.end(u, true)
}

// begin gives u its number and state and runs OnStart; false when u ended first.
func (r *Runtime) begin(u *User) bool {
	if r.numbers != nil {
		n, ok := r.numbers.Next(u.ctx)
		if !ok {
			return false
		}
		u.Number = n
	}
	if r.class.NewState != nil && !r.safe("NewState", func() { u.State = r.class.NewState(u) }) {
		return false
	}
	return r.start(u)
}

// end runs OnStop (when the user started) and counts u out, what it recorded handed over.
func (r *Runtime) end(u *User, started bool) {
	if started {
		r.stop(u)
	}
	u.Session.rec.flush()
	r.alive.Add(-1) // after the flush: a report that counts it out has its last requests
	r.out.died()
	r.sched.exit()
	r.users.Done()
}

// ErrCannotStart, wrapped in OnStart's error, says that retrying cannot help (a user with no data
// row left): the user is not retried and stays idle, counted by Locust, until it is retired.
var ErrCannotStart = errors.New("this user cannot start")

// start runs OnStart until it succeeds; false when the user was retired first or cannot start.
func (r *Runtime) start(u *User) bool {
	if r.class.OnStart == nil {
		return true
	}
	for {
		var err error
		if r.safe("OnStart", func() { err = r.class.OnStart(u) }) && err == nil {
			u.Session.release()
			return true
		}
		u.Session.release()
		if u.ctx.Err() != nil {
			// Retired while in OnStart: what it returned ("stopped before it finished") is the
			// stop's doing, not a failure to retry; logged, it also used up the one log line of
			// the OnStart failures of later tests.
			return false
		}
		if errors.Is(err, ErrCannotStart) {
			r.logOnce("OnStart cannot", "user %d: %v; such users stay idle until the master takes them away (further ones are not logged)", u.Number, err)
			<-u.ctx.Done()
			return false
		}
		if err != nil {
			r.logOnce("OnStart", "user %d: OnStart: %v; users retry every %s (further failures are not logged)",
				u.Number, err, r.class.RetryDelay)
		}
		if !u.Sleep(r.class.RetryDelay) {
			return false
		}
	}
}

// stop runs OnStop with a fresh context bounded by OnStopTimeout. A user whose OnStop overruns
// is left to finish on its own: its requests have timeouts of their own.
func (r *Runtime) stop(u *User) {
	if r.class.OnStop == nil {
		u.Session.release()
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), r.class.OnStopTimeout)
	defer cancel()
	u.ctx = ctx
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.safe("OnStop", func() { r.class.OnStop(u) })
		u.Session.release()
		u.Session.rec.flush() // an OnStop that overran its timeout still has its requests counted
	}()
	select {
	case <-done:
	case <-ctx.Done():
		r.logOnce("OnStopTimeout", "user %d: OnStop still running after %s; no longer waiting for it (further overruns are not logged)",
			u.Number, r.class.OnStopTimeout)
	}
}

// pick chooses a task index at random by weight, as Locust does.
func (r *Runtime) pick(rnd *rand.Rand) int {
	if len(r.weights) == 1 {
		return 0
	}
	x := rnd.IntN(r.weights[len(r.weights)-1])
	for i, w := range r.weights {
		if x < w {
			return i
		}
	}
	return len(r.weights) - 1
}

// safe runs fn and turns a panic into a failure under ("TASK", what), so that one faulty task
// neither kills the worker nor passes unnoticed; it reports whether fn returned normally.
func (r *Runtime) safe(what string, fn func()) (ok bool) {
	defer func() {
		if p := recover(); p != nil {
			r.logOnce("panic "+what, "%s panicked: %v\n%s", what, p, debug.Stack())
			r.t.rec.RecordFailure("TASK", what, 0, fmt.Sprintf("panic: %v", p))
			ok = false
		}
	}()
	fn()
	return true
}

func (r *Runtime) logOnce(kind, format string, args ...any) {
	if _, seen := r.logged.LoadOrStore(kind, true); !seen {
		log.Printf("user: "+format, args...)
	}
}
