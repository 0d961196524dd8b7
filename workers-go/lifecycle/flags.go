package lifecycle

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"locustfleet/worker/headername"
)

// ValidateFlags checks boomer's own flags before anything starts. boomer checks them late or not
// at all: a negative --max-rps or a bad --request-increase-rate only fails after connecting, and
// an unwritable --cpu-profile path is logged while the worker runs on without a profile.
// tasks are the names --run-tasks may choose from.
func ValidateFlags(tasks []string) error {
	value := func(name string) string { return flag.Lookup(name).Value.String() }
	if n, err := strconv.ParseInt(value("max-rps"), 10, 64); err != nil || n < 0 {
		return fmt.Errorf("--max-rps: got %q; expected requests per second >= 0 (0: no limit)", value("max-rps"))
	}
	if rate := value("request-increase-rate"); rate != "-1" && !validIncreaseRate(rate) {
		return fmt.Errorf("--request-increase-rate: got %q; expected N or N/DURATION with N > 0, e.g. 10 or 100/1s", rate)
	}
	for _, name := range []string{"cpu-profile", "mem-profile"} {
		if path := value(name); path != "" {
			if info, err := os.Stat(filepath.Dir(path)); err != nil || !info.IsDir() {
				return fmt.Errorf("--%s: got %q; its directory does not exist", name, path)
			}
		}
		if d, _ := time.ParseDuration(value(name + "-duration")); d <= 0 {
			return fmt.Errorf("--%s-duration: got %s; expected a positive duration", name, value(name+"-duration"))
		}
	}
	if names := value("run-tasks"); names != "" {
		known := map[string]bool{}
		for _, t := range tasks {
			known[t] = true
		}
		for _, name := range splitNames(names) {
			if !known[name] {
				return fmt.Errorf("--run-tasks: no task named %q; the tasks are %s", name, taskNames(tasks))
			}
		}
	}
	if name := *ResetHeader; name != "" && !headername.Valid(name) {
		return fmt.Errorf("--reset-header: got %q; expected a header name (%s), e.g. X-Locust-Fleet-Reset", name, headername.Allowed)
	}
	if _, err := userClassNames(); err != nil {
		return err
	}
	if *ConnectTimeout <= 0 {
		return fmt.Errorf("--connect-timeout: got %s; expected a positive duration", *ConnectTimeout)
	}
	// boomer takes 0 or less as its default: a value meant to give up at once would silently wait 60 s.
	if *MasterHeartbeatTimeout <= 0 {
		return fmt.Errorf("--master-heartbeat-timeout: got %s; expected a positive duration such as 60s", *MasterHeartbeatTimeout)
	}
	_, err := MasterAddr()
	return err
}

func validIncreaseRate(rate string) bool {
	step, period, found := strings.Cut(rate, "/")
	n, err := strconv.ParseInt(step, 10, 64)
	if err != nil || n <= 0 {
		return false
	}
	if !found {
		return true
	}
	d, err := time.ParseDuration(period)
	return err == nil && d > 0
}

func taskNames(tasks []string) string {
	names := make([]string, len(tasks))
	for i, t := range tasks {
		names[i] = strconv.Quote(t)
	}
	return strings.Join(names, ", ")
}

func splitNames(names string) []string { return strings.Split(names, ",") }
