// Package user is the worker's user runtime: Locust's User model in Go. A Class describes a kind
// of user (tasks, wait time, on_start/on_stop); the Runtime keeps one User per Locust user
// (its own variables, cookie jar and random source), creates users when the master raises the
// count and retires them when it lowers it. boomer stays the protocol and stats engine: every
// request a Session sends is recorded through a Recorder (boomer.RecordSuccess/RecordFailure).
package user

import (
	"context"
	"math/rand/v2"
	"time"

	"locustfleet/worker/checkstats"
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
	// Arrival, when set, makes the users open-model: tasks start on a schedule, several at a
	// time, each on a slot that copies the user (see Arrival); Wait must then be nil.
	Arrival *Arrival
	// ForkState, when set, makes the State of an open-model slot from its user's (after
	// OnStart); without it a slot's State comes from NewState.
	ForkState func(u, slot *User) any
	// Checks, when set, counts the class's non-fatal checks; the worker sends the master what it
	// counted after each stats report (see checkstats).
	Checks *checkstats.Tally
}

// Task is one weighted unit of work; a flow is a Task whose Fn sends several requests.
type Task struct {
	Name   string
	Weight int // >= 1
	Fn     func(u *User)
}

// User is one running Locust user. Its fields belong to it alone: no locking is needed.
type User struct {
	Number int64 // unique user number, from 0 (fleet-wide with Class.FleetNumbers)
	// Iteration is the number of tasks this user started before the current one: 0 during its
	// first task (and during OnStart), 1 during the second.
	Iteration int64
	Session   *Session          // its HTTP client, cookie jar and default headers
	Rand      *rand.Rand        // its own random source
	Vars      map[string]string // free for the task's own values (the scenario keeps extracted values here)
	State     any               // from Class.NewState
	ctx       context.Context
	cancel    context.CancelFunc // retires the user
	begun     bool               // its start has run (the runtime's, on the runner that resumes it)
	wake      time.Duration      // when a waiting user's next task is due, from the scheduler's epoch
	waitEnds  time.Time          // when its last wait was due to end: pacing counts from there
	index     int                // in the scheduler's heap of waiting users; -1 when not waiting
}

// Context is cancelled when the user is being retired or the test stops. During OnStop it is a
// fresh context that ends when OnStopTimeout has passed. A User made outside a Runtime (in a
// test) has a context that never ends.
func (u *User) Context() context.Context {
	if u.ctx == nil {
		return context.Background()
	}
	return u.ctx
}

// Sleep pauses the user (think time); it returns false, early, when the user is being stopped.
func (u *User) Sleep(d time.Duration) bool {
	return sleep(u.Context(), d)
}

func sleep(ctx context.Context, d time.Duration) bool {
	if ctx.Err() != nil {
		return false
	}
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
