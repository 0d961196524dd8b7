package user

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// fakeClock is the open model's time moved by hand: a sleep wakes exactly when due (later when
// late says so), and a sleep past horizon ends the run (or, with block, lasts until the
// scheduler's context ends). Before time moves, settle (when set) waits until the worker has
// caught up, as a worker with CPU to spare would.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	horizon time.Time
	block   bool
	late    func(until time.Time) time.Duration
	settle  func()
}

func newFakeClock(start time.Time, horizon time.Duration) *fakeClock {
	return &fakeClock{now: start, horizon: start.Add(horizon), block: true}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) SleepUntil(ctx context.Context, t time.Time, _ <-chan bool) bool {
	if c.settle != nil {
		c.settle()
	}
	c.mu.Lock()
	if t.After(c.horizon) {
		c.mu.Unlock()
		if c.block {
			<-ctx.Done()
		}
		return false
	}
	if t.After(c.now) {
		c.now = t
	}
	if c.late != nil {
		c.now = c.now.Add(c.late(t))
	}
	c.mu.Unlock()
	return ctx.Err() == nil
}

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func TestSchedule_constant(t *testing.T) {
	const start = 3 * time.Second // from the scheduler's epoch
	s := newSchedule(start, &Arrival{Rate: 20}, rand.New(rand.NewPCG(1, 2)))
	if phase := s.next() - start; phase < 0 || phase >= 50*time.Millisecond {
		t.Fatalf("first arrival %s after start; want a phase in [0, 50ms)", phase)
	}
	count, prev := 0, time.Duration(-1)
	for due := s.next(); due < start+10*time.Second; due = s.next() {
		if prev >= 0 {
			if gap := due - prev; gap < 50*time.Millisecond-time.Microsecond || gap > 50*time.Millisecond+time.Microsecond {
				t.Fatalf("arrival %d: gap %s; want 50ms", count, gap)
			}
		}
		prev = due
		count++
		s.advance()
	}
	if count != 200 {
		t.Fatalf("got %d arrivals in 10 s at 20/s; want 200", count)
	}
}

// A gap longer than a Duration holds is never due, whatever the distribution: it does not wrap
// around to the past.
func TestSchedule_rate_too_small_for_a_duration(t *testing.T) {
	for _, poisson := range []bool{false, true} {
		s := newSchedule(time.Second, &Arrival{Rate: 1e-300, Poisson: poisson}, rand.New(rand.NewPCG(5, 6)))
		for range 3 {
			if due := s.next(); due != math.MaxInt64 {
				t.Fatalf("poisson %v: next arrival %d; want never (math.MaxInt64)", poisson, due)
			}
			s.advance()
		}
	}
}

func TestSchedule_poisson(t *testing.T) {
	s := newSchedule(0, &Arrival{Rate: 100, Poisson: true}, rand.New(rand.NewPCG(3, 4)))
	const horizon = 1000 * time.Second
	count, short, prev := 0, 0, time.Duration(0)
	for due := s.next(); due < horizon; due = s.next() {
		if due-prev < 10*time.Millisecond {
			short++
		}
		prev = due
		count++
		s.advance()
	}
	// 100,000 expected, standard deviation 316: 1 % is more than 3 of them.
	if count < 99_000 || count > 101_000 {
		t.Fatalf("got %d arrivals in %s at 100/s; want 100,000 within 1 %%", count, horizon)
	}
	// Exponential gaps: a share 1-1/e of them is shorter than the mean (constant gaps: none).
	if got, want := float64(short)/float64(count), 1-1/math.E; math.Abs(got-want) > 0.01 {
		t.Fatalf("share of gaps shorter than the mean: %.3f; want %.3f (exponential)", got, want)
	}
}

// The scheduler handles every arrival of every user once, never before it is due: it starts it,
// observing how late, or, after a stall, records those due more than max_lag before as not
// started.
func TestScheduler_arrivals(t *testing.T) {
	cases := []struct {
		name      string
		users     int
		late      func(*bool) func(time.Time) time.Duration
		wantLate  int // arrivals handled more than 1 s after they were due: not started
		wantCount int // arrivals in all
	}{
		{"on time", 1, nil, 0, 50},
		{"three users on time", 3, nil, 0, 150},
		{"a 2.55 s stall at 1 s", 1, func(stalled *bool) func(time.Time) time.Duration {
			return func(until time.Time) time.Duration {
				if *stalled || until.Before(epoch.Add(time.Second)) {
					return 0
				}
				*stalled = true
				return 2550 * time.Millisecond
			}
		}, 16, 50},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			clk := newFakeClock(epoch, 5*time.Second)
			if c.late != nil {
				clk.late = c.late(new(bool))
			}
			var mu sync.Mutex
			count, late, early := 0, 0, 0
			perUser := map[int64]int{}
			cl := &Class{Host: "http://127.0.0.1:1", Arrival: &Arrival{Rate: 10}, Tasks: []Task{{Name: "t", Weight: 1,
				Fn: func(u *User) { mu.Lock(); perUser[u.Number]++; mu.Unlock() }}}}
			r, rec := openRuntime(t, cl, one(clk), WithScheduleLag(func(lag time.Duration) {
				mu.Lock()
				defer mu.Unlock()
				count++
				if lag > time.Second {
					late++
				}
				if lag < 0 {
					early++
				}
			}))
			r.SetUsers(c.users)
			eventually(t, "every arrival handled", func() bool {
				mu.Lock()
				defer mu.Unlock()
				return count == c.wantCount-c.wantLate && len(rec.all()) == c.wantLate
			})
			r.Stop()
			if late != 0 || early != 0 {
				t.Fatalf("%d tasks started more than 1 s late, %d early; want none", late, early)
			}
			if got := len(rec.all()); got != c.wantLate {
				t.Fatalf("%d arrivals not started; want the %d late ones", got, c.wantLate)
			}
			for n := range int64(c.users) {
				if want := (c.wantCount - c.wantLate) / c.users; perUser[n] != want {
					t.Fatalf("user %d started %d tasks; want %d", n, perUser[n], want)
				}
			}
		})
	}
}

