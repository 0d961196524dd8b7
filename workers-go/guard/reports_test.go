package guard

import (
	"testing"
	"time"
)

func TestIsQuietReport(t *testing.T) {
	entry := func(requests, failures int) map[string]any {
		return map[string]any{"name": "home", "method": "GET", "num_requests": requests, "num_failures": failures}
	}
	stats := func(entries []any, total any) map[string]any {
		return map[string]any{"stats": entries, "stats_total": total, "errors": map[string]any{}, "user_count": 3}
	}
	cases := []struct {
		name  string
		frame []byte
		want  bool
	}{
		{"nothing measured", encode(t, "stats", stats([]any{}, entry(0, 0)), "w"), true},
		{"no entries, no total", encode(t, "stats", map[string]any{"stats": nil, "stats_total": nil}, "w"), true},
		{"requests in the total", encode(t, "stats", stats([]any{}, entry(4, 0)), "w"), false},
		{"failures in the total", encode(t, "stats", stats([]any{}, entry(0, 1)), "w"), false},
		{"requests in an entry", encode(t, "stats", stats([]any{entry(2, 0)}, entry(0, 0)), "w"), false},
		{"an entry that is not a map", encode(t, "stats", stats([]any{"x"}, entry(0, 0)), "w"), false},
		{"a count that is not a number", encode(t, "stats", stats([]any{}, map[string]any{"num_requests": "0"}), "w"), false},
		{"another type", encode(t, "heartbeat", map[string]any{"state": "running"}, "w"), false},
		{"data not a map", encode(t, "stats", nil, "w"), false},
		{"undecodable", []byte{0x93, 0xa5}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := IsQuietReport(c.frame); got != c.want {
				t.Fatalf("IsQuietReport = %v; want %v", got, c.want)
			}
		})
	}
}

// A waiter learns of the first quiet report boomer sends after it asked, not of busy ones.
func TestRelay_QuietReport(t *testing.T) {
	r := &Relay{rejected: map[string]int{}}
	busy := encode(t, "stats", map[string]any{"stats": []any{}, "stats_total": map[string]any{"num_requests": 5}}, "w")
	quiet := encode(t, "stats", map[string]any{"stats": []any{}, "stats_total": map[string]any{"num_requests": 0}}, "w")
	r.observe(quiet) // before anyone waits: not remembered
	ch := r.QuietReport()
	r.observe(busy)
	select {
	case <-ch:
		t.Fatal("a busy report ended the wait")
	case <-time.After(10 * time.Millisecond):
	}
	r.observe(quiet)
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatal("a quiet report did not end the wait")
	}
}
