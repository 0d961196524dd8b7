package user

import (
	"context"
	"errors"
	"fmt"
	"log"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// eventually polls cond until it holds or 5 s have passed.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	// 20 s: it returns as soon as cond holds; a loaded machine (go test -race beside other suites)
	// may take seconds.
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// journal records what users did, safe for concurrent use.
type journal struct {
	mu     sync.Mutex
	starts map[int64]int
	stops  []int64
	tasks  map[int64]int
}

func newJournal() *journal { return &journal{starts: map[int64]int{}, tasks: map[int64]int{}} }

func (j *journal) do(f func(j *journal)) {
	j.mu.Lock()
	defer j.mu.Unlock()
	f(j)
}

func (j *journal) stopped() []int64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	return slices.Sorted(slices.Values(j.stops))
}

func (j *journal) taskUsers() []int64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	var users []int64
	for u := range j.tasks {
		users = append(users, u)
	}
	slices.Sort(users)
	return users
}

func journaled(j *journal) *Class {
	return &Class{
		Host: "http://127.0.0.1:1",
		Tasks: []Task{{Name: "work", Weight: 1, Fn: func(u *User) {
			j.do(func(j *journal) { j.tasks[u.Number]++ })
		}}},
		Wait:    Constant(2 * time.Millisecond),
		OnStart: func(u *User) error { j.do(func(j *journal) { j.starts[u.Number]++ }); return nil },
		OnStop:  func(u *User) { j.do(func(j *journal) { j.stops = append(j.stops, u.Number) }) },
	}
}

func newRuntime(t *testing.T, c *Class, opts ...Option) (*Runtime, *recorder) {
	t.Helper()
	rec := &recorder{}
	r, err := New(c, rec, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Stop)
	return r, rec
}

func TestRuntime_SetUsers(t *testing.T) {
	j := newJournal()
	r, _ := newRuntime(t, journaled(j))

	r.SetUsers(3)
	eventually(t, "3 users running tasks", func() bool { return len(j.taskUsers()) == 3 })
	r.SetUsers(1)
	eventually(t, "the 2 newest retired", func() bool { return slices.Equal(j.stopped(), []int64{1, 2}) })
	if got := r.Users(); got != 1 {
		t.Fatalf("Users() = %d after SetUsers(1), want 1", got)
	}
	j.do(func(j *journal) { clear(j.tasks) })
	eventually(t, "user 0 still working", func() bool { return slices.Equal(j.taskUsers(), []int64{0}) })

	r.SetUsers(2)
	eventually(t, "a new user numbered 3", func() bool { return slices.Equal(j.taskUsers(), []int64{0, 3}) })
	r.Stop()
	if got, want := j.stopped(), []int64{0, 1, 2, 3}; !slices.Equal(got, want) {
		t.Fatalf("OnStop ran for %v, want %v", got, want)
	}
	j.do(func(j *journal) {
		for n, count := range j.starts {
			if count != 1 {
				t.Errorf("OnStart ran %d times for user %d, want once", count, n)
			}
		}
		if len(j.starts) != 4 {
			t.Errorf("OnStart ran for %d users, want 4", len(j.starts))
		}
	})
}

func TestRuntime_OnStop_timeout(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	c := &Class{
		Host:          "http://127.0.0.1:1",
		Tasks:         []Task{{Name: "idle", Weight: 1, Fn: func(u *User) { u.Sleep(time.Hour) }}},
		OnStop:        func(u *User) { <-release },
		OnStopTimeout: 100 * time.Millisecond,
	}
	r, _ := newRuntime(t, c)
	r.SetUsers(2)
	time.Sleep(20 * time.Millisecond)
	began := time.Now()
	r.Stop()
	if took := time.Since(began); took < 100*time.Millisecond || took > 2*time.Second {
		t.Fatalf("Stop took %s with an OnStop that never returns; want about the 100ms OnStopTimeout", took)
	}
}

