package lifecycle

import (
	"flag"
	"fmt"
	"log"
	"slices"
	"strings"
	"sync"
	"unicode"
)

// DefaultUserClass is the placeholder class of the project's master locustfile
// (master/locustfile.py), which the Go workers stand for.
const DefaultUserClass = "GoWorkerUser"

// UserClasses is --user-class: the master's user classes whose users this worker runs.
var UserClasses = flag.String("user-class", DefaultUserClass,
	"The master's user class(es) this worker's users stand for, comma-separated: of each spawn it runs the users of these classes only. "+
		"Locust hands every worker a share of every class of the master's locustfile; the users of a class the worker does not run are not started, "+
		"reported as 0 and named once per test in Locust's failures (USER user classes).")

// userClassNames checks --user-class: Python class names, as Locust's spawn messages name them.
func userClassNames() ([]string, error) {
	names := splitNames(*UserClasses)
	for _, name := range names {
		if !pythonName(name) {
			return nil, fmt.Errorf("--user-class: got %q; expected the name of a user class of the master's locustfile (letters, digits and _, not starting with a digit), several separated by commas, e.g. %s", *UserClasses, DefaultUserClass)
		}
	}
	return names, nil
}

func pythonName(s string) bool {
	for i, r := range s {
		if !(r == '_' || unicode.IsLetter(r) || i > 0 && unicode.IsDigit(r)) {
			return false
		}
	}
	return s != ""
}

// classFilter keeps, of a spawn's user_classes_count, the classes the worker runs. Locust's
// dispatcher assumes every worker has every class of the master's locustfile (a Locust worker
// without one fails): a locustfile with a Python class beside the Go workers' one, or a class
// chosen in the web UI's class picker, gives a Go worker users of classes it does not have, which
// it ran as its own and reported as running. Now they are not started and are reported as 0, so
// the master's user count is the users that run, and each test says so once, in the worker's log
// and as a failure in Locust's table, where the person who chose the classes looks.
type classFilter struct {
	runs   []string
	record func(reason string) // a failure in Locust's statistics

	mu   sync.Mutex
	told map[string]bool // reasons recorded in this test
}

func (f *classFilter) filter(counts map[string]int64) map[string]int64 {
	out := make(map[string]int64, len(counts))
	var others, shares []string
	for class, n := range counts {
		if slices.Contains(f.runs, class) {
			out[class] = n
			continue
		}
		out[class] = 0
		if n > 0 {
			others = append(others, class)
			shares = append(shares, fmt.Sprintf("%d of %s", n, class))
		}
	}
	if len(others) == 0 {
		return out
	}
	slices.Sort(others)
	slices.Sort(shares)
	reason := fmt.Sprintf("the master asks this worker for users of %s, which it does not run: they are not started (Locust shows the users that run); "+
		"it runs %s (--user-class). Give the Go workers' class alone to their master (or pick it alone in the web UI)",
		quoteNames(others), quoteNames(f.runs))
	f.mu.Lock()
	told := f.told[reason]
	if f.told == nil {
		f.told = map[string]bool{}
	}
	f.told[reason] = true
	f.mu.Unlock()
	if !told {
		log.Printf("worker: %s (users not started: %s)", reason, strings.Join(shares, ", "))
		f.record(reason)
	}
	return out
}

// newTest forgets what was said: each test's failures start empty.
func (f *classFilter) newTest() {
	f.mu.Lock()
	f.told = nil
	f.mu.Unlock()
}

func quoteNames(names []string) string {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(quoted, ", ")
}