// openRuntime is a runtime of class c whose scheduler takes its clock from clocks.
func openRuntime(t *testing.T, c *Class, clocks func() clock, opts ...Option) (*Runtime, *recorder) {
	t.Helper()
	r, rec := newRuntime(t, c, append([]Option{WithSeed(7)}, opts...)...)
	settleOn(r, clocks)
	return r, rec
}

// settleOn gives r the clocks, which (when fake) move only once every user the test started has
// joined the schedule and every task handed to a runner has begun: the tests' arrivals then
// come as they would to a worker with CPU to spare, however busy the machine running them.
func settleOn(r *Runtime, clocks func() clock) {
	r.clock = func() clock {
		c := clocks()
		if fc, ok := c.(*fakeClock); ok {
			r.sched.cpu.read = nil // the fake clock's time is not the CPU's
			fc.settle = func() {
				deadline := time.Now().Add(5 * time.Second)
				for time.Now().Before(deadline) {
					r.sched.mu.Lock()
					joined, starting := r.sched.joined, len(r.sched.sleepers)
					r.sched.mu.Unlock()
					if starting > 0 { // users the scheduler has yet to start
						return
					}
					if joined >= r.Users() && r.sched.waiting.Load() == 0 {
						return
					}
					time.Sleep(50 * time.Microsecond)
				}
			}
		}
		return c
	}
}

// one hands clk to the one user of a test.
func one(clk *fakeClock) func() clock { return func() clock { return clk } }

func TestRuntime_open_rate(t *testing.T) {
	var mu sync.Mutex
	iterations := map[int64][]int64{}
	c := &Class{Host: "http://127.0.0.1:1", Arrival: &Arrival{Rate: 10}, Tasks: []Task{{Name: "work", Weight: 1, Fn: func(u *User) {
		mu.Lock()
		iterations[u.Number] = append(iterations[u.Number], u.Iteration)
		mu.Unlock()
	}}}}
	r, rec := openRuntime(t, c, func() clock { return newFakeClock(epoch, 3*time.Second) })
	r.SetUsers(2)
	eventually(t, "60 tasks", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(iterations[0])+len(iterations[1]) == 60
	})
	r.Stop()
	for n, its := range iterations {
		seen := map[int64]bool{}
		for _, i := range its {
			seen[i] = true
		}
		if len(its) != 30 || len(seen) != 30 {
			t.Errorf("user %d ran %d tasks with %d distinct iterations; want 30 of each (3 s at 10/s)", n, len(its), len(seen))
		}
	}
	if calls := rec.all(); len(calls) != 0 {
		t.Fatalf("recorded %v; want nothing (every task started)", calls)
	}
}

func TestRuntime_open_max_in_flight(t *testing.T) {
	release := make(chan struct{})
	var mu sync.Mutex
	started, stops := 0, 0
	c := &Class{Host: "http://127.0.0.1:1", Arrival: &Arrival{Rate: 10, MaxInFlight: 3},
		Tasks: []Task{{Name: "work", Weight: 1, Fn: func(u *User) {
			mu.Lock()
			started++
			mu.Unlock()
			<-release
		}}},
		OnStop: func(u *User) { mu.Lock(); stops++; mu.Unlock() },
	}
	r, rec := openRuntime(t, c, one(newFakeClock(epoch, time.Second)))
	r.SetUsers(1)
	eventually(t, "7 arrivals refused", func() bool { return len(rec.all()) == 7 })
	for _, call := range rec.all() {
		if call.ok || call.method != ArrivalType || call.name != "work" || call.failure != "not started: 3 tasks of this user still running (max_in_flight)" {
			t.Fatalf("recorded %+v; want a failure ARRIVAL work: not started ... (max_in_flight)", call)
		}
	}
	eventually(t, "3 tasks started", func() bool { mu.Lock(); defer mu.Unlock(); return started == 3 })
	r.SetUsers(0)
	time.Sleep(20 * time.Millisecond)
	mu.Lock()
	if started != 3 || stops != 0 {
		t.Errorf("started %d tasks, OnStop ran %d times while 3 were open; want 3 and 0", started, stops)
	}
	mu.Unlock()
	close(release)
	r.Stop()
	if stops != 1 {
		t.Fatalf("OnStop ran %d times; want once, after the open tasks ended", stops)
	}
}

func TestRuntime_open_behind_schedule(t *testing.T) {
	var mu sync.Mutex
	started := 0
	c := &Class{Host: "http://127.0.0.1:1", Arrival: &Arrival{Rate: 10, MaxLag: time.Second},
		Tasks: []Task{{Name: "work", Weight: 1, Fn: func(u *User) { mu.Lock(); started++; mu.Unlock() }}}}
	clk := newFakeClock(epoch, 5*time.Second)
	stalled := false
	clk.late = func(until time.Time) time.Duration {
		if stalled || until.Before(epoch.Add(time.Second)) {
			return 0
		}
		stalled = true
		return 2550 * time.Millisecond
	}
	r, rec := openRuntime(t, c, one(clk))
	r.SetUsers(1)
	eventually(t, "50 arrivals", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return started+len(rec.all()) == 50
	})
	r.Stop()
	calls := rec.all()
	if started != 34 || len(calls) != 16 {
		t.Fatalf("started %d tasks, recorded %d failures; want 34 and 16 (due more than 1 s before the worker woke)", started, len(calls))
	}
	want := "not started: the worker fell more than 1s behind its arrival schedule (max_lag; CPU saturated?)"
	if calls[0].method != ArrivalType || calls[0].name != "work" || calls[0].failure != want {
		t.Fatalf("recorded %+v; want a failure ARRIVAL work: %s", calls[0], want)
	}
}