func TestRuntime_OnStop_context(t *testing.T) {
	slept := make(chan bool, 1)
	c := &Class{
		Host:   "http://127.0.0.1:1",
		Tasks:  []Task{{Name: "idle", Weight: 1, Fn: func(u *User) { u.Sleep(time.Hour) }}},
		OnStop: func(u *User) { slept <- u.Sleep(10 * time.Millisecond) },
	}
	r, _ := newRuntime(t, c)
	r.SetUsers(1)
	time.Sleep(20 * time.Millisecond)
	r.Stop()
	if !<-slept {
		t.Fatal("Sleep in OnStop returned false; want OnStop to have time of its own (OnStopTimeout)")
	}
}

func TestRuntime_OnStart_retry(t *testing.T) {
	var mu sync.Mutex
	calls, tasksBeforeStart := 0, 0
	started := false
	c := &Class{
		Host: "http://127.0.0.1:1",
		Tasks: []Task{{Name: "work", Weight: 1, Fn: func(u *User) {
			mu.Lock()
			defer mu.Unlock()
			if !started {
				tasksBeforeStart++
			}
		}}},
		Wait: Constant(time.Millisecond),
		OnStart: func(u *User) error {
			mu.Lock()
			defer mu.Unlock()
			calls++
			if calls < 3 {
				return context.DeadlineExceeded
			}
			started = true
			return nil
		},
		RetryDelay: 10 * time.Millisecond,
	}
	r, _ := newRuntime(t, c)
	r.SetUsers(1)
	eventually(t, "OnStart to succeed", func() bool { mu.Lock(); defer mu.Unlock(); return started })
	r.Stop()
	if calls != 3 || tasksBeforeStart != 0 {
		t.Fatalf("OnStart ran %d times and %d tasks ran before it succeeded; want 3 and 0", calls, tasksBeforeStart)
	}
}

func TestRuntime_OnStart_never_succeeds(t *testing.T) {
	var mu sync.Mutex
	tasks, stops := 0, 0
	c := &Class{
		Host:       "http://127.0.0.1:1",
		Tasks:      []Task{{Name: "work", Weight: 1, Fn: func(*User) { mu.Lock(); tasks++; mu.Unlock() }}},
		OnStart:    func(*User) error { panic("no login") },
		OnStop:     func(*User) { mu.Lock(); stops++; mu.Unlock() },
		RetryDelay: 5 * time.Millisecond,
	}
	r, rec := newRuntime(t, c)
	r.SetUsers(2)
	time.Sleep(100 * time.Millisecond)
	began := time.Now()
	r.Stop()
	if took := time.Since(began); took > time.Second {
		t.Fatalf("Stop took %s for users retrying OnStart; want prompt", took)
	}
	if tasks != 0 || stops != 0 {
		t.Fatalf("%d tasks and %d OnStop ran without a successful OnStart; want none", tasks, stops)
	}
	calls := rec.all()
	if len(calls) == 0 || calls[0].method != "TASK" || calls[0].name != "OnStart" || calls[0].failure != "panic: no login" {
		t.Fatalf("recorded %+v; want failures (TASK, OnStart, panic: no login)", calls)
	}
}

func TestRuntime_OnStart_cannot_start(t *testing.T) {
	var mu sync.Mutex
	calls, tasks, stops := 0, 0, 0
	c := &Class{
		Host:  "http://127.0.0.1:1",
		Tasks: []Task{{Name: "work", Weight: 1, Fn: func(*User) { mu.Lock(); tasks++; mu.Unlock() }}},
		OnStart: func(*User) error {
			mu.Lock()
			defer mu.Unlock()
			calls++
			return fmt.Errorf("no data row: %w", ErrCannotStart)
		},
		OnStop:     func(*User) { mu.Lock(); stops++; mu.Unlock() },
		RetryDelay: 5 * time.Millisecond,
	}
	r, _ := newRuntime(t, c)
	r.SetUsers(1)
	time.Sleep(100 * time.Millisecond)
	began := time.Now()
	r.Stop()
	if took := time.Since(began); took > time.Second {
		t.Fatalf("Stop took %s for an idle user that cannot start; want prompt", took)
	}
	mu.Lock()
	defer mu.Unlock()
	if calls != 1 || tasks != 0 || stops != 0 {
		t.Fatalf("OnStart ran %d times, %d tasks and %d OnStop ran; want 1 (no retry), 0, 0", calls, tasks, stops)
	}
}

