package user

import (
	"container/heap"
	"context"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// The scheduler: one goroutine per runtime that starts users' work on runners (goroutines that
// run one piece of work at a time, reused):
//   - the closed model's users waiting between tasks are on a heap by the time their wait ends,
//     held by no goroutine and no timer of their own; a new user is on it from its start;
//   - the open model's users are on a heap by their next arrival, and each arrival's task runs
//     on a runner of its own.
//
// A runner that finishes its work takes the next work due, if any, itself; one that finds none
// waits to be handed some. Work due within quantum of each other is handed out by one wake-up of
// the scheduler, one channel send each. So a busy worker's runners go from task to task as a
// closed loop's users do, and an idle one's cost about what goroutines sleeping on timers of
// their own would. Open tasks are taken so only while the worker is busy (busyShare): at a
// lighter load a runner taking each arrival as it falls due sends the requests one by one, and
// each costs the process a wake-up from idle; left for the scheduler's next wake-up, those due
// together go out together.
//
// How many runners. The closed model's users each hold one while they run, as many as are due; on a
// loaded CPU (see Saturation) users due wait for a runner to finish and take them (users that loop
// without a wait yield theirs). The open model's runners are bounded by a limit, which moves with
// what they can do: a runner more than the CPU needs only queues for it, and each one more makes
// every other slower (more connections, more switching: hundreds of runners send a fraction of what
// tens do, thousands collapse). The limit starts at startRunners and grows (steer) while open tasks
// find no runner and the CPU has room: it doubles while the CPU is mostly idle, else by tries kept
// only if the tasks done per second rose. A slow server needs many runners, a loaded CPU no
// more. It is at most the connection limit: more would wait for a connection. On a saturated CPU
// with tasks short of runners it tries a quarter fewer (fewerRunners), kept while the CPU stays
// full: a server that stopped answering for a while had the limit doubled up to the connection
// limit, and the runners left over sent less once it answered again. Runners beyond the limit
// exit as they finish their work.
//
// Saturation: the process used nearly all the CPU time the Go runtime may use over the last two
// measures (cpuMeter.full), or work handed to runners at one wake-up of the scheduler has still
// not begun at the next, saturatedWakes wake-ups in a row over saturatedAfter at least (other
// programs take the CPU). A single measure or a few wake-ups are often a burst (a garbage
// collection, a batch of arrivals after the runtime's idle timer, which wakes at millisecond
// resolution, a process stalled by the kernel a few milliseconds): counted as saturation, they
// left arrivals not started at 0.4 × what the core can do. They are the quicker sign that the
// worker is loaded (gauge), on which closed-model users due wait for a runner.
//
// Open tasks due that find no runner free and none to start are left for the runners that finish
// first (they take the oldest first); on a saturated CPU one still left leaveFor after it was due
// is not started, and is recorded as such at once, in bulk: a saturated worker goes on sending what
// its CPU can send, on time, and says what it could not. A pause of the whole process delays the
// scheduler as much as the runners, and does not count.
const (
	// quantum is the least time between two wake-ups of the scheduler: work that falls due
	// meanwhile is handed out together, at most quantum late.
	quantum = 200 * time.Microsecond
	// startRunners is the open model's first runner limit; growMin is by how many runners at
	// least the limit moves.
	startRunners = 16
	growMin      = 4
	// roomyMeasures is how many measures of the CPU in a row must find it with room and open
	// tasks short of runners for the limit to try growing, at first; maxRoomy at most, after
	// tries that did not pay. trialGain is the rise in tasks done per second that a try must
	// bring to be kept.
	roomyMeasures = 3
	maxRoomy      = 100
	trialGain     = 0.05
	// shrinkSettle is how many measures a try of fewer runners waits before it is judged.
	shrinkSettle = 2
	// burstRunners is how many runners one wake-up may start for users to resume.
	burstRunners = 64
	// loadedWakes and saturatedWakes are how many wake-ups in a row (quantum apart at least) must
	// find handed work not begun yet for the worker to count as loaded, and as saturated, by that
	// sign; as saturated only once those wake-ups span saturatedAfter too, as long as the CPU
	// meter's two windows: a process stalled for a few milliseconds (a kernel thread on its core)
	// catches up with the goroutines it owes for a while, and the scheduler's goroutine, woken by
	// its timer, runs ahead of them, so a few milliseconds of work not begun are a burst, not a
	// load (counted as saturation, they left arrivals not started at 0.11 × what the core can do).
	// The worker then counts as such for saturatedFor after the last sign (a run queue that
	// empties for a moment does not end it).
	loadedWakes    = 4
	saturatedWakes = 8
	saturatedAfter = 2 * cpuWindow
	saturatedFor   = 100 * time.Millisecond
	// From busyShare of its CPU (over the last measure) runners that finish take the open tasks
	// due themselves; below lightShare over lightMeasures measures in a row in which no open task
	// found the runners short, they leave them to the scheduler's wake-ups (in between, and over
	// one light measure, they go on as they did: a worker near either share does not switch at
	// every measure, nor a busy one at a moment another program takes its CPU, nor one whose
	// runners are too few, as when it starts). A worker loaded (gauge: work handed out and not
	// begun at loadedWakes wake-ups in a row, as when other programs take the CPU) sends them back
	// to taking the tasks at once: left to the wake-ups, the tasks' hand-offs would wait for the
	// CPU too, and count towards saturation. Left to the wake-ups, the tasks cost 9.5 µs per
	// request against 13.8 at 40,000/s on one core against nginx, 8.0 against 8.9 at 80,000/s
	// (about half the core); from 100,000/s more than runners taking them, which also keeps fewer
	// runners (ratebench, 2026-12-06). Saturated, or with the CPU not known, runners take them.
	busyShare     = 0.75
	lightShare    = 0.6
	lightMeasures = 2
	// leaveFor is how long an open task that finds the CPU saturated may wait for a runner to
	// finish and take it before it is not started.
	leaveFor = time.Millisecond
	// idleRunners is how many runners may wait for work; one more that finishes exits, so that
	// a burst does not leave its goroutines behind.
	idleRunners = 256
)

// anyDue, as the time before which arrivals can have no runner: none (a runner is at hand).
const anyDue = time.Duration(math.MinInt64)

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

// users is a heap of open users by their next arrival (due), each keeping its place (index). It
// is written out for *openUser rather than built on container/heap: every arrival moves its user
// in it, and container/heap's calls through an interface to generic methods took 6 % of the CPU
// of a worker asked for 4 × what its core can send (perf).
type users []*openUser

func (h users) less(i, j int) bool { return h[i].due < h[j].due }

func (h users) swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}