func TestRuntime_open_first_request_timed_from_due(t *testing.T) {
	host := serve(t)
	c := &Class{Host: host, Arrival: &Arrival{Rate: 1}, Tasks: []Task{{Name: "two", Weight: 1, Fn: func(u *User) {
		u.Session.Get("/first")
		u.Session.Get("/second")
	}}}}
	// The schedule began 2 s ago: the one task due in its first second is 1 to 2 s late.
	clk := newFakeClock(time.Now().Add(-2*time.Second), time.Second)
	r, rec := openRuntime(t, c, one(clk))
	r.SetUsers(1)
	eventually(t, "two requests", func() bool { return len(rec.all()) == 2 })
	r.Stop()
	calls := rec.all()
	if calls[0].name != "/first" || calls[0].ms < 1000 || calls[0].ms > 2500 {
		t.Errorf("first request: %+v; want /first timed from when it was due, 1000 to 2500 ms", calls[0])
	}
	if calls[1].name != "/second" || calls[1].ms > 500 {
		t.Errorf("second request: %+v; want /second timed from its send, well under 500 ms", calls[1])
	}
}

func TestRuntime_open_slots_copy_the_user(t *testing.T) {
	host := serve(t)
	type got struct {
		number            int64
		token, sid, state string
	}
	var mu sync.Mutex
	var seen []got
	parentToken := ""
	c := &Class{Host: host, Arrival: &Arrival{Rate: 20},
		OnStart: func(u *User) error {
			u.Vars["token"] = "t"
			u.State = "parent"
			u.Session.Get("/login?user=ann")
			return nil
		},
		OnStop:    func(u *User) { parentToken = u.Vars["token"] },
		ForkState: func(u, slot *User) any { return u.State.(string) + " forked" },
		Tasks: []Task{{Name: "look", Weight: 1, Fn: func(u *User) {
			mu.Lock()
			seen = append(seen, got{u.Number, u.Vars["token"], u.Session.Cookie("sid"), u.State.(string)})
			mu.Unlock()
			u.Vars["token"] = "changed by a task" // its slot's own copy
		}}}}
	r, _ := openRuntime(t, c, one(newFakeClock(epoch, time.Second)))
	r.SetUsers(1)
	eventually(t, "20 tasks", func() bool { mu.Lock(); defer mu.Unlock(); return len(seen) == 20 })
	r.Stop()
	for _, g := range seen {
		// A reused slot keeps what its earlier task stored, as a closed-model user keeps its Vars.
		if g.number != 0 || (g.token != "t" && g.token != "changed by a task") || g.sid != "ann" || g.state != "parent forked" {
			t.Fatalf("a task saw %+v; want user 0, OnStart's token, the login's cookie ann and the forked state", g)
		}
	}
	if parentToken != "t" {
		t.Fatalf("OnStop saw token %q; want the user's own %q, untouched by its slots", parentToken, "t")
	}
}

// Open tasks exchange on their runner's buffers, each task's answers its own, and a slot holds
// none between its tasks.
func TestRuntime_open_tasks_use_their_runners_buffers(t *testing.T) {
	host := serve(t)
	var mu sync.Mutex
	slotsSeen := map[*User]bool{}
	wrong, tasks := "", 0
	c := &Class{Host: host, Arrival: &Arrival{Rate: 50}, Tasks: []Task{{Name: "two", Weight: 1, Fn: func(u *User) {
		first := u.Session.Get("/login?user=u" + strconv.FormatInt(u.Number, 10))
		cookie := first.Cookie("sid")
		body := string(u.Session.Get("/cookies").Body)
		mu.Lock()
		defer mu.Unlock()
		slotsSeen[u] = true
		tasks++
		if want := "u" + strconv.FormatInt(u.Number, 10); cookie != want || body != "sid="+want {
			wrong = fmt.Sprintf("user %d: cookie %q, then the jar sent %q; want %q", u.Number, cookie, body, want)
		}
	}}}}
	r, _ := newRuntime(t, c)
	r.SetUsers(4)
	eventually(t, "40 tasks", func() bool { mu.Lock(); defer mu.Unlock(); return tasks >= 40 })
	r.Stop()
	if wrong != "" {
		t.Fatal(wrong)
	}
	for slot := range slotsSeen {
		if slot.Session.req != nil || slot.Session.resp != nil {
			t.Fatalf("slot of user %d holds buffers after its tasks", slot.Number)
		}
	}
	if len(slotsSeen) < 4 {
		t.Fatalf("tasks ran on %d slots; want at least one per user (4)", len(slotsSeen))
	}
}

func TestNew_arrival(t *testing.T) {
	fn := func(*User) {}
	cases := []struct {
		name    string
		arrival Arrival
		wait    Wait
		want    string
	}{
		{"zero rate", Arrival{}, nil, "Arrival.Rate: got 0; expected a number of tasks per second > 0"},
		{"negative rate", Arrival{Rate: -1}, nil, "Arrival.Rate: got -1"},
		{"infinite rate", Arrival{Rate: math.Inf(1)}, nil, "Arrival.Rate: got +Inf"},
		{"NaN rate", Arrival{Rate: math.NaN()}, nil, "Arrival.Rate: got NaN"},
		{"negative max in flight", Arrival{Rate: 1, MaxInFlight: -1}, nil, "Arrival.MaxInFlight: got -1; expected >= 0"},
		{"negative max lag", Arrival{Rate: 1, MaxLag: -time.Second}, nil, "Arrival.MaxLag: got -1s; expected a duration >= 0"},
		{"negative max conns", Arrival{Rate: 1, MaxConns: -1}, nil, "Arrival.MaxConns: got -1; expected >= 0 (0: 1024)"},
		{"with a wait", Arrival{Rate: 1}, Constant(time.Second), "Wait: set with Arrival; expected none"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := c.arrival
			_, err := New(&Class{Host: "http://x", Tasks: []Task{{Weight: 1, Fn: fn}}, Arrival: &a, Wait: c.wait}, &recorder{})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got error %v, want one containing %q", err, c.want)
			}
		})
	}
}

