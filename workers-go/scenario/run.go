package scenario

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"locustfleet/worker/check"
	"locustfleet/worker/checkstats"
	"locustfleet/worker/extract"
	"locustfleet/worker/user"
)

// program is a compiled scenario: read-only once built, shared by every user.
type program struct {
	sources []*source
	steps   []*step // every step, by index
	onStart *flow
	onStop  *flow
	on401   *flow // run after a 401 of a request of a task or on_stop, which is then sent again (on401.go)
	tasks   []task
	fleet   bool
	http    user.HTTPOptions // the scenario's tls: and http: settings
	arrival *user.Arrival    // nil: closed model

	tally   *checkstats.Tally // the non-fatal checks; nil when there are none
	perTask bool              // arrival.session: task: every task is a new visitor
}

type task struct {
	name   string
	weight int
	flow   *flow
}

// flow is steps run in order: a task's, on_start's or on_stop's.
type flow struct {
	steps []*step
}

type header struct {
	name  string
	value *tpl
}

type extraction struct {
	name   string
	prefix string // "extract item: "
	link   bool   // the variable is a link path: a relative value is resolved against the response's URL
	links  bool   // a loop over the variable follows its element as a link path: so are the list's relative elements
	ex     extract.Extractor
	def    *string // the value when the response has none; nil: the request fails instead
}

// step is one request or one think time.
type step struct {
	index         int
	think         time.Duration
	thinkFrom     *tpl      // a think time a variable gives (thinktime.go); nil: think or a request
	thinkAt       string    // where it is written, for the log
	badThink      sync.Once // a value that is no pause is logged once
	method, name  string
	path          *tpl
	headers       []header      // when some header value has variables
	staticHeaders []user.Header // when none has: shared by every request
	body          *tpl          // when the body has variables
	staticBody    []byte        // when it has none: shared by every request
	timeout       time.Duration
	expect        []int
	extracts      []extraction
	checks        *stepChecks // nil: none
	cont          bool
	noRedirects   bool

	block *block // a loop or an if: the step runs its steps
	on401 *flow  // run after a 401, then the request is sent again; nil: a 401 is as any status
	// noAcceptEncoding: the step sends no Accept-Encoding (Accept-Encoding: null)
	noAcceptEncoding bool
}

func (s *step) setHeaders(hs []header) {
	static := make([]user.Header, 0, len(hs))
	for _, h := range hs {
		v, ok := h.value.Static()
		if !ok {
			s.headers = hs
			return
		}
		static = append(static, user.Header{Name: h.name, Value: v})
	}
	if len(static) > 0 {
		s.staticHeaders = static
	}
}

func (s *step) setBody(t *tpl) {
	if v, ok := t.Static(); ok {
		s.staticBody = []byte(v)
		return
	}
	s.body = t
}

// userState is what the scenario keeps per user besides its variables (u.Vars).
type userState struct {
	rows   []int // the user's row of each data source, drawn once
	picked bool
	checks []func(*user.Response) string // per step, made on the user's first request of it
	body   []byte                        // rendering buffer: a request's body is sent before the next is built
	text   []byte                        // rendering buffer for path and header values
	in     check.Input                   // what the checks of the current response judge
	args   [][]byte                      // rendering buffers of the checks' templates
	// judged: the current request reached its checks; observe counts the non-fatal checks of
	// one that did not (made on the user's first request with such checks).
	judged  bool
	current *step
	observe func(*user.Response)
	// invalid is why the request being made cannot be (a json: value not of its type), set
	// while its body is rendered
	invalid string
	// acted counts the requests made and think times begun: a loop's run that leaves it as it
	// was did nothing (idleRun)
	acted uint64
}

// render is t's text for u; only a template with variables costs a string.
func (st *userState) render(t *tpl, u *user.User) string {
	if v, ok := t.Static(); ok {
		return v
	}
	st.text = t.Append(st.text[:0], u)
	return string(st.text)
}

func (p *program) state(u *user.User) *userState {
	if st, ok := u.State.(*userState); ok {
		return st
	}
	st := &userState{rows: make([]int, len(p.sources)), checks: make([]func(*user.Response) string, len(p.steps))}
	u.State = st
	return st
}

func (p *program) class(host string, wait user.Wait) *user.Class {
	p.http.Timeout = DefaultTimeout
	cl := &user.Class{
		Host:         host,
		HTTP:         p.http,
		Wait:         wait,
		FleetNumbers: p.fleet,
		Arrival:      p.arrival,
		ForkState:    p.fork,
		Checks:       p.tally,
	}
	for _, t := range p.tasks {
		f := t.flow
		cl.Tasks = append(cl.Tasks, user.Task{Name: t.name, Weight: t.weight, Fn: func(u *user.User) { p.run(f, u) }})
	}
	if len(p.sources) > 0 || p.onStart != nil {
		cl.OnStart = p.start
	}
	if p.onStop != nil {
		cl.OnStop = func(u *user.User) { p.run(p.onStop, u) }
	}
	if p.perTask {
		p.visitors(cl)
	}
	return cl
}

// fork is the state of an open-model slot of u: u's data rows, its own buffers and checks.
func (p *program) fork(u, _ *user.User) any {
	st := p.state(u)
	return &userState{rows: append([]int(nil), st.rows...), picked: st.picked, checks: make([]func(*user.Response) string, len(p.steps))}
}

