//go:build unix

package user

import (
	"syscall"
	"time"
)

// ProcessCPU is the process's CPU time so far, user and system, all threads (what the scheduler
// measures saturation by, and the benchmarks CPU per request).
func ProcessCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
