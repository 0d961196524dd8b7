// Command worker is a Locust worker in Go: boomer speaks the master's protocol and the user
// runtime runs Locust users that send the requests of a scenario file (or GET / against
// --target) with fasthttp.
//
//	go run main.go --master-host=127.0.0.1 --master-port=5557 --target http://127.0.0.1:8080
//	go run main.go --master-host=127.0.0.1 --scenario scenario.yaml
//
// Exit codes: 0 quit by the master or interrupted, 1 master lost, 2 bad flags or scenario.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"slices"

	"locustfleet/worker/lifecycle"
	"locustfleet/worker/scenario"
	"locustfleet/worker/user"
)

var (
	scenarioPath = flag.String("scenario", "", "Scenario file (YAML or JSON) describing the requests to send.")
	target       = flag.String("target", "", "Base URL of the system under test; overrides the scenario's host.")
)

func main() {
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "worker: unexpected argument %q; all options are flags (see -h)\n", flag.Arg(0))
		os.Exit(lifecycle.ExitUsage)
	}
	class, err := load()
	if err != nil {
		fmt.Fprintf(os.Stderr, "worker: %v\n", err)
		os.Exit(lifecycle.ExitUsage)
	}
	log.Printf("worker: running %v against %s", taskNames(class), class.Host)
	os.Exit(lifecycle.RunUsers(class))
}

// taskNames returns the distinct task names, sorted, for the log: a scenario may give many
// requests one name.
func taskNames(class *user.Class) []string {
	var names []string
	for _, t := range class.Tasks {
		names = append(names, t.Name)
	}
	slices.Sort(names)
	return slices.Compact(names)
}

func load() (*user.Class, error) {
	var sc *scenario.Scenario
	var err error
	if *scenarioPath == "" {
		sc, err = scenario.Default(*target)
	} else {
		sc, err = scenario.Load(*scenarioPath, *target)
	}
	if err != nil {
		return nil, err
	}
	return classOf(sc), nil
}

// classOf makes users of a scenario of single requests: each request is a task of its weight,
// and users send them back to back (no wait), as boomer's goroutines did.
func classOf(sc *scenario.Scenario) *user.Class {
	class := &user.Class{Host: sc.Host}
	for _, r := range sc.Requests {
		req := &user.Request{Method: r.Method, Path: r.Path, Name: r.Name, Timeout: r.Timeout, ExpectStatus: r.ExpectStatus}
		for _, h := range r.Headers {
			req.Headers = append(req.Headers, user.Header{Name: h.Name, Value: h.Value})
		}
		if r.Body != "" {
			req.Body = []byte(r.Body)
		}
		class.Tasks = append(class.Tasks, user.Task{Name: r.Name, Weight: r.Weight, Fn: func(u *user.User) { u.Session.Do(req) }})
	}
	return class
}