func (h users) up(j int) {
	for j > 0 {
		i := (j - 1) / 2 // parent
		if !h.less(j, i) {
			break
		}
		h.swap(i, j)
		j = i
	}
}

// down moves the entry at i towards the leaves; it reports whether it moved.
func (h users) down(i int) bool {
	start := i
	for {
		j := 2*i + 1 // left child
		if j >= len(h) {
			break
		}
		if r := j + 1; r < len(h) && h.less(r, j) {
			j = r
		}
		if !h.less(j, i) {
			break
		}
		h.swap(i, j)
		i = j
	}
	return i > start
}

// fix puts the entry at i in its place after its due time changed.
func (h users) fix(i int) {
	if !h.down(i) {
		h.up(i)
	}
}

func (h *users) push(ou *openUser) {
	ou.index = len(*h)
	*h = append(*h, ou)
	h.up(ou.index)
}

// remove takes the entry at i out of the heap.
func (h *users) remove(i int) {
	last := len(*h) - 1
	out := (*h)[i]
	if i != last {
		h.swap(i, last)
	}
	(*h)[last] = nil
	*h = (*h)[:last]
	if i != last {
		h.fix(i)
	}
	out.index = -1
}

// job is a runner's piece of work: a user to resume (its start, or its next task after a wait),
// or an open task.
type job struct {
	user *User
	open openTask
}

