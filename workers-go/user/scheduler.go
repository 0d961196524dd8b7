package user

import (
	"container/heap"
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// The scheduler: one goroutine per runtime that starts users' work on runners (goroutines that
// run one piece of work at a time and then wait for the next, reused):
//   - the closed model's users waiting between tasks are on a heap by the time their wait ends,
//     held by no goroutine and no timer of their own; a new user is on it from its start;
//   - the open model's users are on a heap by their next arrival, and each arrival's task runs
//     on a runner of its own.
//
// Work due within quantum of each other is started by one wake-up, and a runner is handed it
// with one channel send: starting a task costs about what a goroutine sleeping on a timer of its
// own spends to wake.
//
// When the worker's CPU cannot keep up, runners that are handed work wait to run (the Go
// scheduler's run queue grows): the scheduler finds work it handed over at an earlier wake-up
// still waiting, wake-up after wake-up. It then counts the worker as saturated and starts no
// more runners than it has: an open task that finds none free is not started, and is recorded
// as such at once, and a waiting user waits for a free runner, so that the worker goes on
// sending what its CPU can send instead of piling up goroutines, each of which makes every other
// one slower. A pause of the whole process (another program on its core) delays the scheduler as
// much as the runners, and does not count.
const (
	// quantum is the least time between two wake-ups of the scheduler: work that falls due
	// meanwhile is started together, at most quantum late.
	quantum = 200 * time.Microsecond
	// saturatedWakes is how many wake-ups in a row must find handed work not begun yet for the
	// worker to count as saturated.
	saturatedWakes = 4
	// saturatedFor is how long the worker counts as saturated after the last sign of it: a run
	// queue that empties for a moment does not end it.
	saturatedFor = 100 * time.Millisecond
	// saturatedLag: an arrival handled this late shows that the scheduler itself could not run.
	saturatedLag = 100 * time.Millisecond
	// burstRunners is how many runners one wake-up may start for work due more than
	// saturatedLag ago, and for waiting users.
	burstRunners = 64
	// idleRunners is how many runners may wait for work; one more that finishes exits, so that
	// a burst does not leave its goroutines behind.
	idleRunners = 256
)

// openUser is an open-model user as the scheduler keeps it.
type openUser struct {
	u     *User
	sched *schedule
	due   time.Duration // its next arrival, from the scheduler's epoch
	index int           // in the scheduler's heap; -1 when out of it

	slots slots
	open  sync.WaitGroup // its tasks not finished yet
}

// slots are one user's Users for its open tasks: at most limit taken at once, reused (last
// freed, first taken).
type slots struct {
	mu    sync.Mutex
	free  []*User
	taken int
	limit int
	make  func() *User
}

// take hands out a free slot, making one if needed; false when limit slots are taken.
func (s *slots) take() (*User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.taken >= s.limit {
		return nil, false
	}
	s.taken++
	if n := len(s.free); n > 0 {
		u := s.free[n-1]
		s.free = s.free[:n-1]
		return u, true
	}
	return s.make(), true
}

// put returns a slot whose task has finished.
func (s *slots) put(u *User) {
	s.mu.Lock()
	s.free = append(s.free, u)
	s.taken--
	s.mu.Unlock()
}

// openTask is an open task handed to a runner: which, for which user on which slot, and when
// it was due.
type openTask struct {
	task *Task
	user *openUser
	slot *User
	due  time.Time
}

// timedHeap is a heap (container/heap) of entries by when they are due, each entry keeping its
// place in it so that it can be removed or fixed where it stands.
type timedHeap[T timedEntry] []T

type timedEntry interface {
	dueAt() time.Duration // from the scheduler's epoch
	setIndex(i int)       // its place in the heap; -1 when out of it
}

func (h timedHeap[T]) Len() int           { return len(h) }
func (h timedHeap[T]) Less(i, j int) bool { return h[i].dueAt() < h[j].dueAt() }
func (h timedHeap[T]) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].setIndex(i)
	h[j].setIndex(j)
}
func (h *timedHeap[T]) Push(x any) {
	e := x.(T)
	e.setIndex(len(*h))
	*h = append(*h, e)
}
func (h *timedHeap[T]) Pop() any {
	old := *h
	e := old[len(old)-1]
	var none T
	old[len(old)-1] = none
	*h = old[:len(old)-1]
	e.setIndex(-1)
	return e
}

