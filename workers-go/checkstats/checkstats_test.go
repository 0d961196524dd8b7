package checkstats

import (
	"fmt"
	"reflect"
	"sync"
	"testing"
)

func TestTally_AddSharesAKey(t *testing.T) {
	t.Parallel()
	tally := New()
	a := tally.Add(Key{"GET", "items", "status equals 200"})
	b := tally.Add(Key{"GET", "item", "status equals 200"})
	again := tally.Add(Key{"GET", "items", "status equals 200"})
	if a != 0 || b != 1 || again != a || tally.Len() != 2 {
		t.Errorf("indexes: got %d, %d, %d (len %d); want 0, 1, 0 (len 2)", a, b, again, tally.Len())
	}
}

func TestTally_TakeHandsOutWhatChanged(t *testing.T) {
	t.Parallel()
	tally := New()
	items, item := tally.Add(Key{"GET", "items", "a"}), tally.Add(Key{"GET", "item", "b"})
	if got := tally.Take(); got != nil {
		t.Fatalf("nothing counted: got %v, want nil", got)
	}
	tally.Pass(items)
	tally.Pass(items)
	tally.Fail(item)
	want := []Row{{Key{"GET", "items", "a"}, 2, 0}, {Key{"GET", "item", "b"}, 0, 1}}
	if got := tally.Take(); !reflect.DeepEqual(got, want) {
		t.Errorf("first take: got %v, want %v", got, want)
	}
	tally.Fail(items)
	want = []Row{{Key{"GET", "items", "a"}, 0, 1}}
	if got := tally.Take(); !reflect.DeepEqual(got, want) {
		t.Errorf("second take: got %v, want %v", got, want)
	}
	want = []Row{{Key{"GET", "items", "a"}, 2, 1}, {Key{"GET", "item", "b"}, 0, 1}}
	if got := tally.Totals(); !reflect.DeepEqual(got, want) {
		t.Errorf("totals: got %v, want %v", got, want)
	}
}

// TestTally_ConcurrentCountsAddUp: users count while the reporter takes; the takes add up to
// every count.
func TestTally_ConcurrentCountsAddUp(t *testing.T) {
	t.Parallel()
	tally := New()
	i := tally.Add(Key{"GET", "x", "c"})
	const users, each = 8, 5000
	var passes, fails int64
	for _, r := range countWhileTaking(tally, users, each, func(u, n int) {
		if (n+u)%3 == 0 {
			tally.Fail(i)
		} else {
			tally.Pass(i)
		}
	}) {
		passes, fails = passes+r.Passes, fails+r.Fails
	}
	if passes+fails != users*each || passes != tally.Totals()[0].Passes {
		t.Errorf("taken: %d passes + %d fails; want %d in all, %d passes", passes, fails, users*each, tally.Totals()[0].Passes)
	}
}

// TestTally_UsersAddKeysAsTheyCount: a user written in Go adds its check's key the first time it
// counts it (Add returns the index the key has); keys added while others count and the reporter
// takes lose no count.
func TestTally_UsersAddKeysAsTheyCount(t *testing.T) {
	t.Parallel()
	tally := New()
	const users, each = 8, 2000
	taken := map[Key]int64{}
	for _, r := range countWhileTaking(tally, users, each, func(u, n int) {
		tally.Pass(tally.Add(Key{"GET", "shared", "c"}))
		tally.Fail(tally.Add(Key{"GET", "own", fmt.Sprint(u, n%50)}))
	}) {
		taken[r.Key] += r.Passes + r.Fails
	}
	if tally.Len() != 1+users*50 || len(taken) != tally.Len() {
		t.Fatalf("keys: %d added, %d taken; want %d", tally.Len(), len(taken), 1+users*50)
	}
	if got := taken[Key{"GET", "shared", "c"}]; got != users*each {
		t.Errorf("shared key: taken %d; want %d", got, users*each)
	}
	for _, r := range tally.Totals() {
		if r.Check != "c" && (r.Fails != each/50 || taken[r.Key] != each/50) {
			t.Errorf("%v: %d fails, %d taken; want %d", r.Key, r.Fails, taken[r.Key], each/50)
		}
	}
}

// countWhileTaking runs count(u, n) each times in each of users goroutines while it takes from
// tally, as the reporter does after each stats report, and once more after they ended; it
// returns every row taken.
func countWhileTaking(tally *Tally, users, each int, count func(u, n int)) []Row {
	var wg sync.WaitGroup
	for u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range each {
				count(u, n)
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	var rows []Row
	for finished := false; !finished; {
		select {
		case <-done:
			finished = true
		default:
		}
		rows = append(rows, tally.Take()...)
	}
	return rows
}

func TestEncode(t *testing.T) {
	t.Parallel()
	got := Encode([]Row{{Key{"POST", "login", "status equals 200"}, 3, 1}})
	want := []any{[]any{"POST", "login", "status equals 200", int64(3), int64(1)}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %#v, want %#v", got, want)
	}
}
