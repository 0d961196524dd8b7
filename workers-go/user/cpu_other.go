//go:build !unix

package user

import "time"

// ProcessCPU is not known here: the scheduler sees a saturated CPU only by work that waits to
// begin.
func ProcessCPU() (time.Duration, bool) { return 0, false }