type runner struct {
	jobs chan job
	// buffers of the open tasks it runs, kept from task to task: a slot holds none between its
	// tasks (a worker with many open users keeps few buffers), and passing them through
	// fasthttp's pools and handing them back for every task took about 1 % of the open model's CPU.
	buffers exchangeBuffers
}

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

	// Runners waiting for work, the last one freed at the end: a lock of its own, held for a
	// moment, so that runners never wait for one the scheduler holds while it hands work out.
	idleMu sync.Mutex
	idle   []*runner
	closed bool // no goroutine runs: runners that finish exit

	waiting      atomic.Int64 // work handed to a runner that has not begun it yet
	crowded      atomic.Bool  // users due found no runner: wake again soon, and users that loop yield
	saturatedNow atomic.Bool  // at the scheduler's last wake-up
	runnersTake  bool         // runners that finish take open tasks due (busyShare); under mu
	light        int          // measures of the CPU in a row below lightShare, up to lightMeasures
	runners      atomic.Int64 // runners alive, busy or idle

	// The open model's runners: at most limit (steer moves it, up to maxRunners).
	limit      atomic.Int64
	maxRunners int          // the connection limit; 0 in the closed model: no limit
	short      bool         // an open task found no runner since the CPU was last measured
	done       atomic.Int64 // open tasks done
	steering   struct {     // steer's, from one measure to the next
		at     time.Time
		done   int64
		roomy  int     // measures in a row that found tasks short of runners and the CPU with room
		needed int     // roomy measures that start a try (at least roomyMeasures)
		trial  bool    // the limit grew at the last measure
		before float64 // tasks done per second before it grew
		undo   int64   // the limit before it grew

		crowded int   // measures in a row that found tasks short of runners on a saturated CPU
		fewer   int   // crowded measures that start a try of fewer runners (at least roomyMeasures)
		shrunk  int   // measures since the limit was made smaller, while that is tried; 0: none
		kept    int64 // the limit before it was made smaller
	}

	// The scheduler goroutine's own: signs of saturation.
	cpu            cpuMeter
	backlog        int       // wake-ups in a row, quantum apart at least, that found handed work not begun
	backlogSince   time.Time // the first of them
	checked        time.Time // when backlog was last counted
	loadedUntil    time.Time // the worker counts as loaded by backlog until then
	saturatedUntil time.Time // and as saturated

	// What open tasks that are not started are recorded with (the task's name as the name).
	busy, behind, saturated string
	skips                   skips
}

// skips are arrivals counted as not started and not recorded yet, all for one reason and one
// outbox (see skip).
type skips struct {
	pending bool
	rec     recording
	reason  string
	counts  []int64 // by task
}

func newScheduler(r *Runtime) *scheduler {
	s := &scheduler{r: r, changed: make(chan bool, 1), cpu: cpuMeter{read: ProcessCPU}, runnersTake: true}
	if a := r.class.Arrival; a != nil {
		s.maxRunners = r.class.HTTP.MaxConns
		s.limit.Store(int64(min(startRunners, s.maxRunners)))
	}
	return s
}

