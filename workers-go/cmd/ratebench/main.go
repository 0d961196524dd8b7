// Command ratebench measures the user runtime at a set request rate, for `make bench`: users
// send GET to -target for -seconds, in the open model (each user -rate/-users tasks a second on
// its arrival schedule) or the closed model (each user paced to the same rate, waiting for each
// answer; the users started one after another over one pacing interval). After a one-second
// warm-up it counts the requests answered, the process's CPU time and, in the open model, how
// late each task started (schedule lag) and the arrivals it could not start, and the goroutines
// alive at its end (the runtime's concurrency), and prints them as JSON.
// It runs the runtime without a master: boomer's stats cost the same in both models.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"sync/atomic"
	"time"

	"locustfleet/worker/user"
)

// lagBucket is the schedule lag histogram's resolution; lags beyond lagBuckets of them are
// counted in the last bucket.
const (
	lagBucket  = 10 * time.Microsecond
	lagBuckets = 100_000 // 1 s
)

// counter counts answers as the task gets them, and arrivals the open model could not start as
// the runtime records them, once measuring has begun. It takes the runtime's records in batches,
// as the worker's boomer recorder does, so that recording costs here what it costs a worker;
// answers are counted by the task itself, so that the window is exact (a batch is handed over
// up to 200 ms after its records).
type counter struct {
	measuring         atomic.Bool
	ok, fail, skipped atomic.Int64
}

func (c *counter) answered(ok bool) {
	switch {
	case !c.measuring.Load():
	case ok:
		c.ok.Add(1)
	default:
		c.fail.Add(1)
	}
}

func (c *counter) RecordSuccess(_, _ string, _, _ int64) {}

func (c *counter) RecordFailure(method, _ string, _ int64, _ string) {
	if method == user.ArrivalType && c.measuring.Load() {
		c.skipped.Add(1)
	}
}

func (c *counter) RecordBatch(records []user.Record) {
	if !c.measuring.Load() {
		return
	}
	for _, r := range records {
		if r.Failed && r.Method == user.ArrivalType {
			c.skipped.Add(r.Count)
		}
	}
}

type result struct {
	Model         string  `json:"model"`
	SetRate       float64 `json:"set_rate"`
	Users         int     `json:"users"`
	Seconds       float64 `json:"seconds"`
	Requests      int64   `json:"requests"`
	Failures      int64   `json:"failures"`
	Skipped       int64   `json:"skipped"`
	Rate          float64 `json:"rate"`
	CPUSeconds    float64 `json:"cpu_seconds"`
	LagP50Ms      float64 `json:"lag_p50_ms"`
	LagP99Ms      float64 `json:"lag_p99_ms"`
	LagMaxMs      float64 `json:"lag_max_ms"`
	ResponseP50Ms float64 `json:"response_p50_ms,omitempty"` // with -response-times
	ResponseP99Ms float64 `json:"response_p99_ms,omitempty"`
	Goroutines    int     `json:"goroutines"` // at the end of the measured seconds: the runtime's concurrency
}

