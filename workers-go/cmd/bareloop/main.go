// Command bareloop is the reference of `make bench` section 1: the least a Go load generator on
// fasthttp does. -connections goroutines each send GET -target in a loop on one fasthttp.Client
// (one keep-alive connection each), reusing one request and one response, and count the answers;
// nothing is timed, recorded or reported. It runs for -seconds after a one-second warm-up and
// prints the answers it counted in that window, the window's length and the process's CPU time in
// it as JSON.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"

	"locustfleet/worker/user"
)

type result struct {
	Connections int     `json:"connections"`
	Seconds     float64 `json:"seconds"`
	Requests    int64   `json:"requests"`
	Errors      int64   `json:"errors"`
	Rate        float64 `json:"rate"`
	CPUSeconds  float64 `json:"cpu_seconds"`
}

func main() {
	target := flag.String("target", "", "URL to GET, e.g. http://127.0.0.1:8080/ (loopback only).")
	connections := flag.Int("connections", 50, "Goroutines, each with a keep-alive connection of its own.")
	seconds := flag.Float64("seconds", 10, "Measured seconds, after a one-second warm-up.")
	timeout := flag.Duration("timeout", 10*time.Second, "Per request, as the worker's default request timeout.")
	flag.Parse()
	if *target == "" || *connections <= 0 || *seconds <= 0 || *timeout <= 0 {
		fmt.Fprintln(os.Stderr, "bareloop: expected -target URL, -connections > 0, -seconds > 0 and -timeout > 0")
		os.Exit(2)
	}
	client := &fasthttp.Client{MaxConnsPerHost: *connections}
	var ok, failed atomic.Int64
	for range *connections {
		go func() {
			req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
			req.SetRequestURI(*target)
			for {
				if client.DoTimeout(req, resp, *timeout) == nil {
					ok.Add(1)
				} else {
					failed.Add(1)
				}
			}
		}()
	}
	time.Sleep(time.Second)
	cpu0, _ := user.ProcessCPU()
	ok0, failed0, t0 := ok.Load(), failed.Load(), time.Now()
	time.Sleep(time.Duration(*seconds * float64(time.Second)))
	cpu1, _ := user.ProcessCPU()
	ok1, failed1, elapsed := ok.Load(), failed.Load(), time.Since(t0).Seconds()
	r := result{Connections: *connections, Seconds: elapsed, Requests: ok1 - ok0, Errors: failed1 - failed0,
		Rate: float64(ok1-ok0) / elapsed, CPUSeconds: (cpu1 - cpu0).Seconds()}
	_ = json.NewEncoder(os.Stdout).Encode(r)
}
