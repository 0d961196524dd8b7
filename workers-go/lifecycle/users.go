package lifecycle

import (
	"flag"
	"fmt"
	"log"
	"math"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/myzhan/boomer"

	"locustfleet/worker/guard"
	"locustfleet/worker/urlesc"
	"locustfleet/worker/user"
	"locustfleet/worker/usernumbers"
)

// numbersTimeout is how long users wait for the master's block of user numbers before the
// request is recorded as a failure and sent again.
const numbersTimeout = 10 * time.Second

// lastReportWait bounds how long a worker that is interrupted during a test waits for the
// report showing that its stopped users' requests were all sent: boomer reports every 3 s.
const lastReportWait = 7 * time.Second

// settle is how long boomer's stats loop gets to take in the last recorded requests before the
// worker starts waiting for a report that measured nothing.
const settle = 100 * time.Millisecond

// wakeAfter are the delays after a change of the user count at which boomer's goroutines parked
// in the users task are woken, so that those boomer has cancelled meanwhile exit: boomer cancels
// right after the event, the second wake is for one that was late.
var wakeAfter = [...]time.Duration{50 * time.Millisecond, time.Second}

// RunUsers runs users of class as a worker of the master named by the flags and blocks until
// the worker should exit; it returns the process exit code (2 for a bad class or flags, before
// connecting). boomer speaks the protocol and keeps the stats; the user runtime owns the users:
// each spawn message sets their number, a stop retires them all.
//
// With --run-tasks it runs one user through OnStart, the named tasks and OnStop without a
// master, logging every request, and returns 0 (1 when OnStart failed).
func RunUsers(class *user.Class) int {
	ParseFlags()
	var names []string
	if class != nil {
		for _, t := range class.Tasks {
			names = append(names, t.Name)
		}
	}
	if err := ValidateFlags(names); err != nil {
		log.Printf("worker: %v", err)
		return ExitUsage
	}
	if runTasks := flag.Lookup("run-tasks").Value.String(); runTasks != "" {
		return runOnce(class, runTasks)
	}
	limiter, err := rateLimiter()
	if err != nil {
		log.Printf("worker: %v", err)
		return ExitUsage
	}
	rec := &boomerRecorder{}
	var opts []user.Option
	if limiter != nil {
		opts = append(opts, user.WithLimiter(limiter))
	}
	var numbers *usernumbers.Client
	if class != nil && class.FleetNumbers {
		numbers = usernumbers.New(
			func(data map[string]any) { rec.b.SendCustomMessage(usernumbers.MessageType, data) },
			func(reason string) { rec.RecordFailure("USER", "user numbers", 0, reason) },
			numbersTimeout)
		opts = append(opts, user.WithNumbers(numbers))
	}
	rt, err := newRuntime(class, rec, opts...)
	if err != nil {
		log.Printf("worker: %v", err)
		return ExitUsage
	}
	users := &usersTask{rt: rt, numbers: numbers, wake: make(chan struct{})}
	runs, _ := userClassNames() // checked by ValidateFlags
	classes := &classFilter{runs: runs, record: func(reason string) { rec.RecordFailure("USER", "user classes", 0, reason) }}
	distinct := slices.Compact(slices.Sorted(slices.Values(names)))
	log.Printf("worker: will run tasks %s against %s for user class %s (--user-class)", taskNames(distinct), urlesc.Redact(class.Host), quoteNames(runs))
	if a := class.Arrival; a != nil {
		dist := "constant"
		if a.Poisson {
			dist = "poisson"
		}
		log.Printf("worker: open model: each user starts %g tasks/s (%s), whether or not earlier ones finished; the total rate is users × %g/s", a.Rate, dist, a.Rate)
	}
	return connected(func(relay *guard.Relay) (<-chan struct{}, func()) {
		port, _ := strconv.Atoi(flag.Lookup("master-port").Value.String())
		b := boomer.NewBoomer(flag.Lookup("master-host").Value.String(), port)
		rec.b = b
		// Retired users finish their request in hand and OnStop: a drain's report of no users
		// must come after theirs, or the master stops the test before they are counted.
		b.SetUserCounter(rt.Alive)
		b.SetMasterHeartbeatTimeout(*MasterHeartbeatTimeout)
		b.SetSpawnFilter(classes.filter)
		_ = boomer.Events.Subscribe(boomer.EVENT_STOP, classes.newTest)
		rec.cut = newStatsCut(b, relay, *ResetHeader, users.testRunning)
		rec.cut.subscribe()
		enableProfiles(b)
		sendChecks(b, class.Checks)
		quit := users.subscribe()
		if limiter != nil {
			limiter.Start()
		}
		b.Run(&boomer.Task{Name: "users", Weight: 1, Fn: users.park})

		done := make(chan struct{})
		go func() {
			defer close(done)
			interrupt := make(chan os.Signal, 1)
			signal.Notify(interrupt, syscall.SIGINT, syscall.SIGTERM)
			defer signal.Stop(interrupt)
			select {
			case <-interrupt:
				users.reportLast(relay)
				b.Quit()               // tells the master, then closes boomer's connection
				relay.Flush(closeWait) // the quit reaches the master before the process ends
			case <-quit:
			}
		}()
		return done, func() {
			rt.Stop()
			if limiter != nil {
				limiter.Stop()
			}
		}
	})
}