func TestNew_arrival_defaults(t *testing.T) {
	cases := []struct {
		name      string
		rate      float64
		timeout   time.Duration
		wantSlots int
	}{
		{"rate × default timeout", 20, 0, 200},
		{"rate × timeout, rounded up", 2.5, 1500 * time.Millisecond, 4},
		{"at least one", 0.01, 0, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := &Arrival{Rate: c.rate}
			r, _ := newRuntime(t, &Class{Host: "http://x", HTTP: HTTPOptions{Timeout: c.timeout}, Arrival: a, Tasks: []Task{{Weight: 1, Fn: func(*User) {}}}})
			got := r.Class().Arrival
			if got.MaxInFlight != c.wantSlots || got.MaxLag != DefaultMaxLag || got.MaxConns != DefaultMaxConns {
				t.Fatalf("got MaxInFlight %d, MaxLag %s, MaxConns %d; want %d, %s and %d", got.MaxInFlight, got.MaxLag, got.MaxConns, c.wantSlots, DefaultMaxLag, DefaultMaxConns)
			}
			if a.MaxInFlight != 0 {
				t.Fatalf("the caller's Arrival was changed: MaxInFlight %d", a.MaxInFlight)
			}
		})
	}
}

func TestRuntime_open_max_conns(t *testing.T) {
	var mu sync.Mutex
	open, most := 0, 0
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) {
		mu.Lock()
		open++
		most = max(most, open)
		mu.Unlock()
		time.Sleep(100 * time.Millisecond)
		mu.Lock()
		open--
		mu.Unlock()
	}}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Shutdown() })

	// 4 tasks due at once on 2 connections: two wait for a connection rather than dial.
	c := &Class{Host: "http://" + ln.Addr().String(), Arrival: &Arrival{Rate: 10, MaxConns: 2},
		Tasks: []Task{{Name: "get", Weight: 1, Fn: func(u *User) { u.Session.Get("/") }}}}
	start := time.Now().Add(-400 * time.Millisecond)
	clk := newFakeClock(start, 400*time.Millisecond)
	clk.late = func(until time.Time) time.Duration { // all 4 due at the first wake for an arrival
		if until.After(start) {
			return 400 * time.Millisecond
		}
		return 0
	}
	r, rec := openRuntime(t, c, one(clk))
	r.SetUsers(1)
	eventually(t, "4 answers", func() bool { return len(rec.all()) == 4 })
	r.Stop()
	for _, call := range rec.all() {
		if !call.ok {
			t.Fatalf("recorded %+v; want every request answered, two after waiting for a connection", call)
		}
	}
	if most != 2 {
		t.Errorf("the server saw %d requests at once; want 2 (MaxConns)", most)
	}
}

// blockedScheduler is the scheduler of an open runtime of one user at 1,000 arrivals a second
// whose tasks each hold their runner until the test releases one; its clock is fake, and moves
// only when the test moves it, and the CPU reads as cpu says.
func blockedScheduler(t *testing.T, cpu func() (time.Duration, bool)) (s *scheduler, clk *fakeClock, started *atomic.Int64, release chan struct{}, rec *recorder) {
	t.Helper()
	release = make(chan struct{}, 1000)
	started = &atomic.Int64{}
	c := &Class{Host: "http://127.0.0.1:1", Arrival: &Arrival{Rate: 1000},
		Tasks: []Task{{Name: "work", Weight: 1, Fn: func(u *User) { started.Add(1); <-release }}}}
	r, rec := newRuntime(t, c, WithSeed(7))
	s = r.sched
	clk = newFakeClock(epoch, time.Hour)
	u := &User{Session: newSession(r.t, nil), Rand: rand.New(rand.NewPCG(1, 2)), Vars: map[string]string{}, ctx: context.Background()}
	ou := &openUser{u: u}
	ou.slots = slots{limit: 1000, make: func() *User { return r.slot(u) }}
	s.mu.Lock()
	s.clock, s.epoch, s.stop = clk, epoch, func() {}
	s.cpu.read = cpu
	s.add(ou, r.class.Arrival)
	s.mu.Unlock()
	t.Cleanup(func() {
		s.mu.Lock()
		s.stop = nil
		s.mu.Unlock()
		close(release)
		ou.open.Wait()
		s.close(s.run)
	})
	return s, clk, started, release, rec
}

func (c *fakeClock) set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

func ms(n int) time.Time { return epoch.Add(time.Duration(n) * time.Millisecond) }

// fakeCPU is the process's CPU time as a test sets it: full says every CPU the Go runtime may use
// was busy from the epoch until at.
type fakeCPU struct{ used atomic.Int64 }

func (c *fakeCPU) read() (time.Duration, bool) { return time.Duration(c.used.Load()), true }

func (c *fakeCPU) full(at time.Time) {
	c.used.Store(int64(time.Duration(runtime.GOMAXPROCS(0)) * at.Sub(epoch)))
}

// The open model starts no more runners than its limit: tasks due beyond it are left for the
// runners that finish first, which take them without being handed them, and on a CPU with room
// none is recorded as not started.
func TestScheduler_limit(t *testing.T) {
	s, clk, started, release, rec := blockedScheduler(t, nil)
	s.arrive(ms(20)) // 20 due, the limit is startRunners
	eventually(t, "the limit's tasks running", func() bool { return started.Load() == startRunners })
	if got := s.runners.Load(); got != startRunners {
		t.Fatalf("%d runners; want %d (the limit)", got, startRunners)
	}
	clk.set(ms(20))
	release <- struct{}{} // a runner finishes: it takes the oldest task left itself
	eventually(t, "a task left taken by a finishing runner", func() bool { return started.Load() == startRunners+1 })
	s.arrive(ms(25)) // 5 more due: still no runner to start
	if got := s.runners.Load(); got != startRunners {
		t.Fatalf("%d runners after more tasks fell due; want still %d", got, startRunners)
	}
	if calls := rec.all(); len(calls) != 0 {
		t.Fatalf("recorded %+v on a CPU with room; want nothing not started", calls)
	}
}

