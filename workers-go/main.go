// Command worker is a Locust worker in Go: boomer speaks the master's protocol and the user
// runtime runs Locust users that send the requests of a scenario file (or GET / against
// --target) with fasthttp.
//
//	go run . --master-host=127.0.0.1 --master-port=5557 --target http://127.0.0.1:8080
//	go run . --master-host=127.0.0.1 --scenario scenario.yaml
//	go run . --master-host=127.0.0.1 --target https://127.0.0.1:8443 --tls-ca-file ca.pem
//	go run . --scenario scenario.yaml --check
//
// Exit codes: 0 quit by the master or interrupted (--check: no mistake), 1 master lost, 2 bad
// flags or scenario.
package main

import (
	"flag"
	"fmt"
	"os"

	"locustfleet/worker/lifecycle"
	"locustfleet/worker/scenario"
	"locustfleet/worker/user"
)

var scenarioPath = flag.String("scenario", "", "Scenario file (YAML or JSON) describing the requests to send.")

func main() {
	lifecycle.ParseFlags()
	if *checkOnly {
		os.Exit(checkScenario(os.Stdout, os.Stderr))
	}
	class, err := load()
	if err != nil {
		fmt.Fprintf(os.Stderr, "worker: %v\n", err)
		os.Exit(lifecycle.ExitUsage)
	}
	os.Exit(lifecycle.RunUsers(class))
}

func load() (*user.Class, error) {
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
