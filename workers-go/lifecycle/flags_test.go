package lifecycle

import (
	"flag"
	"strings"
	"testing"
)

// Each bad value of boomer's flags and ours is reported naming the flag, before anything starts.
func TestValidateFlags(t *testing.T) {
	tasks := []string{"home", "items"}
	cases := []struct {
		flag, value, says string
	}{
		{"max-rps", "-5", `--max-rps: got "-5"; expected requests per second >= 0`},
		{"request-increase-rate", "xyz", `--request-increase-rate: got "xyz"; expected N or N/DURATION`},
		{"request-increase-rate", "10/soon", `--request-increase-rate: got "10/soon"`},
		{"request-increase-rate", "0", `--request-increase-rate: got "0"`},
		{"cpu-profile", "/no/such/dir/cpu.prof", `--cpu-profile: got "/no/such/dir/cpu.prof"; its directory does not exist`},
		{"mem-profile-duration", "0s", "--mem-profile-duration: got 0s; expected a positive duration"},
		{"run-tasks", "home,nosuch", `--run-tasks: no task named "nosuch"; the tasks are "home", "items"`},
		{"master-port", "70000", `--master-port: got "70000"; expected a port from 1 to 65535`},
		{"master-host", "", "--master-host: missing"},
		{"connect-timeout", "-1s", "--connect-timeout: got -1s; expected a positive duration"},
	}
	for _, c := range cases {
		t.Run(c.flag+"="+c.value, func(t *testing.T) {
			old := flag.Lookup(c.flag).Value.String()
			defer func() { _ = flag.Set(c.flag, old) }()
			if err := flag.Set(c.flag, c.value); err != nil {
				t.Fatal(err)
			}
			err := ValidateFlags(tasks)
			if err == nil || !strings.Contains(err.Error(), c.says) {
				t.Fatalf("got %v; want an error containing %q", err, c.says)
			}
		})
	}
	if err := ValidateFlags(tasks); err != nil {
		t.Fatalf("defaults rejected: %v", err)
	}
	_ = flag.Set("request-increase-rate", "100/1s")
	defer func() { _ = flag.Set("request-increase-rate", "-1") }()
	if err := ValidateFlags(tasks); err != nil {
		t.Fatalf("a valid increase rate rejected: %v", err)
	}
}
