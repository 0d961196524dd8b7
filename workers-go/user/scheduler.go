package user

import (
	"container/heap"
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// The open model's scheduler: one goroutine per runtime starts the tasks of all its open-model
// users on their arrival schedules, each on a runner (a goroutine that runs one task at a time
// and then waits for the next). Arrivals due within quantum of each other are started by one
// wake-up, and a runner is handed a task with one channel send: starting a task costs about
// what a paced closed-model user spends on its wait.
//
// When the worker's CPU cannot keep up, runners that are handed a task wait to run (the Go
// scheduler's run queue grows): the scheduler finds tasks it handed over at an earlier wake-up
// still waiting, wake-up after wake-up. It then counts the worker as saturated and starts no more runners than it has: a due task that
// finds none free is not started, and is recorded as such at once, so that the worker goes on
// sending what its CPU can send instead of piling up goroutines, each of which makes every
// other one slower. A pause of the whole process (another program on its core) delays the
// scheduler as much as the runners, and does not count.
const (
	// quantum is the least time between two wake-ups of the scheduler: arrivals that fall due
	// meanwhile are started together, at most quantum late.
	quantum = 200 * time.Microsecond
	// saturatedWakes is how many wake-ups in a row must find handed tasks not started yet for
	// the worker to count as saturated.
	saturatedWakes = 4
	// saturatedFor is how long the worker counts as saturated after the last sign of it: a run
	// queue that empties for a moment does not end it.
	saturatedFor = 100 * time.Millisecond
	// saturatedLag: an arrival handled this late shows that the scheduler itself could not run.
	saturatedLag = 100 * time.Millisecond
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

// openTask is a task handed to a runner: which, for which user on which slot, when it was due
// and when it was handed over.
type openTask struct {
	task *Task
	user *openUser
	slot *User
	due  time.Time
}

type runner struct{ tasks chan openTask }

// users is a heap of open users by their next arrival.
type users []*openUser

func (h users) Len() int           { return len(h) }
func (h users) Less(i, j int) bool { return h[i].due < h[j].due }
func (h users) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *users) Push(x any) {
	ou := x.(*openUser)
	ou.index = len(*h)
	*h = append(*h, ou)
}
func (h *users) Pop() any {
	old := *h
	ou := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	ou.index = -1
	return ou
}

// scheduler starts open tasks for a runtime's users; it runs while any open user does.
type scheduler struct {
	r     *Runtime
	clock clock
	epoch time.Time // the users' arrivals are kept as durations from here

	mu      sync.Mutex // the users and the goroutine's life
	users   users
	joined  int       // users joined and not left yet
	stop    func()    // ends the goroutine; nil while it does not run
	run     int       // the goroutine's generation: one starts when a user joins none
	changed chan bool // a user joined: the next wake-up may be sooner

	// Runners waiting for a task, the last one freed at the end: a lock of its own, held for a
	// moment, so that runners never wait for one the scheduler holds while it handles arrivals.
	idleMu sync.Mutex
	idle   []*runner
	closed bool // no goroutine runs: runners that finish exit

	waiting atomic.Int64 // tasks handed to a runner that has not begun them yet

	// The scheduler goroutine's own: signs of saturation.
	backlog        int       // wake-ups in a row, quantum apart at least, that found tasks waiting
	checked        time.Time // when backlog was last counted
	saturatedUntil time.Time // the worker counts as saturated until then

	// What arrivals that are not started are recorded with (the task's name as the name).
	busy, behind, saturated string
}

func newScheduler(r *Runtime, busy, behind, saturated string) *scheduler {
	return &scheduler{r: r, busy: busy, behind: behind, saturated: saturated, changed: make(chan bool, 1)}
}

// join puts u on the schedule; its first arrival comes within one gap.
func (s *scheduler) join(u *User) *openUser {
	a := s.r.class.Arrival
	ou := &openUser{u: u}
	ou.slots = slots{limit: a.MaxInFlight, make: func() *User { return s.r.slot(u) }}
	s.mu.Lock()
	defer s.mu.Unlock()
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
	s.add(ou, a)
	select {
	case s.changed <- true:
	default:
	}
	return ou
}

// add puts ou on the heap, its schedule starting now; the caller holds s.mu.
func (s *scheduler) add(ou *openUser, a *Arrival) {
	ou.sched = newSchedule(s.clock.Now(), a, ou.u.Rand)
	ou.due = ou.sched.next().Sub(s.epoch)
	heap.Push(&s.users, ou)
	s.joined++
}

// leave takes ou off the schedule and waits for its open tasks; the last user to leave ends
// the scheduler.
func (s *scheduler) leave(ou *openUser) {
	s.mu.Lock()
	if ou.index >= 0 {
		heap.Remove(&s.users, ou.index)
	}
	s.joined--
	if s.joined == 0 {
		s.stop()
		s.stop = nil
	}
	s.mu.Unlock()
	ou.open.Wait()
}

// schedule is the scheduler's goroutine: it sleeps until the next arrival (quantum at least
// since its last wake-up) and handles every arrival due by then.
func (s *scheduler) schedule(ctx context.Context, run int) {
	defer s.close(run)
	var woke time.Time
	for {
		s.mu.Lock()
		next, ok := s.next()
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
		if !s.clock.SleepUntil(ctx, next) {
			return
		}
		select {
		case <-s.changed: // a user joined meanwhile: its first arrival is on the heap now
		default:
		}
		woke = s.clock.Now()
		s.arrive(woke)
	}
}

// next is when the next arrival is due; the caller holds s.mu.
func (s *scheduler) next() (time.Time, bool) {
	if len(s.users) == 0 {
		return time.Time{}, false
	}
	return s.epoch.Add(s.users[0].due), true
}

// burstRunners is how many runners one wake-up may start while the worker is saturated and
// behind its schedule.
const burstRunners = 64

// arrive handles every arrival due by now, in order.
func (s *scheduler) arrive(now time.Time) {
	a := s.r.class.Arrival
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
	started := 0 // new runners
	at := now.Sub(s.epoch)
	for len(s.users) > 0 {
		ou := s.users[0]
		due := ou.due
		if due > at {
			return
		}
		ou.sched.advance()
		ou.due = ou.sched.next().Sub(s.epoch)
		heap.Fix(&s.users, 0)
		t := &s.r.class.Tasks[s.r.pick(ou.u.Rand)]
		lag := at - due
		if s.r.lag != nil {
			s.r.lag(lag)
		}
		if lag > a.MaxLag {
			ou.u.Session.rec.failure(ArrivalType, t.Name, 0, s.behind, now)
			continue
		}
		// An arrival handled long after it was due: the scheduler itself could not run (a
		// stall of the process, a busy CPU). Its backlog may start a burst of new runners at
		// most, however many arrivals fell due meanwhile.
		saturated := now.Before(s.saturatedUntil) || (lag > saturatedLag && started >= burstRunners)
		rn := s.freeRunner()
		if rn == nil && saturated {
			ou.u.Session.rec.failure(ArrivalType, t.Name, 0, s.saturated, now)
			continue
		}
		slot, ok := ou.slots.take()
		if !ok {
			if rn != nil {
				s.park(rn)
			}
			ou.u.Session.rec.failure(ArrivalType, t.Name, 0, s.busy, now)
			continue
		}
		if rn == nil {
			rn = &runner{tasks: make(chan openTask, 1)}
			started++
			go s.serve(rn)
		}
		slot.Iteration = ou.u.Iteration
		ou.u.Iteration++
		ou.open.Add(1)
		s.waiting.Add(1)
		rn.tasks <- openTask{task: t, user: ou, slot: slot, due: s.epoch.Add(due)}
	}
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

// park puts a runner with nothing to do among the idle ones; false when the scheduler has
// ended and the runner should exit.
func (s *scheduler) park(rn *runner) bool {
	s.idleMu.Lock()
	defer s.idleMu.Unlock()
	if s.closed {
		return false
	}
	s.idle = append(s.idle, rn)
	return true
}

// serve is a runner's goroutine: it runs the tasks handed to it, each one's first request timed
// from when it was due, until the scheduler has ended.
func (s *scheduler) serve(rn *runner) {
	for ot := range rn.tasks {
		s.waiting.Add(-1)
		slot := ot.slot
		slot.Session.due = ot.due
		s.r.safe(ot.task.Name, func() { ot.task.Fn(slot) })
		slot.Session.due = time.Time{}
		slot.Session.release()
		ot.user.slots.put(slot)
		ot.user.open.Done()
		if !s.park(rn) {
			return
		}
	}
}

// close ends the idle runners once the goroutine of generation run has ended (busy ones end
// when their task has), unless a user joined meanwhile and a new one runs.
func (s *scheduler) close(run int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.run != run || s.stop != nil {
		return
	}
	s.backlog, s.saturatedUntil = 0, time.Time{}
	s.idleMu.Lock()
	defer s.idleMu.Unlock()
	s.closed = true
	for _, rn := range s.idle {
		close(rn.tasks)
	}
	s.idle = nil
}
