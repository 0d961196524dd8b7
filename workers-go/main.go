// Command worker is a Locust worker in Go: boomer speaks the master's protocol and fasthttp
// sends the requests of a scenario file (or GET / against --target).
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

	"github.com/myzhan/boomer"

	"locustfleet/worker/fleet"
	"locustfleet/worker/httptask"
	"locustfleet/worker/scenario"
)

var (
	scenarioPath = flag.String("scenario", "", "Scenario file (YAML or JSON) describing the requests to send.")
	target       = flag.String("target", "", "Base URL of the system under test; overrides the scenario's host.")
)

// recorder hands outcomes to boomer, which aggregates them into the reports Locust reads.
type recorder struct{}

func (recorder) RecordSuccess(method, name string, ms, length int64) {
	boomer.RecordSuccess(method, name, ms, length)
}

func (recorder) RecordFailure(method, name string, ms int64, reason string) {
	boomer.RecordFailure(method, name, ms, reason)
}

func main() {
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "worker: unexpected argument %q; all options are flags (see -h)\n", flag.Arg(0))
		os.Exit(fleet.ExitUsage)
	}
	sc, err := load()
	if err != nil {
		fmt.Fprintf(os.Stderr, "worker: %v\n", err)
		os.Exit(fleet.ExitUsage)
	}
	log.Printf("worker: sending %v to %s", sc.Names(), sc.Host)

	var tasks []*boomer.Task
	for _, t := range httptask.New(sc, recorder{}).Tasks() {
		tasks = append(tasks, &boomer.Task{Name: t.Name, Weight: t.Weight, Fn: t.Fn})
	}
	os.Exit(fleet.Run(tasks...))
}

func load() (*scenario.Scenario, error) {
	if *scenarioPath == "" {
		return scenario.Default(*target)
	}
	return scenario.Load(*scenarioPath, *target)
}