// users is a heap of open users by their next arrival.
type users = timedHeap[*openUser]

func (ou *openUser) dueAt() time.Duration { return ou.due }
func (ou *openUser) setIndex(i int)       { ou.index = i }

// job is a runner's piece of work: a user to resume (its start, or its next task after a wait),
// or an open task.
type job struct {
	user *User
	open openTask
}

type runner struct{ jobs chan job }

// sleepers is a heap of users waiting to be resumed, by when.
type sleepers = timedHeap[*User]

func (u *User) dueAt() time.Duration { return u.wake }
func (u *User) setIndex(i int)       { u.index = i }

// scheduler starts a runtime's users' work; its goroutine runs while the runtime has users.
type scheduler struct {
	r     *Runtime
	clock clock
	epoch time.Time // the heaps' times are durations from here

	mu       sync.Mutex // the heaps and the goroutine's life
	sleepers sleepers   // users to resume
	users    users      // open-model users by their next arrival
	members  int        // users in the runtime, started or not, not ended
	joined   int        // open-model users on the arrival heap
	stop     func()     // ends the goroutine; nil while it does not run
	run      int        // the goroutine's generation: one starts when a user enters none
	changed  chan bool  // a heap got a sooner head: the goroutine may have to wake sooner
	pending  bool       // waiting users are due but found no runner: wake again soon

	// Runners waiting for work, the last one freed at the end: a lock of its own, held for a
	// moment, so that runners never wait for one the scheduler holds while it hands work out.
	idleMu sync.Mutex
	idle   []*runner
	closed bool // no goroutine runs: runners that finish exit

	waiting atomic.Int64 // work handed to a runner that has not begun it yet

	// The scheduler goroutine's own: signs of saturation.
	backlog        int       // wake-ups in a row, quantum apart at least, that found work waiting
	checked        time.Time // when backlog was last counted
	saturatedUntil time.Time // the worker counts as saturated until then

	// What open tasks that are not started are recorded with (the task's name as the name).
	busy, behind, saturated string
	skipped                 []int64 // skip's counts by task, kept between calls
}

func newScheduler(r *Runtime) *scheduler {
	return &scheduler{r: r, changed: make(chan bool, 1)}
}

// enter counts a new user in and puts it on the heap, due now; the first one starts the
// goroutine.
func (s *scheduler) enter(u *User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.members++
	if s.stop == nil {
		s.clock = s.r.clock()
		s.epoch = s.clock.Now()
		ctx, cancel := context.WithCancel(context.Background())
		s.stop = cancel
		s.run++
		s.idleMu.Lock()
		s.closed = false
		s.idleMu.Unlock()
		go s.schedule(ctx, s.run)
	}
	u.wake = s.clock.Now().Sub(s.epoch)
	s.push(u)
}

// exit counts an ended user out; the last one ends the goroutine.
func (s *scheduler) exit() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.members--
	if s.members == 0 {
		s.stop()
		s.stop = nil
	}
}

// push puts u on the heap of users to resume; the caller holds s.mu.
func (s *scheduler) push(u *User) {
	heap.Push(&s.sleepers, u)
	if u.index == 0 {
		s.poke()
	}
}

// poke tells the goroutine that it may have to wake sooner; the caller holds s.mu.
func (s *scheduler) poke() {
	select {
	case s.changed <- true:
	default:
	}
}

// sleep puts u, which waits d before its next task, on the heap; false when u is being
// retired (it ends at once instead).
func (s *scheduler) sleep(u *User, d time.Duration) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u.ctx.Err() != nil {
		return false
	}
	u.wake = s.clock.Now().Sub(s.epoch) + d
	u.waitEnds = s.epoch.Add(u.wake)
	s.push(u)
	return true
}

// wakeNow resumes u at once if it is waiting (it is being retired: it ends).
func (s *scheduler) wakeNow(u *User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u.index < 0 {
		return
	}
	heap.Remove(&s.sleepers, u.index)
	rn := s.freeRunner()
	if rn == nil {
		rn = s.newRunner()
	}
	s.hand(rn, job{user: u})
}

// join puts an open-model user on the arrival schedule; its first arrival comes within one gap.
func (s *scheduler) join(u *User) *openUser {
	a := s.r.class.Arrival
	ou := &openUser{u: u}
	ou.slots = slots{limit: a.MaxInFlight, make: func() *User { return s.r.slot(u) }}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.add(ou, a)
	s.poke()
	return ou
}