func main() {
	target := flag.String("target", "", "Base URL to GET, e.g. http://127.0.0.1:8080 (loopback only).")
	path := flag.String("path", "/", "Path to GET on -target.")
	rate := flag.Float64("rate", 1000, "Requests per second in all.")
	users := flag.Int("users", 50, "Users sharing the rate.")
	seconds := flag.Float64("seconds", 10, "Measured seconds, after a one-second warm-up.")
	model := flag.String("model", "open", "open (arrival schedule) or closed (paced users).")
	profile := flag.String("cpuprofile", "", "Write a CPU profile of the measured seconds to this file.")
	timed := flag.Bool("response-times", false, "Also time each request (two clock reads more per request) and report the response time's median and p99.")
	inFlight := flag.Int("max-in-flight", 0, "Open model: tasks one user may have open (0: the default, rate × timeout).")
	flag.Parse()
	if *rate <= 0 || *users <= 0 || *seconds <= 0 || (*model != "open" && *model != "closed") {
		fmt.Fprintln(os.Stderr, "ratebench: expected -rate > 0, -users > 0, -seconds > 0 and -model open or closed")
		os.Exit(2)
	}
	perUser := *rate / float64(*users)
	rec := &counter{}
	var took []atomic.Int64 // response times, in lag buckets, with -response-times
	if *timed {
		took = make([]atomic.Int64, lagBuckets)
	}
	class := &user.Class{Host: *target, Tasks: []user.Task{{Name: "get", Weight: 1, Fn: func(u *user.User) {
		var start time.Time
		if *timed {
			start = time.Now()
		}
		rec.answered(u.Session.Do(&user.Request{Path: *path, Name: *path}).OK())
		if *timed && rec.measuring.Load() {
			took[min(int(time.Since(start)/lagBucket), lagBuckets-1)].Add(1)
		}
	}}}}
	if *model == "open" {
		class.Arrival = &user.Arrival{Rate: perUser, MaxInFlight: *inFlight}
	} else {
		class.Wait = user.Pacing(time.Duration(float64(time.Second) / perUser))
	}
	lags := make([]atomic.Int64, lagBuckets)
	rt, err := user.New(class, rec, user.WithScheduleLag(func(lag time.Duration) {
		if rec.measuring.Load() {
			lags[min(int(lag/lagBucket), lagBuckets-1)].Add(1)
		}
	}))
	if err != nil {
		fmt.Fprintf(os.Stderr, "ratebench: %v\n", err)
		os.Exit(2)
	}
	if *model == "closed" {
		// Started one after another over one pacing interval, as a spawn rate starts them, the
		// users send evenly spread, as the open model's users do (each from a phase of its own);
		// started together they would stay in lockstep, their answers coming back in bursts that
		// save the process wake-ups a real test does not save.
		for n := 1; n <= *users; n++ {
			rt.SetUsers(n)
			time.Sleep(time.Duration(float64(time.Second) / perUser / float64(*users)))
		}
	} else {
		rt.SetUsers(*users)
	}
	time.Sleep(time.Second)

	if *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			fmt.Fprintf(os.Stderr, "ratebench: -cpuprofile: %v\n", err)
			os.Exit(2)
		}
		_ = pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	cpu0, _ := user.ProcessCPU()
	t0 := time.Now()
	rec.measuring.Store(true)
	time.Sleep(time.Duration(*seconds * float64(time.Second)))
	rec.measuring.Store(false)
	cpu1, _ := user.ProcessCPU()
	elapsed := time.Since(t0).Seconds()
	goroutines := runtime.NumGoroutine()
	ok, fail, skipped := rec.ok.Load(), rec.fail.Load(), rec.skipped.Load()
	rt.Stop()

	r := result{Model: *model, SetRate: *rate, Users: *users, Seconds: elapsed, Requests: ok, Failures: fail, Skipped: skipped,
		Rate: float64(ok+fail) / elapsed, CPUSeconds: (cpu1 - cpu0).Seconds(), Goroutines: goroutines}
	r.LagP50Ms, r.LagP99Ms, r.LagMaxMs = quantiles(lags)
	r.ResponseP50Ms, r.ResponseP99Ms, _ = quantiles(took)
	_ = json.NewEncoder(os.Stdout).Encode(r)
}

// quantiles returns the median, p99 and largest schedule lag in milliseconds (0 when none was
// observed: the closed model has no schedule).
func quantiles(lags []atomic.Int64) (p50, p99, maxMs float64) {
	total := int64(0)
	for i := range lags {
		total += lags[i].Load()
	}
	if total == 0 {
		return 0, 0, 0
	}
	ms := func(i int) float64 { return float64(time.Duration(i+1)*lagBucket) / float64(time.Millisecond) }
	half, most := (total+1)/2, (total*99+99)/100
	seen := int64(0)
	for i := range lags {
		n := lags[i].Load()
		if n == 0 {
			continue
		}
		if seen < half && seen+n >= half {
			p50 = ms(i)
		}
		if seen < most && seen+n >= most {
			p99 = ms(i)
		}
		seen += n
		maxMs = ms(i)
	}
	return p50, p99, maxMs
}
