// Command custom is a worker whose task is plain Go code, the boomer way: the task sends its
// HTTP request itself (here with net/http), times it and records it with boomer.RecordSuccess /
// RecordFailure. lifecycle.Run adds what the project's worker does around it: the guard relay,
// the wait for the master, and exit 1 when the master is gone. For users with their own state
// (a login, cookies, waits), see examples/flow. docs/go-tasks.md shows how to build this from a
// module of your own.
//
//	go run ./examples/custom --master-host=127.0.0.1 --master-port=5557 --target http://127.0.0.1:8080
package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/myzhan/boomer"

	"locustfleet/worker/lifecycle"
)

// target is where home sends GET /: the worker's --target (Locust's -H/--host, LOCUST_HOST), by
// default the demo target.
var target string

// client keeps connections alive across requests: boomer runs the task in a loop per user.
var client = &http.Client{
	Timeout:   10 * time.Second,
	Transport: &http.Transport{MaxIdleConnsPerHost: 1000},
}

// home sends GET / and records it under the name "/" as Locust's HttpUser would.
func home() {
	start := time.Now()
	resp, err := client.Get(target + "/")
	if err != nil {
		boomer.RecordFailure("GET", "/", millis(start), err.Error())
		return
	}
	size, err := io.Copy(io.Discard, resp.Body) // the response time includes reading the body
	resp.Body.Close()
	switch {
	case err != nil:
		boomer.RecordFailure("GET", "/", millis(start), err.Error())
	case resp.StatusCode >= 400:
		boomer.RecordFailure("GET", "/", millis(start), fmt.Sprintf("unexpected status %d", resp.StatusCode))
	default:
		boomer.RecordSuccess("GET", "/", millis(start), size)
	}
}

// millis is the time since start rounded to the nearest millisecond, as the project's users record it.
func millis(start time.Time) int64 {
	return (time.Since(start) + time.Millisecond/2).Milliseconds()
}

func main() {
	lifecycle.ParseFlags()
	if target = lifecycle.Target(); target == "" {
		target = "http://127.0.0.1:8080"
	}
	os.Exit(lifecycle.Run(&boomer.Task{Name: "home", Weight: 1, Fn: home}))
}
