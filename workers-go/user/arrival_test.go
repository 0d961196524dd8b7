package user

import (
	"context"
	"math"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// fakeClock is the open model's time moved by hand: a sleep wakes exactly when due (later when
// late says so), and a sleep past horizon ends the run (or, with block, lasts until the user's
// context ends).
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	horizon time.Time
	block   bool
	late    func(until time.Time) time.Duration
}

func newFakeClock(start time.Time, horizon time.Duration) *fakeClock {
	return &fakeClock{now: start, horizon: start.Add(horizon), block: true}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) SleepUntil(ctx context.Context, t time.Time) bool {
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
	s := newSchedule(epoch, &Arrival{Rate: 20}, rand.New(rand.NewPCG(1, 2)))
	first := s.next()
	if phase := first.Sub(epoch); phase < 0 || phase >= 50*time.Millisecond {
		t.Fatalf("first arrival %s after start; want a phase in [0, 50ms)", phase)
	}
	count, prev := 0, time.Time{}
	for due := s.next(); due.Before(epoch.Add(10 * time.Second)); due = s.next() {
		if !prev.IsZero() {
			if gap := due.Sub(prev); gap < 50*time.Millisecond-time.Microsecond || gap > 50*time.Millisecond+time.Microsecond {
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

func TestSchedule_poisson(t *testing.T) {
	s := newSchedule(epoch, &Arrival{Rate: 100, Poisson: true}, rand.New(rand.NewPCG(3, 4)))
	const horizon = 1000 * time.Second
	count, short, prev := 0, 0, epoch
	for due := s.next(); due.Before(epoch.Add(horizon)); due = s.next() {
		if due.Sub(prev) < 10*time.Millisecond {
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

func TestPace(t *testing.T) {
	cases := []struct {
		name      string
		late      func(*bool) func(time.Time) time.Duration
		wantLate  int // arrivals handled more than 1 s after they were due
		wantCount int
	}{
		{"on time", nil, 0, 50},
		{"a 2.55 s stall at 1 s", func(stalled *bool) func(time.Time) time.Duration {
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
			clk.block = false
			if c.late != nil {
				clk.late = c.late(new(bool))
			}
			s := newSchedule(epoch, &Arrival{Rate: 10}, rand.New(rand.NewPCG(5, 6)))
			count, late, prev := 0, 0, time.Time{}
			pace(context.Background(), clk, s, func(due time.Time, lag time.Duration) {
				if !due.After(prev) {
					t.Fatalf("arrival due %s after one due %s; want increasing", due, prev)
				}
				prev = due
				count++
				if lag > time.Second {
					late++
				}
				if lag < 0 {
					t.Fatalf("arrival handled %s before it was due", -lag)
				}
			})
			if count != c.wantCount || late != c.wantLate {
				t.Fatalf("got %d arrivals, %d more than 1 s late; want %d and %d", count, late, c.wantCount, c.wantLate)
			}
		})
	}
}

// openRuntime is a runtime of class c whose users each take their clock from clocks.
func openRuntime(t *testing.T, c *Class, clocks func() clock) (*Runtime, *recorder) {
	t.Helper()
	r, rec := newRuntime(t, c, WithSeed(7))
	r.clock = clocks
	return r, rec
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
	clk := newFakeClock(time.Now().Add(-400*time.Millisecond), 400*time.Millisecond)
	clk.late = func(until time.Time) time.Duration { return 400 * time.Millisecond } // all 4 due at the first wake
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
