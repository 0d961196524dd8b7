package user

import (
	"context"
	"testing"
	"time"
)

func TestSession_ClearCookies(t *testing.T) {
	t.Parallel()
	host := serve(t)
	var before, after string
	c := &Class{Host: host, Tasks: []Task{{Name: "t", Weight: 1, Fn: func(u *User) {
		u.Session.Get("/login?user=alice")
		before = string(u.Session.Get("/cookies").Body)
		u.Session.ClearCookies()
		after = string(u.Session.Get("/cookies").Body)
	}}}}
	rt, _ := newRuntime(t, c)
	if err := rt.RunOnce([]string{"t"}); err != nil {
		t.Fatal(err)
	}
	if before != "sid=alice" || after != "" {
		t.Errorf("Cookie header: before %q, after %q; want \"sid=alice\", then none", before, after)
	}
}

// A task's clean-up run by Finish sleeps and sees a live context though its user is being
// stopped, and no longer than its timeout; the user's own context is back after it.
func TestUser_Finish(t *testing.T) {
	t.Parallel()
	ctx, retire := context.WithCancel(context.Background())
	u := &User{ctx: ctx}
	retire()
	var slept, live bool
	u.Finish(time.Second, func() {
		slept, live = u.Sleep(time.Millisecond), u.Context().Err() == nil
	})
	if !slept || !live || u.Context() != ctx {
		t.Errorf("in Finish of a stopped user: slept %v, context live %v; after it, its own context back: %v; want true, true, true", slept, live, u.Context() == ctx)
	}
	began := time.Now()
	u.Finish(20*time.Millisecond, func() { slept = u.Sleep(time.Hour) })
	if took := time.Since(began); slept || took > 2*time.Second {
		t.Errorf("Finish(20ms) of a sleep of an hour: slept %v after %s; want it cut at the timeout", slept, took)
	}
}
