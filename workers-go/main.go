// Command worker is a Locust worker in Go: boomer speaks the master's protocol and the user
// runtime runs Locust users that send the requests of a scenario file (or GET / against
// --target) with fasthttp.
//
//	go run main.go --master-host=127.0.0.1 --master-port=5557 --target http://127.0.0.1:8080
//	go run main.go --master-host=127.0.0.1 --scenario scenario.yaml
//	go run main.go --master-host=127.0.0.1 --target https://127.0.0.1:8443 --tls-ca-file ca.pem
//	go run main.go --scenario scenario.yaml --check
//
// Exit codes: 0 quit by the master or interrupted (--check: no mistake), 1 master lost, 2 bad
// flags or scenario.
package main

import (
	"fmt"
	"os"

	"locustfleet/worker/command"
	"locustfleet/worker/lifecycle"
)

// The worker's own flags and what it loads from them are in command/: main.go is package main
// alone, so that `go run main.go` builds.
func main() {
	lifecycle.ParseFlags()
	if command.CheckOnly() {
		os.Exit(command.Check(os.Stdout, os.Stderr))
	}
	class, err := command.Load()
	if err != nil {
		fmt.Fprintf(os.Stderr, "worker: %v\n", err)
		os.Exit(lifecycle.ExitUsage)
	}
	os.Exit(lifecycle.RunUsers(class))
}