// start gives the user its data rows, then runs on_start; an error makes the runtime retry.
func (p *program) start(u *user.User) error {
	if src := p.pick(u); src != nil {
		n := len(src.table.Rows)
		reason := fmt.Sprintf("data %s: no row for user %d: %s has %d rows and mode unique gives every user its own; expected at most %d users, or mode cycle", src.name, u.Number, src.table.File, n, n)
		u.Session.Fail("DATA", src.name, reason)
		return fmt.Errorf("%s: %w", reason, user.ErrCannotStart)
	}
	if p.onStart == nil {
		return nil
	}
	failed, reason, stopped := p.run(p.onStart, u)
	switch {
	case stopped:
		return errors.New("on_start: stopped before it finished")
	case failed != nil:
		return fmt.Errorf("on_start %s: %s", failed.name, reason)
	}
	return nil
}

// pick draws the user's row of each data source, once for its life; it returns the source that
// has no row for the user (mode unique, more users than rows), if any.
func (p *program) pick(u *user.User) *source {
	st := p.state(u)
	if st.picked {
		return nil
	}
	for i, src := range p.sources {
		row, ok := src.table.Pick(src.mode, u.Number, u.Rand)
		if !ok {
			return src
		}
		st.rows[i] = row
	}
	st.picked = true
	return nil
}

// run sends the flow's steps in order. A failed request ends the flow unless its step says
// on_failure: continue; a user being stopped ends it before its next step (a think time cut
// short, or the request in hand answered): a flow of slow steps went on to its end after the
// test stopped, and the stop waited for it. on_stop runs to its end: it has a context of its
// own, a user's (the runtime's OnStop) as a visitor's (visit).
func (p *program) run(f *flow, u *user.User) (failed *step, reason string, stopped bool) {
	st := p.state(u)
	for _, s := range f.steps {
		if stopping(u) {
			return nil, "", true
		}
		if s.block != nil {
			if failed, reason, stopped = p.runBlock(s.block, u); failed != nil || stopped {
				return failed, reason, stopped
			}
			continue
		}
		if s.isThink() {
			d := s.think
			if s.thinkFrom != nil {
				d = s.pause(st.render(s.thinkFrom, u))
			}
			if d > 0 {
				st.acted++
				if !u.Sleep(d) {
					return nil, "", true
				}
			}
			continue
		}
		st.acted++
		req := s.request(u, st) // a value: built on the stack, no allocation per request
		if s.on401 != nil {
			req.Handled = 401
		}
		r := u.Session.Do(&req)
		if s.on401 != nil && r.Status == 401 && r.OK() {
			var failed *step
			if r, failed, reason, stopped = p.sendAgainAfter401(s, u, st); failed != nil || stopped {
				return failed, reason, stopped
			}
		}
		if !r.OK() && !s.cont {
			return s, r.Failure, false
		}
	}
	return nil, "", false
}

// request renders the step for u: static parts are shared, only variables are rendered.
func (s *step) request(u *user.User, st *userState) user.Request {
	req := user.Request{Method: s.method, Name: s.name, Path: st.render(s.path, u), Headers: s.staticHeaders,
		Body: s.staticBody, Timeout: s.timeout, ExpectStatus: s.expect, NoRedirects: s.noRedirects, NoAcceptEncoding: s.noAcceptEncoding}
	if s.headers != nil {
		req.Headers = make([]user.Header, len(s.headers))
		for i, h := range s.headers {
			req.Headers[i] = user.Header{Name: h.name, Value: st.render(h.value, u)}
		}
	}
	if s.body != nil {
		st.body = s.body.Append(st.body[:0], u)
		req.Body = st.body
	}
	req.Invalid, st.invalid = st.invalid, "" // a link path or a typed json: value that is not one
	if len(s.extracts) > 0 || s.checks != nil {
		if st.checks[s.index] == nil {
			st.checks[s.index] = func(r *user.Response) string { return s.verify(u, r) }
		}
		req.Check = st.checks[s.index]
	}
	if s.checks != nil && len(s.checks.soft) > 0 {
		if st.observe == nil {
			st.observe = func(*user.Response) {
				if !st.judged {
					st.current.failSoft()
				}
			}
		}
		st.judged, st.current = false, s
		req.Observe = st.observe
	}
	return req
}

// verify runs the step's extractions, then its fatal checks, and returns the first failure
// reason; its non-fatal checks are judged and counted whatever that reason.
func (s *step) verify(u *user.User, r *user.Response) string {
	st, ok := u.State.(*userState)
	if !ok { // a user that sent nothing through the program (tests judging made-up responses)
		st = &userState{}
		u.State = st
	}
	in := st.input(s, u, r)
	reason := s.extractAndCheck(u, r, in)
	if s.checks != nil && len(s.checks.soft) > 0 {
		s.judgeSoft(in)
		st.judged = true
	}
	return reason
}

func (s *step) extractAndCheck(u *user.User, r *user.Response, in *check.Input) string {
	for i := range s.extracts {
		x := &s.extracts[i]
		var v, reason string
		ok := false
		if x.ex.IsJSON() && !in.ValidJSON() {
			reason = x.ex.String() + ": the body is not valid JSON"
		} else {
			v, ok, reason = x.ex.Extract(in.Body, r)
		}
		// A JSON null takes the default too: the last page's "next": null is no more a link
		// than a missing "next" (Python's None, JavaScript's null), and with default: "" both
		// end the pages of if: {var: next}. Without a default it is the text null, as before.
		if !ok || (x.def != nil && v == "null" && x.ex.Null(in.Body)) {
			if x.def == nil {
				return x.prefix + reason
			}
			v = *x.def
		}
		switch {
		case x.links:
			v = resolveRelativeList(v, r.URL())
		case x.link:
			v = resolveRelative(v, r.URL())
		}
		if u.Vars == nil {
			u.Vars = map[string]string{}
		}
		u.Vars[x.name] = v
	}
	if s.checks == nil {
		return ""
	}
	for i := range s.checks.fatal {
		if reason := s.checks.fatal[i].Judge(in); reason != "" {
			return reason
		}
	}
	return ""
}
