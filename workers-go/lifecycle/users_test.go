package lifecycle

import (
	"flag"
	"fmt"
	"testing"
	"time"

	"github.com/myzhan/boomer"

	"locustfleet/worker/user"
)

type nopRecorder struct{}

func (nopRecorder) RecordSuccess(string, string, int64, int64)  {}
func (nopRecorder) RecordFailure(string, string, int64, string) {}

// boomer's events drive the runtime: a spawn sets the user count, a stop retires every user,
// a quit closes the channel RunUsers waits on; parked goroutines wake after each change.
func TestUsersTask_events(t *testing.T) {
	rt, err := user.New(&user.Class{Host: "http://127.0.0.1:1", Tasks: []user.Task{{Name: "idle", Weight: 1,
		Fn: func(u *user.User) { u.Sleep(time.Hour) }}}}, nopRecorder{})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Stop()
	task := &usersTask{rt: rt, wake: make(chan struct{})}
	quit := task.subscribe()

	parked := make(chan struct{})
	go func() {
		task.park()
		close(parked)
	}()
	time.Sleep(10 * time.Millisecond)
	boomer.Events.Publish(boomer.EVENT_SPAWN, 3, 3.0)
	if got := rt.Users(); got != 3 {
		t.Fatalf("%d users after a spawn of 3, want 3", got)
	}
	select {
	case <-parked:
	case <-time.After(10 * time.Second):
		t.Fatal("a parked goroutine was not woken after the spawn")
	}
	boomer.Events.Publish(boomer.EVENT_SPAWN, 1, 1.0)
	if got := rt.Users(); got != 1 {
		t.Fatalf("%d users after a spawn of 1, want 1", got)
	}
	boomer.Events.Publish(boomer.EVENT_STOP)
	if got := rt.Users(); got != 0 {
		t.Fatalf("%d users after a stop, want 0", got)
	}
	boomer.Events.Publish(boomer.EVENT_QUIT)
	select {
	case <-quit:
	case <-time.After(10 * time.Second):
		t.Fatal("quit not reported")
	}
}

func TestRateLimiter(t *testing.T) {
	cases := []struct {
		name, maxRPS, rate string
		want               string // the limiter's type, "" for none
	}{
		{"neither", "0", "-1", ""},
		{"max rps", "100", "-1", "*boomer.StableRateLimiter"},
		{"increase rate", "0", "10/1s", "*boomer.RampUpRateLimiter"},
		{"both", "100", "10", "*boomer.RampUpRateLimiter"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			defer func() { _ = flag.Set("max-rps", "0"); _ = flag.Set("request-increase-rate", "-1") }()
			_ = flag.Set("max-rps", c.maxRPS)
			_ = flag.Set("request-increase-rate", c.rate)
			l, err := rateLimiter()
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if l != nil {
				got = fmt.Sprintf("%T", l)
			}
			if got != c.want {
				t.Fatalf("got limiter %q, want %q", got, c.want)
			}
		})
	}
}

// A class whose Host comes from Target() run without --target: the error says which flag gives it.
func TestNewRuntime_emptyHostNamesTheTargetFlag(t *testing.T) {
	_, err := newRuntime(&user.Class{Host: Target(), Tasks: []user.Task{{Name: "t", Weight: 1, Fn: func(*user.User) {}}}}, nopRecorder{})
	want := "user class: Host: empty; expected an http(s) base URL such as http://127.0.0.1:8080 " +
		"(give the worker --target, -H/--host or LOCUST_HOST when the class's Host is lifecycle.Target())"
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
	_, err = newRuntime(&user.Class{Host: "http://127.0.0.1:1"}, nopRecorder{})
	if err == nil || err.Error() != "user class: Tasks: empty; expected at least one task" {
		t.Errorf("a class with a Host: got %v", err)
	}
}
