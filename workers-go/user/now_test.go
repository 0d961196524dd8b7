package user

import (
	"testing"
	"time"
)

func TestNow_agrees_with_time_Now(t *testing.T) {
	for range 1000 {
		before := time.Now()
		i := monoNow()
		after := time.Now()
		got := i.time()
		// Monotonic readings: exact order.
		if got.Before(before) || got.After(after) {
			t.Fatalf("instant's time %v not between %v and %v (monotonic)", got, before, after)
		}
		// Wall clock, from the anchor: within a millisecond (the clocks drift apart by far less
		// in reanchorAfter).
		wall := got.Round(0)
		if wall.Before(before.Round(0).Add(-time.Millisecond)) || wall.After(after.Round(0).Add(time.Millisecond)) {
			t.Fatalf("instant's wall clock %v not between %v and %v", wall, before.Round(0), after.Round(0))
		}
		if i.unix() != got.Unix() {
			t.Fatalf("unix() = %d; its time's second is %d", i.unix(), got.Unix())
		}
	}
}

func TestNow_durations_are_monotonic(t *testing.T) {
	sent := monoNow()
	time.Sleep(5 * time.Millisecond)
	end := monoNow()
	if d := time.Duration(end - sent); d < 5*time.Millisecond || d > time.Second {
		t.Fatalf("5 ms sleep measured %v", d)
	}
	if d := end.time().Sub(sent.time()); d != time.Duration(end-sent) {
		t.Fatalf("times of two instants are %v apart; the instants %v", d, time.Duration(end-sent))
	}
	if d := now().Sub(end.time()); d < 0 {
		t.Fatalf("now is %v before a past instant", -d)
	}
}

func TestNow_follows_a_step_of_the_wall_clock(t *testing.T) {
	defer anchor.Store(nil)
	step := time.Hour
	stepped := func(at instant) *wallAnchor {
		w := time.Now().Add(step)
		return &wallAnchor{wall: w, unixNano: w.UnixNano(), mono: at}
	}
	// An anchor read just now, after the system's clock stepped an hour ahead, is followed.
	anchor.Store(stepped(monoNow()))
	if d := now().Round(0).Sub(time.Now().Round(0)); d < step-time.Second {
		t.Fatalf("an hour's step of the wall clock, anchored now, shows as %v", d)
	}
	// One read longer than reanchorAfter ago is read again: the step is gone.
	anchor.Store(stepped(monoNow() - instant(reanchorAfter)))
	if d := now().Round(0).Sub(time.Now().Round(0)); d > time.Second || d < -time.Second {
		t.Fatalf("a stale anchor was still followed: now is %v from time.Now", d)
	}
}
