package httptask

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"locustfleet/worker/scenario"
)

type call struct {
	ok      bool
	method  string
	name    string
	ms      int64
	length  int64
	failure string
}

type recorder struct {
	mu    sync.Mutex
	calls []call
}

func (r *recorder) RecordSuccess(method, name string, ms, length int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, call{ok: true, method: method, name: name, ms: ms, length: length})
}

func (r *recorder) RecordFailure(method, name string, ms int64, failure string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, call{method: method, name: name, ms: ms, failure: failure})
}

func (r *recorder) only(t *testing.T) call {
	t.Helper()
	if len(r.calls) != 1 {
		t.Fatalf("got %d recorded calls, want 1: %+v", len(r.calls), r.calls)
	}
	return r.calls[0]
}

// target is a real HTTP server on loopback that echoes what it received.
func target(t *testing.T) (*httptest.Server, chan *http.Request, chan string) {
	t.Helper()
	seen := make(chan *http.Request, 16)
	bodies := make(chan string, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		select { // tests that do not look at what the target saw must not block it
		case seen <- req:
			bodies <- string(body)
		default:
		}
		switch req.URL.Path {
		case "/fail":
			w.WriteHeader(503)
		case "/slow":
			time.Sleep(300 * time.Millisecond)
		}
		_, _ = w.Write([]byte("hello"))
	}))
	t.Cleanup(srv.Close)
	return srv, seen, bodies
}

func run(t *testing.T, host string, r scenario.Request) call {
	t.Helper()
	if r.Method == "" {
		r.Method = "GET"
	}
	if r.Timeout == 0 {
		r.Timeout = 2 * time.Second
	}
	rec := &recorder{}
	New(&scenario.Scenario{Host: host, Requests: []scenario.Request{r}}, rec).Do(0)
	return rec.only(t)
}

func TestExecutor_SuccessRecordsBodyLength(t *testing.T) {
	t.Parallel()
	srv, seen, bodies := target(t)
	got := run(t, srv.URL, scenario.Request{Name: "post", Method: "POST", Path: "/items?x=1",
		Headers: []scenario.Header{{Name: "X-Trace", Value: "abc"}}, Body: `{"a":1}`})
	req := <-seen
	if !got.ok || got.method != "POST" || got.name != "post" || got.length != 5 {
		t.Errorf("got %+v, want a POST success of 5 bytes named post", got)
	}
	if req.Method != "POST" || req.URL.RequestURI() != "/items?x=1" || req.Header.Get("X-Trace") != "abc" {
		t.Errorf("target saw %s %s %v", req.Method, req.URL.RequestURI(), req.Header)
	}
	if body := <-bodies; body != `{"a":1}` {
		t.Errorf("target got body %q", body)
	}
}

func TestExecutor_UnexpectedStatusIsAFailureNamingTheCode(t *testing.T) {
	t.Parallel()
	srv, _, _ := target(t)
	got := run(t, srv.URL, scenario.Request{Name: "f", Path: "/fail", ExpectStatus: []int{200, 201}})
	if got.ok || got.failure != "unexpected status 503 (expected one of 200, 201)" {
		t.Errorf("got %+v", got)
	}
	got = run(t, srv.URL, scenario.Request{Name: "f", Path: "/fail"})
	if got.ok || got.failure != "unexpected status 503 (expected < 400)" {
		t.Errorf("default expectation: got %+v", got)
	}
}

func TestExecutor_TimeoutIsAFailure(t *testing.T) {
	t.Parallel()
	srv, _, _ := target(t)
	got := run(t, srv.URL, scenario.Request{Name: "slow", Path: "/slow", Timeout: 50 * time.Millisecond})
	if got.ok || got.failure != "timeout after 50ms" {
		t.Errorf("got %+v", got)
	}
	if got.ms < 50 || got.ms > 250 {
		t.Errorf("response time %d ms, want about the 50 ms timeout", got.ms)
	}
}

func TestExecutor_ConnectionRefusedIsAFailure(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	got := run(t, "http://"+addr, scenario.Request{Name: "gone", Path: "/"})
	if got.ok || got.failure != "connection refused" {
		t.Errorf("got %+v", got)
	}
}

func TestExecutor_TasksCarryNamesAndWeights(t *testing.T) {
	t.Parallel()
	srv, seen, _ := target(t)
	rec := &recorder{}
	e := New(&scenario.Scenario{Host: srv.URL, Requests: []scenario.Request{
		{Name: "a", Method: "GET", Path: "/a", Weight: 3, Timeout: time.Second},
		{Name: "b", Method: "GET", Path: "/b", Weight: 1, Timeout: time.Second},
	}}, rec)
	tasks := e.Tasks()
	if len(tasks) != 2 || tasks[0].Name != "a" || tasks[0].Weight != 3 || tasks[1].Name != "b" || tasks[1].Weight != 1 {
		t.Fatalf("got %+v", tasks)
	}
	tasks[1].Fn()
	if req := <-seen; req.URL.Path != "/b" {
		t.Errorf("task b requested %s", req.URL.Path)
	}
	if c := rec.only(t); c.name != "b" {
		t.Errorf("recorded %+v", c)
	}
}

func TestMillis_RoundsToNearest(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		in   time.Duration
		want int64
	}{
		{"zero", 0, 0},
		{"just under half", 499 * time.Microsecond, 0},
		{"half rounds up", 500 * time.Microsecond, 1},
		{"1.49 ms", 1490 * time.Microsecond, 1},
		{"1.5 ms", 1500 * time.Microsecond, 2},
		{"99.7 ms", 99700 * time.Microsecond, 100},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := Millis(tc.in); got != tc.want {
				t.Errorf("Millis(%v): got %d, want %d", tc.in, got, tc.want)
			}
		})
	}
}