// usersTask connects boomer's events to the user runtime. boomer knows no users: on a spawn it
// starts or cancels goroutines that call its tasks in a loop. The runtime keeps the users, and
// boomer's goroutines only park in the one task it is given.
type usersTask struct {
	rt      *user.Runtime
	numbers *usernumbers.Client // nil: users numbered on this worker

	mu       sync.Mutex
	wake     chan struct{} // closed (and replaced) when the user count changes
	inTest   bool          // between a spawn and the next stop: boomer reports
	quitting bool          // interrupted: spawns no longer start users
}

// reportLast is what an interrupted worker does before it tells the master it quits: boomer
// drops what it measured since its last report when it quits, so during a test the users are
// stopped (each finishes the request in hand) and the worker waits until boomer has sent a report
// that measured nothing, which shows that every earlier request went out (bounded by
// lastReportWait).
func (t *usersTask) reportLast(relay *guard.Relay) {
	t.mu.Lock()
	t.quitting = true
	inTest := t.inTest
	t.mu.Unlock()
	if !inTest {
		return
	}
	t.rt.Stop()
	time.Sleep(settle)
	select {
	case <-relay.QuietReport():
		log.Printf("worker: interrupted; the users' last requests are reported")
	case <-time.After(lastReportWait):
		log.Printf("worker: interrupted; no report within %v, the last requests may be uncounted", lastReportWait)
	}
}

// subscribe attaches the runtime to boomer's events; the channel is closed when boomer quits.
// boomer publishes them synchronously from its message loop, so the handlers must not block.
func (t *usersTask) subscribe() <-chan struct{} {
	// boomer:spawn comes before boomer changes its goroutines; the count is the total wanted.
	_ = boomer.Events.Subscribe(boomer.EVENT_SPAWN, func(users int, _ float64) {
		t.mu.Lock()
		t.inTest = true
		quitting := t.quitting
		t.mu.Unlock()
		if !quitting {
			t.rt.SetUsers(users)
		}
		t.wakeLater()
	})
	_ = boomer.Events.Subscribe(boomer.EVENT_STOP, func() {
		t.mu.Lock()
		t.inTest = false
		t.mu.Unlock()
		t.rt.SetUsers(0)
		if t.numbers != nil {
			t.numbers.Reset() // the master numbers the next test from 0 again
		}
		t.wakeLater()
	})
	if t.numbers != nil {
		var once sync.Once
		_ = boomer.Events.Subscribe(usernumbers.MessageType, func(msg *boomer.CustomMessage) {
			if err := t.numbers.Receive(msg.Data); err != nil {
				once.Do(func() { log.Printf("worker: %v (further bad answers are not logged)", err) })
			}
		})
	}
	quit := make(chan struct{})
	var once sync.Once
	_ = boomer.Events.Subscribe(boomer.EVENT_QUIT, func() { once.Do(func() { close(quit) }) })
	return quit
}

// testRunning tells whether boomer is between a spawn and the next stop (it reports then).
func (t *usersTask) testRunning() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.inTest
}

// park is the task boomer's goroutines run (one per Locust user): it waits without a timer, so
// that a worker holding many users spends nothing on them, and returns when the parked
// goroutines are woken after a change of the user count, so that one boomer cancelled exits.
func (t *usersTask) park() {
	t.mu.Lock()
	wake := t.wake
	t.mu.Unlock()
	<-wake
}

// wakeLater wakes the parked goroutines once boomer has cancelled the ones it no longer wants
// (the events come before boomer acts on them); the others park again.
func (t *usersTask) wakeLater() {
	for _, d := range wakeAfter {
		time.AfterFunc(d, func() {
			t.mu.Lock()
			close(t.wake)
			t.wake = make(chan struct{})
			t.mu.Unlock()
		})
	}
}