// gauge reads the signs of saturation at a wake-up and, once per measure of the CPU, moves the
// open model's runner limit. It returns two verdicts. loaded, the quick one (the CPU full over
// the last measure, or work not begun at loadedWakes wake-ups in a row): closed-model users due
// wait for a runner to finish instead of starting one more, and the open model's limit holds.
// saturated, the slow one (full over two measures in a row, or saturatedWakes wake-ups over
// saturatedAfter): open tasks left leaveFor are not started. A user that waits for a runner
// because of a burst loses little, and 50,000 users spawned at once need the quick sign not to
// start a runner and a connection each; an arrival not started is lost, so that needs a load,
// not a burst. The caller is the scheduler goroutine and holds s.mu.
func (s *scheduler) gauge(now time.Time) (loaded, saturated bool) {
	switch {
	case s.waiting.Load() == 0:
		s.backlog, s.checked = 0, now
	case now.Sub(s.checked) >= quantum:
		if s.backlog == 0 {
			s.backlogSince = now
		}
		s.backlog, s.checked = s.backlog+1, now
	}
	if s.backlog >= loadedWakes {
		s.loadedUntil = now.Add(saturatedFor)
	}
	if s.backlog >= saturatedWakes && now.Sub(s.backlogSince) >= saturatedAfter {
		s.saturatedUntil = now.Add(saturatedFor)
	}
	share, measured := s.cpu.share(now)
	saturated = s.cpu.full() || now.Before(s.saturatedUntil)
	loaded = saturated || share >= cpuFull || now.Before(s.loadedUntil)
	s.saturatedNow.Store(saturated)
	if measured {
		s.light = min(s.light+1, lightMeasures)
		if share >= lightShare || s.short {
			s.light = 0
		}
	}
	if loaded { // work not begun lately (the CPU is taken, whatever it reads), or a full measure
		s.light = 0
	}
	switch {
	case loaded || share >= busyShare || s.cpu.read == nil:
		s.runnersTake = true
	case s.light >= lightMeasures:
		s.runnersTake = false
	}
	if measured && s.maxRunners > 0 {
		s.steer(now, loaded, saturated)
	}
	return loaded, saturated
}

// steer moves the open model's runner limit after a measure of the CPU. When open tasks found no
// runner while the CPU was mostly idle, measure after measure (the last two measures idle: one
// alone may be a stall, the process off its core, which read as idle had the limit doubled after
// each kernel stall: 129–245 goroutines at 0.8 × saturation instead of 45–82, and 2–7 % more CPU
// per request), it doubles. When they found none while it had room, it tries a quarter more, and
// keeps them if the tasks done per second rose by trialGain at least over the next measure: a
// slow server needs them. If they did not, the CPU was only a moment idle (the runners all
// waiting for answers): the limit goes back, and the next try waits twice as long. On a loaded
// CPU it does not grow: more runners would queue for the CPU, with more connections (on a
// saturated one fewer are tried first: fewerRunners). Loaded, not only
// saturated: CPU that other programs take reads as idle in the process's own CPU time, and only
// work not begun says it is taken (a kernel thread that stalls the worker every half second had
// the limit doubled after each stall: 325–405 goroutines at 0.8 × saturation instead of 165–193).
func (s *scheduler) steer(now time.Time, loaded, saturated bool) {
	st := &s.steering
	done := s.done.Load()
	rate := float64(done-st.done) / max(now.Sub(st.at).Seconds(), 1e-9)
	st.done, st.at = done, now
	short := s.short
	s.short = false
	if s.fewerRunners(short, saturated) {
		return
	}
	if st.trial {
		st.trial = false
		if rate < st.before*(1+trialGain) {
			s.limit.Store(st.undo)
			st.needed = min(2*st.needed, maxRoomy)
		} else {
			st.needed = roomyMeasures
		}
		return
	}
	if short && !loaded {
		st.roomy++
	} else {
		st.roomy = 0
	}
	limit := s.limit.Load()
	switch {
	case st.roomy < roomyMeasures || limit >= int64(s.maxRunners):
	case s.cpu.idle(): // the runners wait for answers, not for the CPU: no try needed
		st.roomy = 0
		s.limit.Store(min(2*limit, int64(s.maxRunners)))
	case st.roomy >= st.needed:
		st.roomy, st.trial, st.before, st.undo = 0, true, rate, limit
		s.limit.Store(min(limit+max(growMin, limit/4), int64(s.maxRunners)))
	}
}

