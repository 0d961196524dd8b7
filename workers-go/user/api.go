// Package user is the worker's user runtime: Locust's User model in Go. A Class describes a kind
// of user (tasks, wait time, on_start/on_stop); the Runtime keeps one User per Locust user
// (its own variables, cookie jar and data), creates users when the master raises the count and
// retires them when it lowers it. boomer stays the protocol and stats engine: every request a
// Session sends is recorded through a Recorder (boomer.RecordSuccess/RecordFailure).
//
// THIS FILE IS THE AGREED API SKETCH: signatures are the contract between the runtime and the
// scenario compiler; bodies are filled in by the runtime's implementation.
package user

import (
	"context"
	"math/rand/v2"
	"time"
)

// Recorder receives one call per request; boomer.RecordSuccess/RecordFailure satisfy it.
type Recorder interface {
	RecordSuccess(requestType, name string, responseTime int64, responseLength int64)
	RecordFailure(requestType, name string, responseTime int64, exception string)
}

// Class describes one kind of user, like a Locust User class.
type Class struct {
	Host    string              // base URL: scheme://host[:port][/prefix], no trailing slash
	HTTP    HTTPOptions         // session defaults (headers, timeout, cookies)
	Tasks   []Task              // weighted; at least one
	Wait    Wait                // after each task; nil: none (a closed loop as fast as the target answers)
	OnStart func(u *User) error // once per user before its first task; on error the user waits
	// RetryDelay and tries again; it never runs tasks without a successful OnStart.
	OnStop        func(u *User) // when the master takes the user away; bounded by OnStopTimeout
	OnStopTimeout time.Duration // default 10s
	RetryDelay    time.Duration // default 1s
	// FleetNumbers asks the master for fleet-wide unique user numbers (User.Number); without it
	// numbers are unique on this worker only. The scenario sets it when it uses user_id or
	// unique data.
	FleetNumbers bool
	// NewState, when set, makes the per-user state a task reads as u.State.
	NewState func(u *User) any
}

// Task is one weighted unit of work; a flow is a Task whose Fn sends several requests.
type Task struct {
	Name   string
	Weight int
	Fn     func(u *User)
}

// Wait decides the pause after a task; took is how long the task ran.
type Wait interface {
	Next(took time.Duration, rnd *rand.Rand) time.Duration
}

// Constant waits d after each task (Locust's constant).
func Constant(d time.Duration) Wait { panic("sketch") }

// Between waits a uniform random time in [min, max] (Locust's between).
func Between(min, max time.Duration) Wait { panic("sketch") }

// Pacing starts a task every d whatever it took (Locust's constant_pacing).
func Pacing(d time.Duration) Wait { panic("sketch") }

// User is one running Locust user. Its fields belong to it alone: no locking is needed.
type User struct {
	Number    int64             // unique user number, from 0 (fleet-wide with Class.FleetNumbers)
	Iteration int64             // tasks started by this user so far, from 0
	Session   *Session          // its HTTP client, cookie jar and default headers
	Rand      *rand.Rand        // its own random source
	Vars      map[string]string // free for the task's own values (the scenario keeps extracted values here)
	State     any               // from Class.NewState
	ctx       context.Context
}

// Context is cancelled when the user is being retired or the test stops.
func (u *User) Context() context.Context { return u.ctx }

// Sleep pauses the user (think time); it returns false, early, when the user is being stopped.
func (u *User) Sleep(d time.Duration) bool { panic("sketch") }

// Runtime runs users of one Class on behalf of boomer; see New.
type Runtime struct{}

// New prepares a runtime that records through rec. Attach it to boomer with fleet.RunUsers (or
// drive it directly in tests with SetUsers/Stop).
func New(class *Class, rec Recorder) (*Runtime, error) { panic("sketch") }

// SetUsers moves the number of running users to n: new users start (OnStart, then tasks),
// surplus ones are retired, newest first, each finishing its current task and running OnStop.
func (r *Runtime) SetUsers(n int) { panic("sketch") }

// Stop retires every user and returns when all have finished (or their OnStop timed out).
func (r *Runtime) Stop() { panic("sketch") }

// HTTPOptions are a session's defaults.
type HTTPOptions struct {
	Headers        []Header      // sent with every request unless the request sets the same name
	Timeout        time.Duration // per request; default 10s
	DisableCookies bool          // cookies are kept per user unless set
}

// Header is one request header; slices keep the scenario's order.
type Header struct{ Name, Value string }

// Session is one user's HTTP client: base URL, cookie jar and default headers. Every Do is
// recorded as one Locust entry (method, name).
type Session struct{}

// Request is one HTTP request. Path is relative to the class's Host (or an absolute URL).
type Request struct {
	Method       string // default GET
	Path         string
	Name         string // the stats name; default Path
	Headers      []Header
	Body         []byte
	Timeout      time.Duration // 0: the session's
	ExpectStatus []int         // nil: any status below 400 succeeds
	// Check runs after a response with an expected status arrived; a non-empty reason records the
	// request as a failure with that reason instead of a success.
	Check func(r *Response) (reason string)
	// Start, when not zero, is when the request was due (open model): the response time is
	// measured from it rather than from the send.
	Start time.Time
}

// Response is what came back. It is valid until the session's next request.
type Response struct {
	Status  int
	Body    []byte        // decoded body
	Elapsed time.Duration // as recorded
	Failure string        // the recorded failure reason; "" when recorded as a success
}

// Header returns the first value of a response header ("" when absent).
func (r *Response) Header(name string) string { panic("sketch") }

// Cookie returns a cookie the response set ("" when it set none of that name).
func (r *Response) Cookie(name string) string { panic("sketch") }

// OK reports whether the request was recorded as a success.
func (r *Response) OK() bool { return r.Failure == "" }

// Do sends r, records it and returns the response.
func (s *Session) Do(r *Request) *Response { panic("sketch") }

// Get is Do with GET and the path as the name.
func (s *Session) Get(path string) *Response { panic("sketch") }

// Cookie returns the value of a cookie in the user's jar ("" when absent).
func (s *Session) Cookie(name string) string { panic("sketch") }

// Fail records a failure that is not an HTTP request, such as a user with no data row left, so
// that it shows in Locust's failures under method and name.
func (s *Session) Fail(method, name, reason string) { panic("sketch") }