// boomerRecorder records through the Boomer the worker runs, past the cuts of the master's stats
// resets (a user.Stamper); both are set before any user starts. The runtime hands it its users'
// records in batches (user.BatchRecorder), one channel send to boomer's stats goroutine per batch.
type boomerRecorder struct {
	b   *boomer.Boomer
	cut *statsCut
}

func (r *boomerRecorder) RecordBatch(records []user.Record) { r.cut.recordBatch(records) }

func (r *boomerRecorder) RecordSuccess(method, name string, ms, length int64) {
	r.cut.record(0, false, boomer.Record{RequestType: method, Name: name, ResponseTime: ms, ResponseLength: length})
}

func (r *boomerRecorder) RecordFailure(method, name string, ms int64, reason string) {
	r.cut.record(0, false, boomer.Record{RequestType: method, Name: name, ResponseTime: ms, Failed: true, Exception: reason})
}

func (r *boomerRecorder) Stamp() (uint64, string) { return r.cut.Stamp() }

func (r *boomerRecorder) RecordSuccessStamped(stamp uint64, method, name string, ms, length int64) {
	r.cut.record(stamp, true, boomer.Record{RequestType: method, Name: name, ResponseTime: ms, ResponseLength: length})
}

func (r *boomerRecorder) RecordFailureStamped(stamp uint64, method, name string, ms int64, reason string) {
	r.cut.record(stamp, true, boomer.Record{RequestType: method, Name: name, ResponseTime: ms, Failed: true, Exception: reason})
}

// rateLimiter is boomer's limiter for --max-rps and --request-increase-rate (nil when neither
// is set), built as boomer builds it; the runtime applies it to every request of the worker.
func rateLimiter() (boomer.RateLimiter, error) {
	maxRPS, _ := strconv.ParseInt(flag.Lookup("max-rps").Value.String(), 10, 64)
	rate := flag.Lookup("request-increase-rate").Value.String()
	if rate != "-1" {
		if maxRPS <= 0 {
			maxRPS = math.MaxInt64
		}
		l, err := boomer.NewRampUpRateLimiter(maxRPS, rate, time.Second)
		if err != nil {
			return nil, fmt.Errorf("--request-increase-rate: %v", err)
		}
		return l, nil
	}
	if maxRPS > 0 {
		return boomer.NewStableRateLimiter(maxRPS, time.Second), nil
	}
	return nil, nil
}

func enableProfiles(b *boomer.Boomer) {
	value := func(name string) string { return flag.Lookup(name).Value.String() }
	if path := value("cpu-profile"); path != "" {
		d, _ := time.ParseDuration(value("cpu-profile-duration"))
		b.EnableCPUProfile(path, d)
	}
	if path := value("mem-profile"); path != "" {
		d, _ := time.ParseDuration(value("mem-profile-duration"))
		b.EnableMemoryProfile(path, d)
	}
}

// newRuntime is user.New with its error as the worker reports it. A class without a Host most
// often takes it from Target() and the worker was started without --target: the error says so,
// where the runtime alone could only say that Host is empty.
func newRuntime(class *user.Class, rec user.Recorder, opts ...user.Option) (*user.Runtime, error) {
	rt, err := user.New(class, rec, opts...)
	if err == nil {
		return rt, nil
	}
	if class != nil && class.Host == "" {
		return nil, fmt.Errorf("user class: %w (give the worker --target, -H/--host or LOCUST_HOST when the class's Host is lifecycle.Target())", err)
	}
	return nil, fmt.Errorf("user class: %w", err)
}

// runOnce is --run-tasks for users: one user, the named tasks once each, every request logged.
func runOnce(class *user.Class, names string) int {
	rt, err := newRuntime(class, logRecorder{})
	if err != nil {
		log.Printf("worker: %v", err)
		return ExitUsage
	}
	err = rt.RunOnce(splitNames(names))
	logChecks(class.Checks)
	if err != nil {
		log.Printf("worker: --run-tasks: %v", err)
		return ExitMasterLost
	}
	return ExitOK
}

type logRecorder struct{}

func (logRecorder) RecordSuccess(method, name string, ms, length int64) {
	log.Printf("worker: %s %s: success in %d ms, %d bytes", method, name, ms, length)
}

func (logRecorder) RecordFailure(method, name string, ms int64, reason string) {
	log.Printf("worker: %s %s: failure in %d ms: %s", method, name, ms, reason)
}
