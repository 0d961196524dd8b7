// Command custom is a worker whose task is Go code rather than HTTP users: the boomer way,
// timing the work itself and recording it with boomer.RecordSuccess / RecordFailure.
// lifecycle.Run adds what the project's worker does around it: the guard relay, and exit 1
// when the master is gone. For HTTP users with their own state, see examples/flow.
//
//	go run ./examples/custom --master-host=127.0.0.1 --master-port=5557
package main

import (
	"os"
	"time"

	"github.com/myzhan/boomer"

	"locustfleet/worker/lifecycle"
	"locustfleet/worker/user"
)

func compute() {
	start := time.Now()
	sum := 0
	for i := 0; i < 1_000_000; i++ {
		sum += i
	}
	if sum < 0 {
		boomer.RecordFailure("go", "compute", user.Millis(time.Since(start)), "overflow")
		return
	}
	boomer.RecordSuccess("go", "compute", user.Millis(time.Since(start)), 0)
}

func main() {
	os.Exit(lifecycle.Run(&boomer.Task{Name: "compute", Weight: 1, Fn: compute}))
}
