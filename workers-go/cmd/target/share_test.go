package main

import (
	"testing"
	"time"
)

func TestPicked_exact_share_of_any_prefix(t *testing.T) {
	for _, tc := range []struct {
		name string
		bp   int64
		n    int64
		want int64
	}{
		{"none", 0, 1000, 0},
		{"all", 10000, 37, 37},
		{"a fifth", 2000, 1003, 200},
		{"half a percent", 50, 999, 4},
		{"a third, two decimals", 3333, 300, 99},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got int64
			for k := int64(1); k <= tc.n; k++ {
				if picked(k, tc.bp) {
					got++
				}
			}
			if got != tc.want || got != tc.n*tc.bp/10000 {
				t.Fatalf("picked %d of %d at %d bp; want %d (floor(n*share))", got, tc.n, tc.bp, tc.want)
			}
		})
	}
}

func TestShare_fails_and_slows_its_share(t *testing.T) {
	do := serve(t)
	failed, slow := 0, 0
	// The slow answers take a second more: a fast answer on a loaded machine (go test -race beside
	// other suites) can take 60 ms or more, but far less than a second.
	for i := 0; i < 20; i++ {
		start := time.Now()
		status, _, _ := do("GET", "/share/a?fail=25&slow=10&delay=1000&status=503", "")
		if status == 503 {
			failed++
		} else if status != 200 {
			t.Fatalf("status %d; want 200 or 503", status)
		}
		if time.Since(start) >= time.Second {
			slow++
		}
	}
	if failed != 5 || slow != 2 {
		t.Fatalf("of 20 requests %d failed and %d were slow; want 5 and 2", failed, slow)
	}
	// another route has its own count; the counts are the target's as for every route
	if status, _, _ := do("POST", "/share/b?fail=50", ""); status != 200 {
		t.Fatalf("first request of /share/b: %d; want 200 (1*50%% rounds down to 0 failures)", status)
	}
	if status, _, _ := do("POST", "/share/b?fail=50", ""); status != 500 {
		t.Fatalf("second request of /share/b: %d; want 500", status)
	}
	_, body, _ := do("GET", "/_counts", "")
	if body != `{"GET /share/a":20,"POST /share/b":2}` {
		t.Fatalf("counts %s", body)
	}
}

func TestShare_bad_query_is_refused(t *testing.T) {
	do := serve(t)
	for _, query := range []string{"fail=101", "fail=-1", "fail=x", "slow=1.234", "delay=-5", "delay=x", "status=99", "status=abc"} {
		t.Run(query, func(t *testing.T) {
			if status, body, _ := do("GET", "/share/a?"+query, ""); status != 400 || body == "" {
				t.Fatalf("%s: %d %q; want 400 with what was expected", query, status, body)
			}
		})
	}
	_, body, _ := do("GET", "/_counts", "")
	if body != "{}" {
		t.Fatalf("refused requests were counted: %s", body)
	}
}