// fewerRunners tries a smaller runner limit when open tasks found no runner on a saturated CPU,
// measure after measure, and reports whether it acted (steer leaves the limit alone then). On a
// saturated CPU the runners needed are those that keep it full: a quarter fewer is kept if the
// CPU is still full shrinkSettle measures later, once the runners beyond the limit have finished
// what they had in hand; if it is not, the rest wait for answers, the limit goes back and the next
// try waits twice as long. Judged by the tasks done per second instead (kept unless they fell by
// trialGain), the tries went on cutting runners a server answering in 5 ms needed, whose loss
// shows only after their requests in flight: 5 % less sent under overload. Judged by the CPU,
// the worker sent 133,000–142,000/s after a 2 s stall of the server against 107,000–126,000/s
// without the tries, and the same as without them elsewhere (ratebench, docs/open-model.md).
func (s *scheduler) fewerRunners(short, saturated bool) bool {
	st := &s.steering
	if st.shrunk > 0 {
		st.shrunk++
		if st.shrunk <= shrinkSettle { // the runners beyond it finish what they have in hand first
			return true
		}
		st.shrunk = 0
		if s.cpu.last < cpuFull { // they were needed: the rest now wait for answers
			s.limit.Store(st.kept)
			st.fewer = min(2*max(st.fewer, roomyMeasures), maxRoomy)
		} else {
			st.fewer = roomyMeasures
		}
		return true
	}
	if short && saturated {
		st.crowded++
	} else {
		st.crowded = 0
	}
	limit := s.limit.Load()
	if st.trial || st.crowded < max(st.fewer, roomyMeasures) || limit <= startRunners {
		return false
	}
	st.crowded, st.shrunk, st.kept = 0, 1, limit
	s.limit.Store(max(limit-max(growMin, limit/4), startRunners))
	return true
}

// room is how many new runners open tasks may start now: up to the limit, none while work
// handed out has not begun.
func (s *scheduler) room() int {
	if s.waiting.Load() > 0 {
		return 0
	}
	return int(s.limit.Load() - s.runners.Load())
}

