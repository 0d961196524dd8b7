package lifecycle

import (
	"flag"
	"strings"
	"testing"

	"github.com/myzhan/boomer"
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
		// boomer would take 0 as its default and wait 60 s.
		{"master-heartbeat-timeout", "0s", "--master-heartbeat-timeout: got 0s; expected a positive duration such as 60s"},
		{"master-heartbeat-timeout", "-5s", "--master-heartbeat-timeout: got -5s; expected a positive duration"},
		// Taken, then dialled until --connect-timeout ran out ("no such host"), exit 1.
		{"master-host", "http://127.0.0.1", `--master-host: got "http://127.0.0.1"; expected a host name or IP address such as 127.0.0.1 or locust-master (no scheme, no port: the port is --master-port)`},
		{"master-host", "127.0.0.1:5557", `--master-host: got "127.0.0.1:5557"; expected a host name or IP address`},
		{"master-host", " 127.0.0.1", `--master-host: got " 127.0.0.1"; expected a host name or IP address`},
		// Taken, and sent as a broken header line with every request.
		{"reset-header", "X Reset", `--reset-header: got "X Reset"; expected a header name (letters, digits and !#$%&'*+.^_` + "`" + `|~-), e.g. X-Locust-Fleet-Reset`},
		{"reset-header", "X:Reset", `--reset-header: got "X:Reset"; expected a header name`},
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

// A worker waits for a silent master as long as Locust's own workers do unless told otherwise.
func TestMasterHeartbeatTimeout_defaultsToLocusts60s(t *testing.T) {
	if got := flag.Lookup("master-heartbeat-timeout").DefValue; got != "1m0s" {
		t.Fatalf("--master-heartbeat-timeout defaults to %s; want 1m0s", got)
	}
}

func TestValidateFlags_takes(t *testing.T) {
	for _, c := range []struct{ flag, value string }{
		{"master-host", "locust-master.load.svc.cluster.local"},
		{"master-host", "locust_master"},
		{"master-host", "::1"},
		{"master-host", "[::1]"},
		{"reset-header", "X-Locust-Fleet-Reset"},
		{"master-heartbeat-timeout", "5s"},
	} {
		old := flag.Lookup(c.flag).Value.String()
		_ = flag.Set(c.flag, c.value)
		if err := ValidateFlags(nil); err != nil {
			t.Errorf("--%s %q: %v", c.flag, c.value, err)
		}
		_ = flag.Set(c.flag, old)
	}
}

// A value from Locust's environment variable is named as such, not as the flag it sets.
func TestValidateFlags_namesTheVariable(t *testing.T) {
	defer func(old map[string]string) { sources = old }(sources)
	sources = map[string]string{"master-host": "LOCUST_MASTER_NODE_HOST"}
	defer func() { _ = flag.Set("master-host", "127.0.0.1") }()
	_ = flag.Set("master-host", "http://master")
	err := ValidateFlags(nil)
	if want := `LOCUST_MASTER_NODE_HOST: got "http://master"; expected a host name`; err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("got %v; want an error containing %q", err, want)
	}
}

// boomer-style tasks send their own requests: --reset-header could add nothing to them, and was
// ignored.
func TestRun_refusesResetHeader(t *testing.T) {
	defer func() { _ = flag.Set("reset-header", ""); _ = flag.Set("connect-timeout", "1m") }()
	_ = flag.Set("reset-header", "X-Locust-Fleet-Reset")
	_ = flag.Set("connect-timeout", "1s") // bounds the test when the flag is not refused
	if code := Run(&boomer.Task{Name: "t", Weight: 1, Fn: func() {}}); code != ExitUsage {
		t.Fatalf("exit code %d; want %d", code, ExitUsage)
	}
}
