package user

import (
	"context"
	"time"
)

// ClearCookies empties the user's cookie jar, as a new visitor's browser starts with none: k6
// does it before every iteration, and a scenario whose tasks are new visitors
// (arrival.session: task) before every task.
func (s *Session) ClearCookies() {
	if s.jar != nil {
		s.jar = &jar{}
	}
}

// Finish runs fn as the runtime runs OnStop: with a context of its own that ends after timeout,
// so that u.Sleep and the checks of u.Context() in fn go on though u is being stopped. A task
// whose end is a clean-up that must run (a scenario visitor's on_stop: its logout) calls it; u's
// own context is back when fn returns.
func (u *User) Finish(timeout time.Duration, fn func()) {
	own := u.ctx
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	u.ctx = ctx
	defer func() {
		cancel()
		u.ctx = own
	}()
	fn()
}
