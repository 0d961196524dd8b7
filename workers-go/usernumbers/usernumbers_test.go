package usernumbers

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"
)

// master records what a client sent and failed.
type master struct {
	mu       sync.Mutex
	requests []map[string]any
	failures []string
}

func (m *master) send(data map[string]any) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests = append(m.requests, data)
}

func (m *master) fail(reason string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.failures = append(m.failures, reason)
}

func (m *master) sent() []map[string]any {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]map[string]any(nil), m.requests...)
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	// 20 s: it returns as soon as cond holds; a loaded machine (go test -race beside other suites)
	// may take seconds.
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func next(t *testing.T, c *Client) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	n, ok := c.Next(ctx)
	if !ok {
		t.Fatal("Next gave no number")
	}
	return n
}

func TestClient_numbers_from_the_answers(t *testing.T) {
	m := &master{}
	c := New(m.send, m.fail, time.Minute)
	c.Reserve(2)
	c.Reserve(1)
	waitFor(t, "2 requests", func() bool { return len(m.sent()) == 2 })
	counts := map[any]any{}
	for _, r := range m.sent() {
		counts[r["request"]] = r["count"]
	}
	if counts[int64(0)] != 2 || counts[int64(1)] != 1 {
		t.Fatalf("requests %v; want request 0 for 2 numbers and request 1 for 1", m.sent())
	}
	// msgpack as boomer decodes it: integers may be unsigned. Answers: [request, start, count].
	if err := c.Receive([]any{uint64(1), uint64(40), uint64(1)}); err != nil {
		t.Fatal(err)
	}
	if err := c.Receive([]any{int64(0), int64(10), int64(2)}); err != nil {
		t.Fatal(err)
	}
	_ = c.Receive([]any{int64(0), int64(99), int64(2)}) // a duplicate answer
	got := map[int64]bool{}
	for range 3 {
		got[next(t, c)] = true
	}
	for _, want := range []int64{10, 11, 40} {
		if !got[want] {
			t.Fatalf("numbers %v; want 10, 11 and 40", got)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if n, ok := c.Next(ctx); ok {
		t.Fatalf("Next gave %d with no number left; want it to wait until ctx ends", n)
	}
}

func TestClient_Next_waits_for_the_answer(t *testing.T) {
	m := &master{}
	c := New(m.send, m.fail, time.Minute)
	c.Reserve(1)
	got := make(chan int64)
	go func() { n, _ := c.Next(context.Background()); got <- n }()
	select {
	case n := <-got:
		t.Fatalf("Next gave %d before the master answered", n)
	case <-time.After(50 * time.Millisecond):
	}
	waitFor(t, "the request", func() bool { return len(m.sent()) == 1 })
	_ = c.Receive([]any{int64(0), int64(7), int64(1)})
	if n := <-got; n != 7 {
		t.Fatalf("Next gave %d, want 7", n)
	}
}

func TestClient_no_answer(t *testing.T) {
	m := &master{}
	c := New(m.send, m.fail, 30*time.Millisecond)
	c.Reserve(3)
	waitFor(t, "the request sent again", func() bool { return len(m.sent()) >= 3 })
	m.mu.Lock()
	failures := append([]string(nil), m.failures...)
	m.mu.Unlock()
	if len(failures) < 2 || failures[0] != NoAnswer {
		t.Fatalf("failures %v; want %q per unanswered try", failures, NoAnswer)
	}
	for _, r := range m.sent() {
		if r["request"] != int64(0) || r["count"] != 3 {
			t.Fatalf("resent %v; want the same request (0, count 3)", r)
		}
	}
	_ = c.Receive([]any{int64(0), int64(0), int64(3)})
	time.Sleep(10 * time.Millisecond)
	sent := len(m.sent())
	time.Sleep(100 * time.Millisecond)
	if len(m.sent()) != sent {
		t.Fatalf("still resending after the answer: %d requests", len(m.sent()))
	}
}

func TestClient_Reset(t *testing.T) {
	m := &master{}
	c := New(m.send, m.fail, time.Minute)
	c.Reserve(2)
	c.Reserve(1)
	waitFor(t, "2 requests", func() bool { return len(m.sent()) == 2 })
	_ = c.Receive([]any{int64(0), int64(0), int64(2)})
	c.Reset()
	// the answer to a request of the stopped test comes late: ignored
	_ = c.Receive([]any{int64(1), int64(2), int64(1)})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if n, ok := c.Next(ctx); ok {
		t.Fatalf("Next gave %d from the previous test; want none", n)
	}
	c.Reserve(1)
	waitFor(t, "the new request", func() bool { return len(m.sent()) == 3 })
	_ = c.Receive([]any{m.sent()[2]["request"], int64(0), int64(1)})
	if n := next(t, c); n != 0 {
		t.Fatalf("Next gave %d, want 0 (the new test's first number)", n)
	}
}

func TestClient_Receive_errors(t *testing.T) {
	cases := []struct {
		name string
		data any
		says string
	}{
		{"not a list", "x", "got string x; expected [request, start, count]"},
		{"a map", map[any]any{"request": int64(0)}, "expected [request, start, count]"},
		{"too short", []any{int64(0), int64(1)}, "expected [request, start, count]"},
		{"count as text", []any{int64(0), int64(0), "1"}, "expected [request, start, count] as integers"},
		{"zero count", []any{int64(0), int64(0), int64(0)}, "got start 0 and count 0; expected start >= 0 and count > 0"},
		{"negative start", []any{int64(0), int64(-1), int64(2)}, "got start -1 and count 2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := New(func(map[string]any) {}, func(string) {}, time.Minute).Receive(c.data)
			if err == nil || !strings.Contains(err.Error(), c.says) {
				t.Fatalf("got %v, want an error containing %q", err, c.says)
			}
		})
	}
}