func TestRuntime_retire_ends_waits(t *testing.T) {
	cases := []struct {
		name  string
		class *Class
	}{
		{"Sleep in a task", &Class{Tasks: []Task{{Name: "think", Weight: 1, Fn: func(u *User) {
			if u.Sleep(time.Hour) {
				panic("Sleep returned true for a retired user")
			}
		}}}}},
		{"Constant wait", &Class{Tasks: []Task{{Name: "quick", Weight: 1, Fn: func(*User) {}}}, Wait: Constant(time.Hour)}},
		{"Pacing wait", &Class{Tasks: []Task{{Name: "quick", Weight: 1, Fn: func(*User) {}}}, Wait: Pacing(time.Hour)}},
		{"OnStart retry delay", &Class{Tasks: []Task{{Name: "quick", Weight: 1, Fn: func(*User) {}}},
			OnStart: func(*User) error { return context.Canceled }, RetryDelay: time.Hour}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.class.Host = "http://127.0.0.1:1"
			r, rec := newRuntime(t, c.class)
			r.SetUsers(3)
			time.Sleep(20 * time.Millisecond)
			began := time.Now()
			r.Stop()
			if took := time.Since(began); took > time.Second {
				t.Fatalf("Stop took %s; want a prompt stop", took)
			}
			if calls := rec.all(); len(calls) != 0 {
				t.Fatalf("recorded %+v, want nothing", calls)
			}
		})
	}
}

func TestRuntime_Iteration(t *testing.T) {
	var mu sync.Mutex
	var seen []int64
	c := &Class{
		Host: "http://127.0.0.1:1",
		Tasks: []Task{{Name: "count", Weight: 1, Fn: func(u *User) {
			mu.Lock()
			defer mu.Unlock()
			seen = append(seen, u.Iteration)
		}}},
		Wait: Constant(time.Millisecond),
	}
	r, _ := newRuntime(t, c)
	r.SetUsers(1)
	eventually(t, "3 tasks", func() bool { mu.Lock(); defer mu.Unlock(); return len(seen) >= 3 })
	r.Stop()
	if !slices.Equal(seen[:3], []int64{0, 1, 2}) {
		t.Fatalf("Iteration in the first tasks: %v, want [0 1 2]", seen[:3])
	}
}

func TestRuntime_pick(t *testing.T) {
	cases := []struct {
		name    string
		weights []int
	}{
		{"one task", []int{1}},
		{"1:3", []int{1, 3}},
		{"5:1:4", []int{5, 1, 4}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			class := &Class{Host: "http://127.0.0.1:1"}
			total := 0
			for _, w := range c.weights {
				class.Tasks = append(class.Tasks, Task{Weight: w, Fn: func(*User) {}})
				total += w
			}
			r, _ := newRuntime(t, class)
			rnd := rand.New(rand.NewPCG(7, 8))
			counts := make([]int, len(c.weights))
			const n = 100_000
			for range n {
				counts[r.pick(rnd)]++
			}
			for i, w := range c.weights {
				want := float64(n*w) / float64(total)
				if got := float64(counts[i]); got < want*0.95 || got > want*1.05 {
					t.Errorf("task %d (weight %d) chosen %d times of %d; want about %.0f", i, w, counts[i], n, want)
				}
			}
		})
	}
}

