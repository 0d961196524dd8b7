package user

import (
	"testing"
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