// add puts ou on the arrival heap, its schedule starting now; the caller holds s.mu.
func (s *scheduler) add(ou *openUser, a *Arrival) {
	ou.sched = newSchedule(s.clock.Now(), a, ou.u.Rand)
	ou.due = ou.sched.next().Sub(s.epoch)
	heap.Push(&s.users, ou)
	s.joined++
}

// leave takes ou off the arrival schedule and waits for its open tasks.
func (s *scheduler) leave(ou *openUser) {
	s.mu.Lock()
	if ou.index >= 0 {
		heap.Remove(&s.users, ou.index)
	}
	s.joined--
	s.mu.Unlock()
	ou.open.Wait()
}

// schedule is the scheduler's goroutine: it sleeps until the next work is due (quantum at least
// since its last wake-up) and starts all that is due by then.
func (s *scheduler) schedule(ctx context.Context, run int) {
	defer s.close(run)
	var woke time.Time
	for {
		s.mu.Lock()
		next, ok := s.next(woke)
		s.mu.Unlock()
		if !ok {
			select {
			case <-s.changed:
				continue
			case <-ctx.Done():
				return
			}
		}
		if soonest := woke.Add(quantum); next.Before(soonest) {
			next = soonest
		}
		// A heap that gets a sooner head meanwhile (a user starts waiting, or joins) wakes it.
		if !s.clock.SleepUntil(ctx, next, s.changed) {
			return
		}
		select {
		case <-s.changed: // changed after the wake-up: what is due now is handled below
		default:
		}
		woke = s.clock.Now()
		s.arrive(woke)
	}
}

// next is when the next work is due; the caller holds s.mu.
func (s *scheduler) next(woke time.Time) (time.Time, bool) {
	if s.pending {
		return woke, true
	}
	var at time.Duration
	switch {
	case len(s.sleepers) > 0 && len(s.users) > 0:
		at = min(s.sleepers[0].wake, s.users[0].due)
	case len(s.sleepers) > 0:
		at = s.sleepers[0].wake
	case len(s.users) > 0:
		at = s.users[0].due
	default:
		return time.Time{}, false
	}
	return s.epoch.Add(at), true
}

// arrive starts the work due by now: users to resume, then open tasks in order.
func (s *scheduler) arrive(now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.waiting.Load() == 0:
		s.backlog, s.checked = 0, now
	case now.Sub(s.checked) >= quantum:
		s.backlog, s.checked = s.backlog+1, now
	}
	if s.backlog >= saturatedWakes {
		s.saturatedUntil = now.Add(saturatedFor)
	}
	at := now.Sub(s.epoch)
	started := 0 // new runners
	s.pending = false
	for len(s.sleepers) > 0 && s.sleepers[0].wake <= at {
		rn := s.freeRunner()
		if rn == nil {
			if now.Before(s.saturatedUntil) || started >= burstRunners {
				s.pending = true // they wait for a runner
				break
			}
			rn = s.newRunner()
			started++
		}
		s.hand(rn, job{user: heap.Pop(&s.sleepers).(*User)})
	}
	if s.r.class.Arrival != nil {
		s.arrivals(now, at, &started)
	}
}

// arrivals starts the open tasks due by now (at, from the epoch), in order; the caller holds
// s.mu.
func (s *scheduler) arrivals(now time.Time, at time.Duration, started *int) {
	a := s.r.class.Arrival
	for len(s.users) > 0 {
		ou := s.users[0]
		due := ou.due
		if due > at {
			return
		}
		ou.sched.advance()
		ou.due = ou.sched.next().Sub(s.epoch)
		heap.Fix(&s.users, 0)
		ti := s.r.pick(ou.u.Rand)
		t := &s.r.class.Tasks[ti]
		lag := at - due
		if s.r.lag != nil {
			s.r.lag(lag)
		}
		if lag > a.MaxLag {
			s.skip(ou, ti, at, now, s.behind, func(due time.Duration) bool { return at-due > a.MaxLag })
			continue
		}
		// An arrival handled long after it was due: the scheduler itself could not run (a
		// stall of the process, a busy CPU). Its backlog may start a burst of new runners at
		// most, however many arrivals fell due meanwhile.
		saturated := func(due time.Duration) bool {
			return now.Before(s.saturatedUntil) || (at-due > saturatedLag && *started >= burstRunners)
		}
		rn := s.freeRunner()
		if rn == nil && saturated(due) {
			s.skip(ou, ti, at, now, s.saturated, saturated)
			continue
		}
		slot, ok := ou.slots.take()
		if !ok {
			if rn != nil {
				s.park(rn)
			}
			ou.u.Session.rec.notStarted(t.Name, s.busy, 1, now)
			continue
		}
		if rn == nil {
			rn = s.newRunner()
			*started++
		}
		slot.Iteration = ou.u.Iteration
		ou.u.Iteration++
		ou.open.Add(1)
		s.hand(rn, job{open: openTask{task: t, user: ou, slot: slot, due: s.epoch.Add(due)}})
	}
}

