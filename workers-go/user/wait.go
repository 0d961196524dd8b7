package user

import (
	"math/rand/v2"
	"time"
)

// Wait decides the pause after a task; took is how long the task ran.
type Wait interface {
	Next(took time.Duration, rnd *rand.Rand) time.Duration
}

type constant time.Duration

func (c constant) Next(time.Duration, *rand.Rand) time.Duration { return time.Duration(c) }

// Constant waits d after each task (Locust's constant).
func Constant(d time.Duration) Wait { return constant(d) }

type between struct{ min, max time.Duration }

func (b between) Next(_ time.Duration, rnd *rand.Rand) time.Duration {
	if b.max <= b.min {
		return b.min
	}
	return b.min + time.Duration(rnd.Int64N(int64(b.max-b.min)+1))
}

// Between waits a uniform random time in [min, max] (Locust's between). Swapped bounds are
// taken in order.
func Between(min, max time.Duration) Wait {
	if max < min {
		min, max = max, min
	}
	return between{min, max}
}

type pacing time.Duration

func (p pacing) Next(took time.Duration, _ *rand.Rand) time.Duration {
	return max(0, time.Duration(p)-took)
}

// Pacing starts a task every d whatever it took (Locust's constant_pacing): it waits d minus
// the task's time, or not at all when the task took longer than d.
func Pacing(d time.Duration) Wait { return pacing(d) }
