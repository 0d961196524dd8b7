package headername

import "testing"

func TestValid(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"X-Locust-Fleet-Reset", "Content-Type", "x_y", "!#$%&'*+-.^_`|~09az"} {
		if !Valid(name) {
			t.Errorf("Valid(%q) = false; want true", name)
		}
	}
	for _, name := range []string{"", "X Reset", "X:Reset", "X\tY", "X\r\nY", "Ü", "X(Y)", "X\"Y", "X/Y", "X@Y", "X=Y"} {
		if Valid(name) {
			t.Errorf("Valid(%q) = true; want false", name)
		}
	}
}
