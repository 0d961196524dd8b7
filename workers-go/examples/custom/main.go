// Command custom is a worker whose task is Go code rather than a scenario file: the boomer way,
// timing the work itself and recording it with boomer.RecordSuccess / RecordFailure. lifecycle.Run
// adds what the project's worker does around it: exit 1 when the master is gone.
//
//	go run ./examples/custom --master-host=127.0.0.1 --master-port=5557
package main

import (
	"os"
	"time"

	"github.com/myzhan/boomer"

	"locustfleet/worker/lifecycle"
	"locustfleet/worker/httptask"
)

func compute() {
	start := time.Now()
	sum := 0
	for i := 0; i < 1_000_000; i++ {
		sum += i
	}
	if sum < 0 {
		boomer.RecordFailure("go", "compute", httptask.Millis(time.Since(start)), "overflow")
		return
	}
	boomer.RecordSuccess("go", "compute", httptask.Millis(time.Since(start)), 0)
}

func main() {
	os.Exit(lifecycle.Run(&boomer.Task{Name: "compute", Weight: 1, Fn: compute}))
}