// On a saturated CPU (full, or handed work not begun wake-up after wake-up) an open task left
// longer than leaveFor is not started and is recorded as such; one left less long waits.
func TestScheduler_saturated(t *testing.T) {
	for _, tc := range []struct {
		name string
		full bool // the CPU reads as full; else handed work does not begin
	}{{"cpu full", true}, {"work not begun", false}} {
		t.Run(tc.name, func(t *testing.T) {
			var fake fakeCPU // the CPU time the meter reads: as much as the clock moved
			cpu := fake.read
			if !tc.full {
				cpu = nil
			}
			s, _, started, _, rec := blockedScheduler(t, cpu)
			s.arrive(ms(16)) // 16 due: the limit's runners take them
			eventually(t, "16 tasks running", func() bool { return started.Load() == 16 && s.waiting.Load() == 0 })
			if tc.full {
				// Measured full since the first measure at 16 ms: over one window at 28 ms (a
				// burst, perhaps), over two at 40.
				fake.full(ms(28))
				s.arrive(ms(28))
				if got := len(rec.all()); got != 0 {
					t.Fatalf("one window of a full CPU: %d arrivals not started; want none", got)
				}
				fake.full(ms(40))
				s.arrive(ms(40))
			} else {
				s.waiting.Add(1) // as if handed work had not begun
				// Wake-ups at 19, 22 ... 40 ms: the eighth, at 40, comes saturatedAfter after the first.
				for n := 40 - 3*(saturatedWakes-1); n <= 40; n += 3 {
					if n == 40 && len(rec.all()) != 0 {
						t.Fatalf("%d wake-ups finding work not begun: %d arrivals not started; want none", saturatedWakes-1, len(rec.all()))
					}
					s.arrive(ms(n))
				}
				defer s.waiting.Add(-1)
			}
			// Due meanwhile, one a millisecond from a phase in the first: 24, of which 23 due
			// more than 1 ms before 40; the last waits.
			want := "not started: the worker's CPU is saturated (its running tasks wait for it; more workers or a lower rate)"
			calls := rec.all()
			if len(calls) != 23 {
				t.Fatalf("recorded %d not started; want 23 (those left more than %s)", len(calls), leaveFor)
			}
			for _, call := range calls {
				if call.method != ArrivalType || call.name != "work" || call.failure != want {
					t.Fatalf("recorded %+v; want ARRIVAL work: %s", call, want)
				}
			}
			if got := started.Load(); got != 16 {
				t.Fatalf("%d tasks started; want 16: no runner more on a saturated CPU", got)
			}
		})
	}
}

// A runner that takes due work on a saturated CPU records the arrivals it passes over before it
// goes on: none waits for a wake-up of the scheduler that may never come (the users leave).
func TestScheduler_due_records_what_it_skips(t *testing.T) {
	s, clk, started, _, rec := blockedScheduler(t, nil)
	s.saturatedNow.Store(true)
	clk.set(ms(40))
	j, ok := s.due()
	if !ok || j.open.task == nil {
		t.Fatalf("due at 40 ms: got %+v, %v; want the arrival due within the last %s", j, ok, leaveFor)
	}
	go s.runOpen(&runner{}, j.open)
	// Due one a millisecond from a phase in the first: the 39 due before 39 ms are left more
	// than leaveFor.
	if got := len(rec.all()); got != 39 {
		t.Fatalf("recorded %d not started when due returned; want 39", got)
	}
	eventually(t, "the task taken running", func() bool { return started.Load() == 1 })
}

// Runners that finish take the open tasks due themselves only while the worker is busy: after
// two light measures of the CPU in which no task found the runners short, they leave them to the
// scheduler's next wake-up, which sends those due together; one light measure (another program
// took the CPU a moment) changes nothing.
func TestScheduler_runners_take_open_tasks_when_busy(t *testing.T) {
	var fake fakeCPU // the CPU time the meter reads: none until full is called
	s, clk, _, _, _ := blockedScheduler(t, fake.read)
	s.limit.Store(1000) // every task a wake-up finds due gets a runner: none is short of one
	take := func(at int) bool {
		t.Helper()
		clk.set(ms(at)) // arrivals fell due since the last wake-up
		j, ok := s.due()
		if ok {
			go s.runOpen(&runner{}, j.open) // runs until the test's end releases it
		}
		return ok
	}
	arrive := func(at int) {
		t.Helper()
		s.arrive(ms(at))
		eventually(t, "the tasks handed out begun", func() bool { return s.waiting.Load() == 0 })
	}
	arrive(16) // the CPU's first measure begins
	arrive(30) // idle over one measure
	if !take(33) {
		t.Fatal("after one light measure a runner that finished took no task due; want it to, as before")
	}
	arrive(40) // and over a second
	if take(43) {
		t.Fatal("after two light measures a runner that finished took a task due; want it left for the scheduler")
	}
	s.waiting.Add(1) // as if work handed out had not begun: another program takes the CPU
	s.arrive(ms(44))
	if take(44) {
		t.Fatal("one wake-up finding handed work not begun (a burst): a runner that finished took a task due; want it left")
	}
	for at := 45; at < 44+loadedWakes; at++ {
		s.arrive(ms(at))
	}
	s.waiting.Add(-1)
	if !take(47) {
		t.Fatalf("%d wake-ups in a row finding handed work not begun: a runner that finished took no task due; want it to", loadedWakes)
	}
	// Loaded for saturatedFor after the last sign (at 47), then light again over two measures.
	arrive(150)
	arrive(160)
	arrive(170)
	if take(173) {
		t.Fatal("light again: a runner that finished took a task due; want it left for the scheduler")
	}
	fake.full(ms(180))
	arrive(180) // busy over the last measure
	if !take(183) {
		t.Fatal("on a busy CPU a runner that finished took no task due; want the first one due")
	}
}

