package hostname

import (
	"strings"
	"testing"
)

func TestValid(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"127.0.0.1", "::1", "localhost", "locust-master", "locust_master",
		"api.internal", "master.load.svc.cluster.local.", "xn--bcher-kva.example", strings.Repeat("a", 63) + ".b"} {
		if !Valid(s) {
			t.Errorf("Valid(%q) = false; want true", s)
		}
	}
	for _, s := range []string{"", " 127.0.0.1", "a b", "http://master", "master:5557", "[::1]", "a..b", ".a",
		"bücher.example", strings.Repeat("a", 64) + ".b", strings.Repeat("a.", 127) + "bc"} {
		if Valid(s) {
			t.Errorf("Valid(%q) = true; want false", s)
		}
	}
}
