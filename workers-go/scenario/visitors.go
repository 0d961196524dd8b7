package scenario

import (
	"cmp"
	"fmt"
	"sync/atomic"
	"time"

	"gopkg.in/yaml.v3"

	"locustfleet/worker/data"
	"locustfleet/worker/user"
)

// Sessions of the open model (arrival.session): whether a task is another visit of its Locust
// user or a new visitor.
const (
	// SessionUser is the default: a user runs on_start once, and each of its tasks starts from
	// the cookies, variables and data rows on_start left (Locust's user, kept for life).
	SessionUser = "user"
	// SessionTask makes every task a new visitor (Artillery's arrival, k6's fresh cookies): an
	// empty cookie jar, no variables, data rows drawn anew, on_start before the task and on_stop
	// after it.
	SessionTask = "task"
)

// parseSession reads arrival.session.
func (c *compiler) parseSession(v *yaml.Node, field string) {
	if v.Kind != yaml.ScalarNode || (v.Value != SessionUser && v.Value != SessionTask) {
		c.errorf(v.Line, field, "%s; expected user (the default: a user's tasks share the session on_start made) or task (every task is a new visitor: fresh cookies and variables, new data rows, on_start and on_stop around it)", describe(v))
		return
	}
	if v.Value == SessionTask {
		c.visitorsLine = v.Line
	}
}

// checkVisitors reports data that a task per visitor cannot have: a unique row for every visitor
// of the test would run out at once.
func (c *compiler) checkVisitors() {
	if c.visitorsLine == 0 {
		return
	}
	for _, s := range c.sources {
		if s.mode == data.Unique {
			c.errorf(c.visitorsLine, "arrival.session", "task with data %s in mode unique; expected mode cycle or random: every task is a new visitor drawing a row, and unique rows (one per user for the whole test) would run out", s.name)
		}
	}
}

// visitors makes every task of cl a new visitor: on_start and on_stop run around each task
// instead of once per user.
func (p *program) visitors(cl *user.Class) {
	var next atomic.Int64 // visitor numbers on this worker, for cycle rows
	cl.OnStart, cl.OnStop = nil, nil
	onStopTimeout := cmp.Or(cl.OnStopTimeout, user.DefaultOnStopTimeout)
	for i := range cl.Tasks {
		f := p.tasks[i].flow
		cl.Tasks[i].Fn = func(u *user.User) { p.visit(f, u, next.Add(1)-1, onStopTimeout) }
	}
}

// visit runs flow f as visitor number n: a fresh session, data rows, on_start, f, on_stop (for
// at most onStopTimeout).
func (p *program) visit(f *flow, u *user.User, n int64, onStopTimeout time.Duration) {
	st := p.state(u)
	u.Session.ClearCookies()
	clear(u.Vars)
	for i, src := range p.sources {
		row, ok := src.table.Pick(src.mode, n, u.Rand)
		if !ok { // unique data is refused at load time
			panic(fmt.Sprintf("data %s: no row for visitor %d", src.name, n))
		}
		st.rows[i] = row
	}
	st.picked = true
	if p.onStart != nil {
		if failed, _, stopped := p.run(p.onStart, u); failed != nil || stopped {
			return // a visitor whose login failed does not browse; the failure is recorded
		}
	}
	p.run(f, u)
	if p.onStop != nil {
		// A visitor that logged in logs out, even when stopped meanwhile: its on_stop has time
		// of its own, as a user's has, so that its loops and think times run to their end.
		u.Finish(onStopTimeout, func() { p.run(p.onStop, u) })
	}
}
