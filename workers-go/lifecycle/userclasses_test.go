package lifecycle

import (
	"maps"
	"testing"
)

// Of a spawn, the worker runs the users of its classes; the others are reported as 0 and named
// once per test.
func TestClassFilter_RunsItsClassesAndNamesTheOthersOncePerTest(t *testing.T) {
	var recorded []string
	f := &classFilter{runs: []string{"GoWorkerUser"}, record: func(reason string) { recorded = append(recorded, reason) }}
	want := map[string]int64{"GoWorkerUser": 3, "BrowserUser": 0, "AdminUser": 0}
	for _, users := range []int64{2, 4} { // a ramp-up: two spawns of one test
		got := f.filter(map[string]int64{"GoWorkerUser": 3, "BrowserUser": users, "AdminUser": 1})
		if !maps.Equal(got, want) {
			t.Fatalf("filtered %v; want %v", got, want)
		}
	}
	reason := `the master asks this worker for users of "AdminUser", "BrowserUser", which it does not run: they are not started (Locust shows the users that run); it runs "GoWorkerUser" (--user-class). Give the Go workers' class alone to their master (or pick it alone in the web UI)`
	if len(recorded) != 1 || recorded[0] != reason {
		t.Fatalf("recorded %q; want once %q", recorded, reason)
	}
	f.filter(map[string]int64{"GoWorkerUser": 0, "BrowserUser": 0}) // the drain's spawn of no users
	f.newTest()
	f.filter(map[string]int64{"GoWorkerUser": 1, "BrowserUser": 1, "AdminUser": 1})
	if len(recorded) != 2 {
		t.Errorf("recorded %d reasons; want a second one in the next test", len(recorded))
	}
}

func TestUserClassNames_RefusesWhatIsNoClassName(t *testing.T) {
	defer func(v string) { *UserClasses = v }(*UserClasses)
	for value, ok := range map[string]bool{"GoWorkerUser": true, "Go,Web_2": true, "Ünïcode": true, "": false, "1x": false, "a b": false, "A,": false} {
		*UserClasses = value
		if _, err := userClassNames(); (err == nil) != ok {
			t.Errorf("--user-class %q: error %v; want ok %v", value, err, ok)
		}
	}
}