func TestRuntime_panic_in_task(t *testing.T) {
	c := &Class{
		Host:  "http://127.0.0.1:1",
		Tasks: []Task{{Name: "broken", Weight: 1, Fn: func(*User) { panic("boom") }}},
		Wait:  Constant(time.Hour),
	}
	r, rec := newRuntime(t, c)
	r.SetUsers(1)
	eventually(t, "the panic recorded", func() bool { return len(rec.all()) == 1 })
	want := call{method: "TASK", name: "broken", failure: "panic: boom"}
	if got := rec.all()[0]; got != want {
		t.Fatalf("recorded %+v, want %+v", got, want)
	}
}

// fakeNumbers hands out numbers from 100 when the test says so.
type fakeNumbers struct {
	mu       sync.Mutex
	reserved []int
	free     chan int64
}

func (f *fakeNumbers) Reserve(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reserved = append(f.reserved, n)
}

func (f *fakeNumbers) Next(ctx context.Context) (int64, bool) {
	select {
	case n := <-f.free:
		return n, true
	case <-ctx.Done():
		return 0, false
	}
}

func TestRuntime_FleetNumbers(t *testing.T) {
	j := newJournal()
	class := journaled(j)
	class.FleetNumbers = true
	src := &fakeNumbers{free: make(chan int64, 10)}
	r, _ := newRuntime(t, class, WithNumbers(src))

	r.SetUsers(2)
	r.SetUsers(3)
	time.Sleep(50 * time.Millisecond)
	if got := j.taskUsers(); len(got) != 0 {
		t.Fatalf("users %v ran tasks before their numbers arrived; want none", got)
	}
	src.free <- 100
	src.free <- 101
	eventually(t, "2 users numbered by the source", func() bool { return slices.Equal(j.taskUsers(), []int64{100, 101}) })
	began := time.Now()
	r.Stop()
	if took := time.Since(began); took > time.Second {
		t.Fatalf("Stop took %s with a user waiting for its number; want prompt", took)
	}
	src.mu.Lock()
	defer src.mu.Unlock()
	if !slices.Equal(src.reserved, []int{2, 1}) {
		t.Fatalf("Reserve calls %v, want [2 1] (one per increase)", src.reserved)
	}
}

func TestRuntime_FleetNumbers_without_a_source(t *testing.T) {
	j := newJournal()
	class := journaled(j)
	class.FleetNumbers = true
	r, _ := newRuntime(t, class)
	r.SetUsers(2)
	eventually(t, "users numbered here", func() bool { return slices.Equal(j.taskUsers(), []int64{0, 1}) })
}

func TestRuntime_sends_requests(t *testing.T) {
	host := serve(t)
	c := &Class{
		Host: host + "/",
		OnStart: func(u *User) error {
			if !u.Session.Do(&Request{Path: "/login?user=u" + string(rune('0'+u.Number)), Name: "login"}).OK() {
				return context.Canceled
			}
			return nil
		},
		Tasks: []Task{{Name: "cookies", Weight: 1, Fn: func(u *User) {
			u.Session.Do(&Request{Path: "/cookies", Check: func(r *Response) string {
				if want := "sid=u" + string(rune('0'+u.Number)); string(r.Body) != want {
					return "sent " + string(r.Body) + ", want " + want
				}
				return ""
			}})
		}}},
		Wait: Constant(5 * time.Millisecond),
	}
	r, rec := newRuntime(t, c)
	r.SetUsers(3)
	eventually(t, "10 requests", func() bool { return len(rec.all()) >= 10 })
	r.Stop()
	for _, call := range rec.all() {
		if !call.ok {
			t.Fatalf("recorded %+v; want only successes (each user sends its own cookie)", call)
		}
	}
}

