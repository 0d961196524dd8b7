package user

import (
	"errors"
	"testing"
	"time"
)

// applied records the deadlines a deadline sets on its connection.
type applied struct {
	set  []time.Time
	fail bool
}

func (a *applied) apply(t time.Time) error {
	if a.fail {
		return errors.New("closed")
	}
	a.set = append(a.set, t)
	return nil
}

func TestDeadline_move(t *testing.T) {
	t.Run("requests a millisecond apart move the timer once per maxLate, never sooner than asked", func(t *testing.T) {
		var d deadline
		a := &applied{}
		start := time.Now()
		for i := range 1000 {
			want := start.Add(time.Duration(i)*time.Millisecond + 10*time.Second)
			if err := d.move(want, a.apply); err != nil {
				t.Fatal(err)
			}
			if d.set.Before(want) || d.set.Sub(want) > maxLate {
				t.Fatalf("request %d: asked %s, set %s: want no sooner, at most %s later", i, want, d.set, maxLate)
			}
		}
		// 1,000 ms of requests: once at first, then every maxLate (10 ms) or so.
		if n := len(a.set); n < 90 || n > 110 {
			t.Errorf("the connection's deadline was set %d times for 1,000 requests over 1 s; want about 100", n)
		}
	})
	t.Run("a short timeout is late by a share of it only", func(t *testing.T) {
		var d deadline
		a := &applied{}
		want := time.Now().Add(16 * time.Millisecond)
		_ = d.move(want, a.apply)
		if late := d.set.Sub(want); late < 0 || late > time.Millisecond {
			t.Errorf("a 16 ms deadline set %s later; want at most 1 ms (1/%d)", late, lateShare)
		}
	})
	t.Run("a sooner deadline is set, beyond the slack", func(t *testing.T) {
		var d deadline
		a := &applied{}
		now := time.Now()
		_ = d.move(now.Add(10*time.Second), a.apply)
		_ = d.move(now.Add(100*time.Millisecond), a.apply) // a request with a shorter timeout
		_ = d.move(now, a.apply)                           // a read ended at once
		if len(a.set) != 3 || d.set.After(now.Add(maxLate)) {
			t.Errorf("set %v; want three deadlines, the last within %s of %s", a.set, maxLate, now)
		}
	})
	t.Run("none clears a deadline, once", func(t *testing.T) {
		var d deadline
		a := &applied{}
		_ = d.move(time.Time{}, a.apply) // none asked, none set
		_ = d.move(time.Now().Add(time.Second), a.apply)
		_ = d.move(time.Time{}, a.apply)
		_ = d.move(time.Time{}, a.apply)
		if len(a.set) != 2 || !a.set[1].IsZero() {
			t.Errorf("set %v; want a deadline, then none once", a.set)
		}
	})
	t.Run("a deadline in the past is set as asked", func(t *testing.T) {
		var d deadline
		a := &applied{}
		want := time.Now().Add(-time.Second)
		_ = d.move(want, a.apply)
		if len(a.set) != 1 || !a.set[0].Equal(want) {
			t.Errorf("set %v; want %s", a.set, want)
		}
	})
	t.Run("after a failure it is set again", func(t *testing.T) {
		var d deadline
		a := &applied{fail: true}
		want := time.Now().Add(time.Second)
		if err := d.move(want, a.apply); err == nil {
			t.Fatal("the connection's error was not returned")
		}
		a.fail = false
		_ = d.move(want, a.apply)
		if len(a.set) != 1 {
			t.Errorf("set %v after a failed set; want the deadline set", a.set)
		}
	})
}

// A kept connection whose deadline was set for a long timeout still times out a later request
// with a short one, and one whose deadline passed while it was idle still serves.
func TestSession_Do_deadlines_on_a_kept_connection(t *testing.T) {
	host := serve(t)
	s, rec := newTestSession(t, host, HTTPOptions{Timeout: 5 * time.Second})
	if resp := s.Do(&Request{Path: "/"}); !resp.OK() {
		t.Fatalf("first request: %s", resp.Failure)
	}
	if resp := s.Do(&Request{Path: "/slow", Timeout: 100 * time.Millisecond}); resp.Failure != "timeout after 100ms" {
		t.Errorf("a 100 ms request to a 300 ms answer on the kept connection: failure %q, elapsed %s; want a timeout",
			resp.Failure, resp.Elapsed)
	}
	// A second, not 50 ms: a fast answer on a loaded machine (go test -race beside other suites)
	// can take longer than 50 ms.
	if resp := s.Do(&Request{Path: "/", Timeout: time.Second}); !resp.OK() {
		t.Fatalf("a request after the timeout: %s", resp.Failure)
	}
	time.Sleep(1100 * time.Millisecond) // the connection's deadline passes while it is idle
	if resp := s.Do(&Request{Path: "/"}); !resp.OK() {
		t.Errorf("a request on a connection whose deadline passed while idle: %s", resp.Failure)
	}
	if n := len(rec.all()); n != 4 {
		t.Errorf("recorded %d calls; want 4", n)
	}
}
