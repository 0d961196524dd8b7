package scenario

import (
	"slices"

	"locustfleet/worker/user"
)

// on_401: steps a user runs when a request of a task or of on_stop is answered 401 Unauthorized
// (an access token expired), after which the request is sent again, once, with what they
// extracted (the new token). Every everyday API with short-lived tokens needs it on every
// request; written per request it took an expect_status with 401, an extraction of
// WWW-Authenticate and an if: block with the refresh and the request again after each step (see
// the help desk's test). The 401 is recorded as a success of the step, the server having answered
// it and the scenario having acted on it, so that Locust's rows still count what the target served;
// the request sent again is judged as any (its checks, extractions, expect_status).

// compileOn401 compiles the steps, which see what on_start extracted, and marks the request steps
// of the tasks and on_stop (compiled from index from on) as sent again after them. A step whose
// expect_status lists 401 handles its 401 itself; on_start's requests (a login refused) and
// on_401's own are never sent again.
func (c *compiler) compileOn401(p *program, specs []*stepSpec, started []string, from int) {
	requests := p.steps[from:]
	avail := slices.Clone(started)
	p.on401 = c.flow(p, specs, &avail)
	for _, s := range requests {
		if s.path != nil && !slices.Contains(s.expect, 401) {
			s.on401 = p.on401
		}
	}
}

// sendAgainAfter401 runs on_401 after a 401 answer of s (recorded as a success) and sends the
// request again; it returns the answer to go on with, or the failure of on_401.
func (p *program) sendAgainAfter401(s *step, u *user.User, st *userState) (r *user.Response, failed *step, reason string, stopped bool) {
	if failed, reason, stopped = p.run(s.on401, u); failed != nil || stopped {
		return nil, failed, reason, stopped
	}
	st.acted++
	req := s.request(u, st)
	return u.Session.Do(&req), nil, "", false
}