func TestNew_errors(t *testing.T) {
	fn := func(*User) {}
	cases := []struct {
		name  string
		class *Class
		want  string
	}{
		{"nil class", nil, "user class: missing"},
		{"no host", &Class{Tasks: []Task{{Weight: 1, Fn: fn}}}, `Host: empty; expected an http(s) base URL such as http://127.0.0.1:8080`},
		{"not http", &Class{Host: "ftp://x", Tasks: []Task{{Weight: 1, Fn: fn}}}, `Host: "ftp://x" is not an http(s) URL`},
		{"query", &Class{Host: "http://x/?a=1", Tasks: []Task{{Weight: 1, Fn: fn}}}, `Host: "http://x/?a=1" has a query or fragment; expected a base URL`},
		{"port out of range", &Class{Host: "http://x:80800", Tasks: []Task{{Weight: 1, Fn: fn}}}, `Host: "http://x:80800": port 80800 is out of range`},
		{"no host name", &Class{Host: "http://:8080", Tasks: []Task{{Weight: 1, Fn: fn}}}, `Host: "http://:8080" is not an http(s) URL`},
		// The scenario refused these and the Go class took them: the rules are baseurl.Check's now.
		{"host name not ASCII", &Class{Host: "http://bücher.example", Tasks: []Task{{Weight: 1, Fn: fn}}}, `Host: "http://bücher.example": the host name is not ASCII`},
		{"empty port", &Class{Host: "http://x:", Tasks: []Task{{Weight: 1, Fn: fn}}}, `Host: "http://x:": the port is empty`},
		{"empty fragment", &Class{Host: "http://x#", Tasks: []Task{{Weight: 1, Fn: fn}}}, `Host: "http://x#" has a query or fragment`},
		{"no tasks", &Class{Host: "http://x"}, "Tasks: empty"},
		{"zero weight", &Class{Host: "http://x", Tasks: []Task{{Name: "a", Weight: 1, Fn: fn}, {Name: "b", Fn: fn}}},
			`Tasks[1] ("b"): Weight: got 0; expected >= 1`},
		{"weights overflow", &Class{Host: "http://x", Tasks: []Task{{Name: "a", Weight: math.MaxInt, Fn: fn}, {Name: "b", Weight: 1, Fn: fn}}},
			`Tasks[1] ("b"): Weight: got 1; the weights add up to more than`},
		{"no Fn", &Class{Host: "http://x", Tasks: []Task{{Name: "a", Weight: 1}}}, `Tasks[0] ("a"): Fn: missing`},
		{"negative timeout", &Class{Host: "http://x", Tasks: []Task{{Weight: 1, Fn: fn}}, HTTP: HTTPOptions{Timeout: -1}},
			"HTTP.Timeout: got -1ns; expected a duration >= 0"},
		{"negative connect timeout", &Class{Host: "http://x", Tasks: []Task{{Weight: 1, Fn: fn}}, HTTP: HTTPOptions{ConnectTimeout: -1}},
			"HTTP.ConnectTimeout: got -1ns; expected a duration >= 0 (0: 5s)"},
		{"negative redirects", &Class{Host: "http://x", Tasks: []Task{{Weight: 1, Fn: fn}}, HTTP: HTTPOptions{MaxRedirects: -1}},
			"HTTP.MaxRedirects: got -1; expected >= 0 (0: 10)"},
		{"bad default header name", &Class{Host: "http://x", Tasks: []Task{{Weight: 1, Fn: fn}}, HTTP: HTTPOptions{Headers: []Header{{Name: "X-A", Value: "1"}, {Name: "X B", Value: "2"}}}},
			`HTTP.Headers[1]: name "X B" is not a header name; expected letters, digits and`},
		{"negative connections", &Class{Host: "http://x", Tasks: []Task{{Weight: 1, Fn: fn}}, HTTP: HTTPOptions{MaxConns: -2}},
			"HTTP.MaxConns: got -2; expected >= 0 (0: no limit)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := New(c.class, &recorder{})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got error %v, want one containing %q", err, c.want)
			}
		})
	}
}