// With the runners short of tasks' needs (the limit reached), light measures do not stop them
// taking the tasks due: the worker needs every runner it has.
func TestScheduler_runners_short_take_open_tasks(t *testing.T) {
	var fake fakeCPU
	s, clk, started, _, _ := blockedScheduler(t, fake.read)
	s.arrive(ms(16)) // 16 due: the limit's 16 runners take them
	eventually(t, "16 tasks running", func() bool { return started.Load() == 16 && s.waiting.Load() == 0 })
	s.arrive(ms(30)) // idle, the tasks due since finding no runner
	s.arrive(ms(40))
	clk.set(ms(40))
	j, ok := s.due()
	if !ok {
		t.Fatal("runners short after two light measures: a runner that finished took no task due; want it to")
	}
	go s.runOpen(&runner{}, j.open)
}

// After the process stalled, the tasks that fell due meanwhile start on the limit's runners at
// most, not on a goroutine each.
func TestScheduler_stalled(t *testing.T) {
	s, _, started, _, rec := blockedScheduler(t, nil)
	s.arrive(ms(500)) // 500 due
	eventually(t, "the limit's tasks running", func() bool { return started.Load() == startRunners })
	time.Sleep(20 * time.Millisecond)
	if got := started.Load(); got != startRunners || s.runners.Load() != startRunners {
		t.Fatalf("%d tasks started on %d runners; want %d on as many", got, s.runners.Load(), startRunners)
	}
	if calls := rec.all(); len(calls) != 0 {
		t.Fatalf("recorded %d not started; want none: the CPU has room, the rest wait", len(calls))
	}
}

// measured makes share the meter's last measure, the last one before it its previous.
func measured(m *cpuMeter, share float64) { m.prev, m.last = m.last, share }

// The limit grows when tasks find no runner while the CPU has room, keeps a growth that raised
// the tasks done per second, and undoes one that did not, trying again later.
func TestScheduler_steer(t *testing.T) {
	s, _, _, _, _ := blockedScheduler(t, nil)
	s.maxRunners = 1000
	at := epoch
	measure := func(done int64, short, saturated bool) int64 {
		at = at.Add(cpuWindow)
		s.done.Add(done)
		s.short = short
		share := 0.7 // room, not idle
		if saturated {
			share = 1
		}
		measured(&s.cpu, share)
		s.steer(at, saturated, saturated)
		return s.limit.Load()
	}
	measure(100, false, false)
	for i := 0; i < roomyMeasures-1; i++ {
		if got := measure(100, true, false); got != startRunners {
			t.Fatalf("limit %d after %d measures short of runners; want still %d", got, i+1, startRunners)
		}
	}
	if got := measure(100, true, false); got != startRunners+growMin {
		t.Fatalf("limit %d after %d measures short of runners with the CPU roomy; want %d", got, roomyMeasures, startRunners+growMin)
	}
	if got := measure(130, true, false); got != startRunners+growMin {
		t.Fatalf("limit %d after the growth paid (100 -> 130 tasks); want it kept, %d", got, startRunners+growMin)
	}
	for i := 0; i < roomyMeasures; i++ {
		measure(130, true, false)
	}
	grown := s.limit.Load()
	if got := measure(131, true, false); got != startRunners+growMin {
		t.Fatalf("limit %d (from %d) after a growth that did not pay; want it undone, %d", got, grown, startRunners+growMin)
	}
	for i := 0; i < 2*roomyMeasures-1; i++ {
		if got := measure(130, true, false); got != startRunners+growMin {
			t.Fatalf("limit %d %d measures after an undone growth; want no try before %d", got, i+1, 2*roomyMeasures)
		}
	}
	if got := measure(130, true, true); got != startRunners+growMin {
		t.Fatalf("limit %d on a saturated CPU; want it held", got)
	}
}

// Runners that wait for answers leave the CPU mostly idle, measure after measure: the limit
// doubles, no try needed. One idle measure is a stall (the process off its core for a few
// milliseconds, which a kernel thread does here every half second), and doubling after each
// stall left 129–245 goroutines at 0.8 × saturation where 45–82 do.
func TestScheduler_limit_doubles_on_an_idle_CPU_not_after_a_stall(t *testing.T) {
	s, _, _, _, _ := blockedScheduler(t, nil)
	s.maxRunners = 1000
	s.steering.needed = maxRoomy // tries that did not pay: none soon
	at := epoch
	measure := func(share float64) int64 {
		at = at.Add(cpuWindow)
		s.done.Add(100)
		s.short = true // tasks found no runner free
		measured(&s.cpu, share)
		s.steer(at, false, false)
		return s.limit.Load()
	}
	for i := 0; i < roomyMeasures; i++ {
		measure(0.7)
	}
	if got := measure(0.3); got != startRunners {
		t.Fatalf("limit %d after one idle measure among roomy ones; want it held, %d", got, startRunners)
	}
	if got := measure(0.3); got != 2*startRunners {
		t.Fatalf("limit %d after two idle measures short of runners; want it doubled, %d", got, 2*startRunners)
	}
}