// skip records the arrival at hand (of task number ti) as not started for reason, and with it every
// further arrival of ou due by at (from the epoch) that too (a function of when it was due) says
// is not started: one record per task for them all, and one fix of the heap, so that arrivals a
// saturated worker cannot start cost it little each. The caller holds s.mu.
func (s *scheduler) skip(ou *openUser, ti int, at time.Duration, now time.Time, reason string,
	too func(due time.Duration) bool) {
	tasks := s.r.class.Tasks
	if cap(s.skipped) < len(tasks) {
		s.skipped = make([]int64, len(tasks))
	}
	skipped := s.skipped[:len(tasks)]
	skipped[ti]++
	for ou.due <= at && too(ou.due) {
		if s.r.lag != nil {
			s.r.lag(at - ou.due)
		}
		skipped[s.r.pick(ou.u.Rand)]++
		ou.sched.advance()
		ou.due = ou.sched.next().Sub(s.epoch)
	}
	heap.Fix(&s.users, ou.index)
	for i, n := range skipped {
		if n > 0 {
			ou.u.Session.rec.notStarted(tasks[i].Name, reason, n, now)
			skipped[i] = 0
		}
	}
}

// newRunner starts a runner, which waits for the work it is handed.
func (s *scheduler) newRunner() *runner {
	rn := &runner{jobs: make(chan job, 1)}
	go s.serve(rn)
	return rn
}

// hand gives a runner that waits for work (a new one, or one taken from the idle) j.
func (s *scheduler) hand(rn *runner, j job) {
	s.waiting.Add(1)
	rn.jobs <- j
}

// freeRunner takes an idle runner; nil when none is.
func (s *scheduler) freeRunner() *runner {
	s.idleMu.Lock()
	defer s.idleMu.Unlock()
	n := len(s.idle)
	if n == 0 {
		return nil
	}
	rn := s.idle[n-1]
	s.idle = s.idle[:n-1]
	return rn
}

// park puts a runner with nothing to do among the idle ones; false when it should exit (the
// scheduler has ended, or enough runners are idle).
func (s *scheduler) park(rn *runner) bool {
	s.idleMu.Lock()
	defer s.idleMu.Unlock()
	if s.closed || len(s.idle) >= idleRunners {
		return false
	}
	s.idle = append(s.idle, rn)
	return true
}

// serve is a runner's goroutine: it does the work handed to it, one piece at a time.
func (s *scheduler) serve(rn *runner) {
	for j := range rn.jobs {
		s.waiting.Add(-1)
		if j.user != nil {
			s.r.resume(j.user)
		} else {
			s.runOpen(j.open)
		}
		if !s.park(rn) {
			return
		}
	}
}

// runOpen runs an open task on its slot, its first request timed from when it was due.
func (s *scheduler) runOpen(ot openTask) {
	slot := ot.slot
	slot.Session.due = ot.due
	s.r.safe(ot.task.Name, func() { ot.task.Fn(slot) })
	slot.Session.due = time.Time{}
	slot.Session.release()
	ot.user.slots.put(slot)
	ot.user.open.Done()
}

// close ends the idle runners once the goroutine of generation run has ended (busy ones end
// when their work has), unless a user entered meanwhile and a new one runs.
func (s *scheduler) close(run int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.run != run || s.stop != nil {
		return
	}
	s.backlog, s.saturatedUntil, s.pending = 0, time.Time{}, false
	s.idleMu.Lock()
	defer s.idleMu.Unlock()
	s.closed = true
	for _, rn := range s.idle {
		close(rn.jobs)
	}
	s.idle = nil
}