func TestNew_defaults(t *testing.T) {
	r, _ := newRuntime(t, &Class{Host: "http://x/", Tasks: []Task{{Weight: 1, Fn: func(*User) {}}}})
	c := r.Class()
	if c.Host != "http://x" || c.HTTP.Timeout != DefaultTimeout || c.OnStopTimeout != DefaultOnStopTimeout || c.RetryDelay != DefaultRetryDelay {
		t.Fatalf("got host %q, timeouts %s %s %s; want http://x and the defaults", c.Host, c.HTTP.Timeout, c.OnStopTimeout, c.RetryDelay)
	}
	if c.HTTP.ConnectTimeout != DefaultConnectTimeout || c.HTTP.MaxRedirects != DefaultMaxRedirects || c.HTTP.MaxConns != 0 ||
		c.HTTP.NoRedirects || c.HTTP.NoKeepAlive {
		t.Fatalf("got %+v; want a 5s connect timeout, 10 redirects followed, keep-alive and no connection limit", c.HTTP)
	}
}

func TestRuntime_RunOnce(t *testing.T) {
	var mu sync.Mutex
	var got []string
	note := func(s string) { mu.Lock(); got = append(got, s); mu.Unlock() }
	c := &Class{
		Host:    "http://127.0.0.1:1",
		OnStart: func(*User) error { note("start"); return nil },
		OnStop:  func(*User) { note("stop") },
		Tasks: []Task{
			{Name: "a", Weight: 1, Fn: func(*User) { note("a") }},
			{Name: "b", Weight: 1, Fn: func(*User) { note("b") }},
			// a name two tasks share (one row in Locust, as name= groups requests): both run
			{Name: "a", Weight: 1, Fn: func(*User) { note("a too") }},
		},
	}
	r, _ := newRuntime(t, c)
	if err := r.RunOnce([]string{"b", "a"}); err != nil {
		t.Fatal(err)
	}
	if want := []string{"start", "b", "a", "a too", "stop"}; !slices.Equal(got, want) {
		t.Fatalf("ran %v, want %v", got, want)
	}
	if err := r.RunOnce([]string{"c"}); err == nil || err.Error() != `no task named "c"` {
		t.Fatalf("got %v, want an error naming the unknown task", err)
	}
}

func TestUser_Sleep(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	cases := []struct {
		name string
		user *User
		d    time.Duration
		want bool
	}{
		{"a user made in a test sleeps", &User{}, time.Millisecond, true},
		{"zero", &User{ctx: context.Background()}, 0, true},
		{"a retired user does not", &User{ctx: cancelled}, time.Hour, false},
		{"a retired user, zero", &User{ctx: cancelled}, 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.user.Sleep(c.d); got != c.want {
				t.Fatalf("Sleep(%s) = %v, want %v", c.d, got, c.want)
			}
		})
	}
}

// tookWait waits d after each task and keeps what each task took, as the runtime told it.
type tookWait struct {
	d    time.Duration
	mu   sync.Mutex
	took []time.Duration
}

func (w *tookWait) Next(took time.Duration, _ *rand.Rand) time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.took = append(w.took, took)
	return w.d
}

func (w *tookWait) all() []time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]time.Duration(nil), w.took...)
}

// A user whose wait ended late is told that its next task took the lateness too, so that
// pacing makes up for it, as Locust's constant_pacing does: the scheduler wakes waiting users
// up to a quantum late, and pacing that lost it every time would fall short of its rate.
func TestRuntime_wait_counts_from_when_it_was_due(t *testing.T) {
	w := &tookWait{d: 10 * time.Millisecond}
	c := &Class{Host: "http://127.0.0.1:1", Wait: w, Tasks: []Task{{Name: "work", Weight: 1, Fn: func(*User) {}}}}
	clk := newFakeClock(epoch, time.Second)
	clk.late = func(time.Time) time.Duration { return 3 * time.Millisecond }
	r, _ := openRuntime(t, c, one(clk))
	r.SetUsers(1)
	eventually(t, "5 tasks", func() bool { return len(w.all()) >= 5 })
	r.Stop()
	got := w.all()
	if got[0] != 0 {
		t.Errorf("the first task took %v; want 0 (the fake clock stands still while tasks run)", got[0])
	}
	for i, took := range got[1:] {
		if took != 3*time.Millisecond {
			t.Errorf("task %d after a wait woken 3 ms late took %v; want 3ms", i+1, took)
		}
	}
}