// A server that stopped answering for a while left the runners waiting and the CPU idle, and the
// limit doubled up to the connection limit; once it answers again, an overloaded worker sends with
// all those runners, and sends less (101,000–126,000/s after a 2 s stall against 170,000/s
// without). On a saturated CPU with tasks short of runners the limit tries a quarter fewer, keeps
// them if the CPU is still full two measures later, and goes back if it is not (the runners let go
// were needed: the rest wait for answers), trying again later.
func TestScheduler_fewer_runners_on_a_saturated_CPU(t *testing.T) {
	s, _, _, _, _ := blockedScheduler(t, nil)
	s.maxRunners = 1000
	s.limit.Store(1000)
	at := epoch
	measure := func(share float64, short bool) int64 {
		at = at.Add(cpuWindow)
		s.done.Add(100)
		s.short = short
		measured(&s.cpu, share)
		saturated := s.cpu.full()
		s.steer(at, saturated, saturated)
		return s.limit.Load()
	}
	for i := 0; i < 2*roomyMeasures; i++ {
		if got := measure(1, false); got != 1000 {
			t.Fatalf("limit %d on a saturated CPU with no task short of runners; want it held, 1000", got)
		}
	}
	for i := 0; i < roomyMeasures-1; i++ {
		measure(1, true)
	}
	if got := measure(1, true); got != 750 {
		t.Fatalf("limit %d after %d saturated measures short of runners; want a quarter fewer, 750", got, roomyMeasures)
	}
	for i := 0; i < shrinkSettle; i++ {
		if got := measure(1, true); got != 750 {
			t.Fatalf("limit %d while the runners beyond it finish; want 750", got)
		}
	}
	if got := s.limit.Load(); got != 750 {
		t.Fatalf("limit %d with the CPU still full; want the fewer kept, 750", got)
	}
	for i := 0; i < roomyMeasures; i++ {
		measure(1, true)
	}
	if got := s.limit.Load(); got != 563 {
		t.Fatalf("limit %d after another %d saturated measures short of runners; want 563", got, roomyMeasures)
	}
	measure(1, true)
	if got := measure(0.6, true); got != 750 {
		t.Fatalf("limit %d when the CPU was no longer full with fewer runners; want it back, 750", got)
	}
	for i := 0; i < 2*roomyMeasures; i++ {
		measure(1, true)
	}
	if got := s.limit.Load(); got != 750 {
		t.Fatalf("limit %d %d measures after a try that did not pay; want no try before %d", got, 2*roomyMeasures, 2*roomyMeasures+1)
	}
	if got := measure(1, true); got != 563 {
		t.Fatalf("limit %d after %d saturated measures short of runners; want the next try, 563", got, 2*roomyMeasures+1)
	}
	s.limit.Store(startRunners)
	for i := 0; i < 4*roomyMeasures; i++ {
		if got := measure(1, true); got != startRunners {
			t.Fatalf("limit %d; want never below %d", got, startRunners)
		}
	}
}

// CPU that other programs take reads as idle in the process's own CPU time; work handed out and
// not begun wake-up after wake-up says it is taken. While the worker is loaded so, tasks short of
// runners do not grow the limit (more runners would queue for the CPU too); once it is not, they
// do.
func TestScheduler_limit_holds_while_loaded(t *testing.T) {
	var fake fakeCPU // no CPU time used: the CPU reads idle
	s, _, _, _, _ := blockedScheduler(t, fake.read)
	s.maxRunners = 1000
	s.mu.Lock()
	defer s.mu.Unlock()
	gauge := func(at time.Time) {
		t.Helper()
		s.short = true // tasks found no runner
		if _, saturated := s.gauge(at); saturated {
			t.Fatalf("saturated at %s; want loaded only (work not begun at %d wake-ups in a row at most)", at.Sub(epoch), loadedWakes)
		}
	}
	at := ms(20)
	for m := 0; m < 2*roomyMeasures; m++ { // each measure: loadedWakes wake-ups finding work not begun
		s.waiting.Add(1)
		for k := 0; k < loadedWakes; k++ {
			gauge(at)
			at = at.Add(quantum)
		}
		s.waiting.Add(-1)
		gauge(at) // the runners caught up
		at = at.Add(cpuWindow - loadedWakes*quantum)
	}
	if got := s.limit.Load(); got != startRunners {
		t.Fatalf("limit %d after %d measures short of runners on a loaded worker; want it held, %d", got, 2*roomyMeasures, startRunners)
	}
	for end := at.Add(saturatedFor + (roomyMeasures+1)*cpuWindow); at.Before(end); at = at.Add(quantum) {
		gauge(at) // no longer loaded once saturatedFor has passed
	}
	if got := s.limit.Load(); got <= startRunners {
		t.Fatalf("limit %d after %d measures short of runners on an idle CPU, no longer loaded; want it grown", got, roomyMeasures)
	}
}

// The open users' heap keeps the soonest arrival at its head and every user's place, through
// pushes, moves of due times and removals in any order.
func TestUsers_heap(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	var h users
	var in []*openUser
	check := func(step int) {
		for i, ou := range h {
			if ou.index != i {
				t.Fatalf("step %d: user at %d says it is at %d", step, i, ou.index)
			}
			if i > 0 && h[(i-1)/2].due > ou.due {
				t.Fatalf("step %d: parent of %d due %v after it (%v)", step, i, h[(i-1)/2].due, ou.due)
			}
		}
		if len(h) != len(in) {
			t.Fatalf("step %d: %d users in the heap; want %d", step, len(h), len(in))
		}
	}
	for step := range 5000 {
		switch op := rnd.IntN(3); {
		case op == 0 || len(in) == 0:
			ou := &openUser{due: time.Duration(rnd.IntN(1000))}
			h.push(ou)
			in = append(in, ou)
		case op == 1:
			ou := in[rnd.IntN(len(in))]
			ou.due = time.Duration(rnd.IntN(1000))
			h.fix(ou.index)
		default:
			k := rnd.IntN(len(in))
			ou := in[k]
			h.remove(ou.index)
			if ou.index != -1 {
				t.Fatalf("step %d: a removed user keeps index %d", step, ou.index)
			}
			in = append(in[:k], in[k+1:]...)
		}
		check(step)
	}
}

