// Package command is the worker command's own part beside boomer's and lifecycle's flags: its
// --scenario, --check and --tls-* flags, and the class a run or a check loads from them. It
// keeps package main to main.go alone, so that `go run main.go`, the command the docs give,
// builds: go run with a file name compiles that file and no other of its directory.
package command

import (
	"flag"

	"locustfleet/worker/lifecycle"
	"locustfleet/worker/scenario"
	"locustfleet/worker/user"
)

var scenarioPath = flag.String("scenario", "", "Scenario file (YAML or JSON) describing the requests to send.")

// Load is the class a run sends: the scenario's, or GET / against --target without one, with
// the --tls-* flags applied.
func Load() (*user.Class, error) {
	var class *user.Class
	var err error
	if *scenarioPath == "" {
		class, err = scenario.Default(lifecycle.Target())
	} else {
		class, err = scenario.Load(*scenarioPath, lifecycle.Target())
	}
	if err != nil {
		return nil, err
	}
	return class, applyTLSFlags(class, *scenarioPath != "")
}
