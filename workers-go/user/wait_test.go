package user

import (
	"math/rand/v2"
	"testing"
	"time"
)

func TestWait_Next(t *testing.T) {
	ms := time.Millisecond
	cases := []struct {
		name     string
		wait     Wait
		took     time.Duration
		min, max time.Duration
	}{
		{"constant ignores the task's time", Constant(200 * ms), 5 * time.Second, 200 * ms, 200 * ms},
		{"constant zero", Constant(0), 0, 0, 0},
		{"between stays within its bounds", Between(100*ms, 300*ms), 0, 100 * ms, 300 * ms},
		{"between with swapped bounds", Between(300*ms, 100*ms), 0, 100 * ms, 300 * ms},
		{"between equal bounds", Between(50*ms, 50*ms), 0, 50 * ms, 50 * ms},
		{"pacing waits the rest of the period", Pacing(time.Second), 300 * ms, 700 * ms, 700 * ms},
		{"pacing after an overrun does not wait", Pacing(time.Second), 1500 * ms, 0, 0},
		{"pacing exactly on time", Pacing(time.Second), time.Second, 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rnd := rand.New(rand.NewPCG(1, 2))
			for range 1000 {
				if got := c.wait.Next(c.took, rnd); got < c.min || got > c.max {
					t.Fatalf("got %s, want within [%s, %s]", got, c.min, c.max)
				}
			}
		})
	}
}

func TestBetween_Next_covers_the_range(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	w := Between(0, 10*time.Millisecond)
	var low, high bool
	for range 10000 {
		d := w.Next(0, rnd)
		low = low || d < 2*time.Millisecond
		high = high || d > 8*time.Millisecond
	}
	if !low || !high {
		t.Fatalf("got low=%v high=%v; want waits near both ends of [0, 10ms]", low, high)
	}
}
