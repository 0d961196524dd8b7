package scenario

import (
	"strconv"
	"testing"
)

// random(a, b) takes any whole numbers a <= b of 64 bits: random(0, 9223372036854775807) was
// refused as "out of order or range", its span beyond an int64.
func TestRandom_WholeInt64Range(t *testing.T) {
	t.Parallel()
	for _, bounds := range [][2]int64{{0, 9223372036854775807}, {-9223372036854775808, 9223372036854775807}, {-9223372036854775808, -9223372036854775807}, {7, 7}} {
		call := "random(" + strconv.FormatInt(bounds[0], 10) + ", " + strconv.FormatInt(bounds[1], 10) + ")"
		fn, err := randomInt(call)
		if err != nil {
			t.Fatalf("%s: %v", call, err)
		}
		u := newUser(1, nil)
		for range 1000 {
			n, err := strconv.ParseInt(string(fn(u, nil)), 10, 64)
			if err != nil || n < bounds[0] || n > bounds[1] {
				t.Fatalf("%s gave %d (%v)", call, n, err)
			}
		}
	}
	if _, err := randomInt("random(0, 9223372036854775808)"); err == nil || err.Error() != "{{ random(0, 9223372036854775808) }}: a bound beyond 64 bits; expected random(a, b) with whole numbers from -9223372036854775808 to 9223372036854775807" {
		t.Errorf("a bound beyond 64 bits: got %v", err)
	}
}
