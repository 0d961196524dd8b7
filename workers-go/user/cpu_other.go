//go:build !unix

package user

import "time"

// processCPU is not known here: the scheduler sees a saturated CPU only by work that waits to
// begin.
func processCPU() (time.Duration, bool) { return 0, false }
