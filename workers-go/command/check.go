package command

import (
	"flag"
	"fmt"
	"io"

	"locustfleet/worker/lifecycle"
	"locustfleet/worker/scenario"
	"locustfleet/worker/user"
)

var checkOnly = flag.Bool("check", false,
	"Only check --scenario (and the other flags, as a run checks them): load and compile it, print a summary of what it holds (or every mistake) and exit 0 (or 2); connects to nothing.")

// CheckOnly says whether --check was given: check and exit, connect to nothing.
func CheckOnly() bool { return *checkOnly }

// Check is --check: the scenario (with --target and the TLS flags) loaded and compiled
// as for a run and the other flags checked as a run checks them, its summary on out or its
// mistakes on errOut; the exit code.
func Check(out, errOut io.Writer) int {
	if *scenarioPath == "" {
		fmt.Fprintln(errOut, "worker: --check: no --scenario; expected --scenario FILE, the file to check")
		return lifecycle.ExitUsage
	}
	class, summary, err := scenario.Describe(*scenarioPath, lifecycle.Target())
	if err == nil {
		err = applyTLSFlags(class, true)
	}
	if err == nil { // what a run would refuse at start (--max-rps -1, --run-tasks of no task, ...)
		err = lifecycle.ValidateFlags(taskNames(class))
	}
	if err != nil {
		fmt.Fprintf(errOut, "worker: %v\n", err)
		return lifecycle.ExitUsage
	}
	fmt.Fprint(out, summary)
	return lifecycle.ExitOK
}

// taskNames are the names --run-tasks may choose from.
func taskNames(class *user.Class) []string {
	names := make([]string, len(class.Tasks))
	for i, t := range class.Tasks {
		names[i] = t.Name
	}
	return names
}