// A user that starts while the scheduler sleeps until a much later wake-up starts at once.
func TestRuntime_new_user_wakes_the_scheduler(t *testing.T) {
	var mu sync.Mutex
	ran := map[int64]bool{}
	c := &Class{Host: "http://127.0.0.1:1", Wait: Constant(time.Hour), Tasks: []Task{{Name: "work", Weight: 1,
		Fn: func(u *User) {
			mu.Lock()
			ran[u.Number] = true
			mu.Unlock()
		}}}}
	r, _ := newRuntime(t, c)
	hasRun := func(n int64) func() bool {
		return func() bool {
			mu.Lock()
			defer mu.Unlock()
			return ran[n]
		}
	}
	r.SetUsers(1)
	eventually(t, "user 0's task", hasRun(0)) // then it waits an hour
	r.SetUsers(2)
	eventually(t, "user 1's task", hasRun(1))
}

// On a saturated CPU, users that loop without a wait on every runner hand theirs over to users
// due (yield), so that users spawned then start.
func TestRuntime_new_users_start_on_a_saturated_CPU(t *testing.T) {
	var mu sync.Mutex
	ran := map[int64]bool{}
	c := &Class{Host: "http://127.0.0.1:1", Tasks: []Task{{Name: "loop", Weight: 1, Fn: func(u *User) {
		mu.Lock()
		ran[u.Number] = true
		mu.Unlock()
		time.Sleep(100 * time.Microsecond)
	}}}}
	r, _ := newRuntime(t, c)
	start := time.Now()
	r.sched.cpu.read = func() (time.Duration, bool) { // always full
		return time.Duration(runtime.GOMAXPROCS(0)) * time.Since(start), true
	}
	r.SetUsers(2)
	eventually(t, "2 users looping", func() bool { mu.Lock(); defer mu.Unlock(); return len(ran) == 2 })
	time.Sleep(3 * cpuWindow) // measured saturated
	r.SetUsers(6)
	eventually(t, "the 4 new users running", func() bool { mu.Lock(); defer mu.Unlock(); return len(ran) == 6 })
	if got := r.sched.runners.Load(); got > 6 {
		t.Errorf("%d runners for 6 users; want at most 6", got)
	}
}

// A user retired while in OnStart (the test stopped during its login) logged "OnStart: stopped
// before it finished; users retry every 1s", which was not so, and used up the one line logged
// of OnStart failures: a later test's failing logins went unlogged.
func TestRuntime_OnStart_cut_short_by_the_stop_is_not_a_failure(t *testing.T) {
	var logged lockedText
	old := log.Writer()
	log.SetOutput(&logged)
	defer log.SetOutput(old)
	var failing atomic.Bool
	c := &Class{
		Host:  "http://127.0.0.1:1",
		Tasks: []Task{{Name: "work", Weight: 1, Fn: func(*User) {}}},
		OnStart: func(u *User) error {
			if failing.Load() {
				return errors.New("login refused")
			}
			<-u.Context().Done()
			return errors.New("on_start: stopped before it finished")
		},
		RetryDelay: time.Hour,
	}
	r, _ := newRuntime(t, c)
	r.SetUsers(2)
	time.Sleep(50 * time.Millisecond)
	r.Stop()
	failing.Store(true)
	r.SetUsers(1)
	eventually(t, "the refused login logged", func() bool { return strings.Contains(logged.String(), "OnStart: login refused") })
	r.Stop()
	if got := logged.String(); strings.Contains(got, "stopped before it finished") {
		t.Errorf("log %q; want nothing of the starts the stop cut short", got)
	}
}

// lockedText is a log's output that a test reads while users write to it.
type lockedText struct {
	mu   sync.Mutex
	text strings.Builder
}

func (l *lockedText) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.text.Write(p)
}

func (l *lockedText) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.text.String()
}