// retire ends a runner that finished its work if there are more than the limit; the caller
// then exits.
func (s *scheduler) retire() bool {
	if s.maxRunners == 0 {
		return false
	}
	for {
		n := s.runners.Load()
		if n <= s.limit.Load() {
			return false
		}
		if s.runners.CompareAndSwap(n, n-1) {
			return true
		}
	}
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

// yield puts u, a user that loops without a wait, back on the heap, due now, when users due
// wait for a runner on a saturated CPU, so that its runner takes the one due first; false when
// none waits or u is being retired.
func (s *scheduler) yield(u *User) bool {
	if !s.crowded.Load() {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if u.ctx.Err() != nil {
		return false
	}
	u.wake = s.clock.Now().Sub(s.epoch)
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
	ou.sched = newSchedule(s.clock.Now().Sub(s.epoch), a, ou.u.Rand)
	ou.due = ou.sched.next()
	s.users.push(ou)
	s.joined++
}

// leave takes ou off the arrival schedule and waits for its open tasks.
func (s *scheduler) leave(ou *openUser) {
	s.mu.Lock()
	if ou.index >= 0 {
		s.users.remove(ou.index)
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
	if s.crowded.Load() {
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

// arrive hands out the work due by now: users to resume, then open tasks in order.
func (s *scheduler) arrive(now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	loaded, saturated := s.gauge(now)
	at := now.Sub(s.epoch)
	s.crowded.Store(false)
	started := 0
	for len(s.sleepers) > 0 && s.sleepers[0].wake <= at {
		rn := s.freeRunner()
		if rn == nil {
			// On a loaded CPU they wait for a runner to finish and take them (users that loop
			// without a wait hand theirs over then: yield).
			if started >= burstRunners || loaded {
				s.crowded.Store(true)
				break
			}
			rn = s.newRunner()
			started++
		}
		s.hand(rn, job{user: heap.Pop(&s.sleepers).(*User)})
	}
	if s.r.class.Arrival != nil {
		s.arrivals(now, at, saturated)
		s.recordSkips(now)
	}
}

// arrivals hands out the open tasks due by now (at, from the epoch), in order, starting new
// runners up to the limit; when saturated, those left longer than leaveFor are not started. The
// caller holds s.mu.
func (s *scheduler) arrivals(now time.Time, at time.Duration, saturated bool) {
	left := at - leaveFor // due before it: left longer than leaveFor
	room := s.room()
	for len(s.users) > 0 && s.users[0].due <= at {
		rn := s.freeRunner()
		if rn == nil && room <= 0 {
			s.short = true
			if !saturated || s.users[0].due >= left {
				return // left for the runners that finish first: they take due work themselves
			}
			s.arrival(now, at, left) // not started, with its user's others left as long
			continue
		}
		j, ok := s.arrival(now, at, anyDue)
		switch {
		case !ok && rn != nil:
			s.park(rn)
		case ok && rn == nil:
			rn = s.newRunner()
			room--
			fallthrough
		case ok:
			s.hand(rn, j)
		}
	}
}

// arrival passes the arrival at the head of the heap, due by at (from the epoch): it returns its
// task as a job to run, or records it (and, in bulk, the same user's arrivals due by at that
// are not started for the same reason) as not started: when it is more than MaxLag late, when
// its user has MaxInFlight tasks open, or when it was due before runnerless (from the epoch) and
// can have no runner (anyDue: a runner is at hand). The caller holds s.mu.
func (s *scheduler) arrival(now time.Time, at, runnerless time.Duration) (job, bool) {
	a := s.r.class.Arrival
	ou := s.users[0]
	due := ou.due
	ou.sched.advance()
	ou.due = ou.sched.next()
	s.users.fix(0)
	ti := s.r.pick(ou.u.Rand)
	t := &s.r.class.Tasks[ti]
	lag := at - due
	if behind := at - a.MaxLag; due < behind {
		s.skip(ou, ti, now, s.behind, behind)
		return job{}, false
	}
	if due < runnerless {
		s.skip(ou, ti, now, s.saturated, runnerless)
		return job{}, false
	}
	slot, ok := ou.slots.take()
	if !ok {
		ou.u.Session.rec.notStarted(t.Name, s.busy, 1, now)
		return job{}, false
	}
	if s.r.lag != nil {
		s.r.lag(lag)
	}
	slot.Iteration = ou.u.Iteration
	ou.u.Iteration++
	ou.open.Add(1)
	return job{open: openTask{task: t, user: ou, slot: slot, due: s.epoch.Add(due)}}, true
}

// due takes, for a runner that has finished its work, the next work due now, if any: a waiting
// user, else an open task, so that a busy worker's runners go from one task to the next without
// waiting to be handed it. On a saturated CPU, open tasks left longer than leaveFor on the way
// are recorded as not started, as the scheduler's wake-ups record them.
func (s *scheduler) due() (job, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stop == nil {
		return job{}, false
	}
	now := s.clock.Now()
	at := now.Sub(s.epoch)
	if len(s.sleepers) > 0 && s.sleepers[0].wake <= at {
		return job{user: heap.Pop(&s.sleepers).(*User)}, true
	}
	if s.r.class.Arrival == nil || !s.runnersTake { // gauge sets it whenever loaded
		return job{}, false
	}
	runnerless := anyDue // the runner at hand takes a task however late
	if s.saturatedNow.Load() {
		runnerless = at - leaveFor
	}
	defer s.recordSkips(now)
	for len(s.users) > 0 && s.users[0].due <= at {
		if j, ok := s.arrival(now, at, runnerless); ok {
			return j, true
		}
	}
	return job{}, false
}

// skip records the arrival at hand (of task number ti) as not started for reason, and with it every
// further arrival of ou due before (from the epoch), in one fix of the heap. The counts wait in
// s.skips for the end of the hand-out (recordSkips), so that the arrivals a saturated worker
// cannot start, user after user, cost it one record per task, not one per user. The caller holds
// s.mu.
func (s *scheduler) skip(ou *openUser, ti int, now time.Time, reason string, before time.Duration) {
	rec := ou.u.Session.rec
	if p := &s.skips; p.pending && (rec.out == nil || rec.out != p.rec.out || reason != p.reason) {
		s.recordSkips(now)
	}
	tasks := s.r.class.Tasks
	p := &s.skips
	if cap(p.counts) < len(tasks) {
		p.counts = make([]int64, len(tasks))
	}
	counts := p.counts[:len(tasks)]
	p.pending, p.rec, p.reason = true, rec, reason
	counts[ti]++
	for ou.due < before {
		counts[s.r.pick(ou.u.Rand)]++
		ou.sched.advance()
		ou.due = ou.sched.next()
	}
	s.users.fix(ou.index)
}

// recordSkips records the arrivals skip counted as not started since it last did, at now. Every
// hand-out that may skip (a wake-up's, a runner's due) calls it before it lets go of s.mu, so
// that nothing counted is left unrecorded when the users leave. The caller holds s.mu.
func (s *scheduler) recordSkips(now time.Time) {
	p := &s.skips
	if !p.pending {
		return
	}
	tasks := s.r.class.Tasks
	for i, n := range p.counts[:len(tasks)] {
		if n > 0 {
			p.rec.notStarted(tasks[i].Name, p.reason, n, now)
			p.counts[i] = 0
		}
	}
	*p = skips{counts: p.counts}
}

// newRunner starts a runner, which waits for the work it is handed.
func (s *scheduler) newRunner() *runner {
	rn := &runner{jobs: make(chan job, 1)}
	s.runners.Add(1)
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

// serve is a runner's goroutine: it does the work handed to it, and the work due when it has
// done it, one piece at a time.
func (s *scheduler) serve(rn *runner) {
	defer rn.buffers.release()
	for j := range rn.jobs {
		s.waiting.Add(-1)
		for ok := true; ok; j, ok = s.due() {
			if j.user != nil {
				s.r.resume(j.user)
			} else {
				s.runOpen(rn, j.open)
			}
			if s.retire() {
				return
			}
		}
		if !s.park(rn) {
			break
		}
	}
	s.runners.Add(-1)
}

// runOpen runs an open task on its slot, its first request timed from when it was due.
func (s *scheduler) runOpen(rn *runner, ot openTask) {
	slot := ot.slot
	slot.Session.due = ot.due
	slot.Session.lend(&rn.buffers)
	s.r.safe(ot.task.Name, func() { ot.task.Fn(slot) })
	slot.Session.due = time.Time{}
	slot.Session.giveBack(&rn.buffers)
	ot.user.slots.put(slot)
	ot.user.open.Done()
	s.done.Add(1)
}

// close ends the idle runners once the goroutine of generation run has ended (busy ones end
// when their work has), unless a user entered meanwhile and a new one runs.
func (s *scheduler) close(run int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.run != run || s.stop != nil {
		return
	}
	// The signs of saturation are the goroutine's own: the next one starts without them.
	s.cpu = cpuMeter{read: s.cpu.read}
	s.backlog, s.loadedUntil, s.saturatedUntil = 0, time.Time{}, time.Time{}
	s.runnersTake, s.light = true, 0 // until the CPU is measured light
	s.crowded.Store(false)
	s.idleMu.Lock()
	defer s.idleMu.Unlock()
	s.closed = true
	for _, rn := range s.idle {
		close(rn.jobs)
	}
	s.idle = nil
}