// The quick verdict (loaded: no runner more starts) comes from one full measure of the CPU or
// loadedWakes wake-ups finding work not begun; the slow one (saturated: arrivals left are not
// started) needs two full measures in a row or saturatedWakes wake-ups.
func TestScheduler_gauge(t *testing.T) {
	c := &Class{Host: "http://127.0.0.1:1", Tasks: []Task{{Name: "work", Weight: 1, Fn: func(*User) {}}}}
	verdicts := func(s *scheduler, at time.Time) (loaded, saturated bool) {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.gauge(at)
	}

	t.Run("cpu", func(t *testing.T) {
		r, _ := newRuntime(t, c)
		var fake fakeCPU
		r.sched.cpu.read = fake.read
		full := fake.full
		verdicts(r.sched, ms(0)) // the first measure starts the window
		full(ms(10))
		if loaded, saturated := verdicts(r.sched, ms(10)); !loaded || saturated {
			t.Fatalf("one full measure: loaded %v, saturated %v; want loaded only", loaded, saturated)
		}
		full(ms(20))
		if loaded, saturated := verdicts(r.sched, ms(20)); !loaded || !saturated {
			t.Fatalf("two full measures: loaded %v, saturated %v; want both", loaded, saturated)
		}
	})

	t.Run("work not begun", func(t *testing.T) {
		r, _ := newRuntime(t, c)
		r.sched.cpu.read = nil
		r.sched.waiting.Add(1) // as if handed work had not begun
		defer r.sched.waiting.Add(-1)
		for n := 1; n <= saturatedWakes; n++ { // 3 ms apart: the eighth comes 21 ms after the first
			loaded, saturated := verdicts(r.sched, ms(3*n))
			if loaded != (n >= loadedWakes) || saturated != (n >= saturatedWakes) {
				t.Fatalf("wake-up %d finding work not begun: loaded %v, saturated %v; want loaded from %d, saturated from %d",
					n, loaded, saturated, loadedWakes, saturatedWakes)
			}
		}
	})

	// A process stalled a few milliseconds owes its goroutines a while: wake-up after wake-up
	// finds work not begun, a burst that must not count as saturation (arrivals not started).
	t.Run("work not begun for less than saturatedAfter", func(t *testing.T) {
		r, _ := newRuntime(t, c)
		r.sched.cpu.read = nil
		r.sched.waiting.Add(1)
		defer r.sched.waiting.Add(-1)
		first := ms(1)
		for at := first; at.Sub(first) < saturatedAfter; at = at.Add(quantum) {
			if loaded, saturated := verdicts(r.sched, at); saturated || (loaded != (at.Sub(first) >= (loadedWakes-1)*quantum)) {
				t.Fatalf("work not begun for %s: loaded %v, saturated %v; want loaded from the wake-up %d, not saturated before %s",
					at.Sub(first), loaded, saturated, loadedWakes, saturatedAfter)
			}
		}
		if _, saturated := verdicts(r.sched, first.Add(saturatedAfter)); !saturated {
			t.Fatalf("work not begun for %s: not saturated; want saturated", saturatedAfter)
		}
	})
}

// A scheduler goroutine that ends takes its signs of saturation with it: the next one, started
// when users enter again, finds the worker neither loaded nor saturated.
func TestScheduler_close_forgets_the_signs(t *testing.T) {
	c := &Class{Host: "http://127.0.0.1:1", Tasks: []Task{{Name: "work", Weight: 1, Fn: func(*User) {}}}}
	r, _ := newRuntime(t, c)
	s := r.sched
	var fake fakeCPU
	s.cpu.read = fake.read
	s.mu.Lock()
	s.gauge(ms(0))
	fake.full(ms(20))
	s.gauge(ms(10))
	s.gauge(ms(20)) // two full measures
	s.waiting.Add(1)
	for n := 0; n < saturatedWakes; n++ { // over saturatedAfter: 21 to 42 ms
		s.gauge(ms(21 + 3*n))
	}
	s.waiting.Add(-1)
	loaded, saturated := s.gauge(ms(45))
	s.mu.Unlock()
	if !loaded || !saturated {
		t.Fatalf("before the close: loaded %v, saturated %v; want both", loaded, saturated)
	}
	s.close(s.run)
	s.mu.Lock()
	defer s.mu.Unlock()
	if loaded, saturated := s.gauge(ms(31)); loaded || saturated {
		t.Fatalf("after the close: loaded %v, saturated %v; want neither", loaded, saturated)
	}
}

// A rate so low that its users' first task is due after days or centuries is a mistake: at
// 1e-300 tasks a second the users were started and sent nothing, without a word.
func TestNew_arrival_rate_below_one_a_day(t *testing.T) {
	fn := func(*User) {}
	for _, rate := range []float64{1e-300, MinArrivalRate / 2} {
		_, err := New(&Class{Host: "http://x", Tasks: []Task{{Weight: 1, Fn: fn}}, Arrival: &Arrival{Rate: rate}}, &recorder{})
		want := fmt.Sprintf("Arrival.Rate: got %v; expected at least user.MinArrivalRate (1.16e-05 tasks per second, one a day)", rate)
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("rate %v: got error %v; want one starting %q", rate, err, want)
		}
	}
	rt, err := New(&Class{Host: "http://x", Tasks: []Task{{Weight: 1, Fn: fn}}, Arrival: &Arrival{Rate: MinArrivalRate}}, &recorder{})
	if err != nil {
		t.Fatalf("one task a day: %v", err)
	}
	rt.Stop()
}

// Rate × HTTP.Timeout beyond an int wrapped to a negative number: one task in flight at most.
func TestNew_arrival_default_max_in_flight_of_a_long_timeout(t *testing.T) {
	a := &Arrival{Rate: 1e12}
	r, _ := newRuntime(t, &Class{Host: "http://x", HTTP: HTTPOptions{Timeout: 1 << 62}, Arrival: a, Tasks: []Task{{Weight: 1, Fn: func(*User) {}}}})
	if got := r.Class().Arrival.MaxInFlight; got != math.MaxInt32 {
		t.Fatalf("got MaxInFlight %d; want %d (no bound in practice)", got, math.MaxInt32)
	}
}
