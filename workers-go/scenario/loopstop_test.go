package scenario

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"locustfleet/worker/user"
)

// A loop of a large count went on sending after the test was stopped, and the stop waited for
// it to end: a loop checks before each run whether its user is being stopped.
func TestRun_LoopEndsWhenTheUserStops(t *testing.T) {
	list := make([]byte, 0, 2*1000000+10)
	list = append(list, `{"ids":[`...)
	for i := range 1000000 {
		if i > 0 {
			list = append(list, ',')
		}
		list = append(list, '1')
	}
	list = append(list, "]}"...)
	var served atomic.Int64
	host := serve(t, func(ctx *fasthttp.RequestCtx) {
		served.Add(1)
		if string(ctx.Path()) == "/list" {
			ctx.SetBody(list)
		}
	})
	docs := map[string]string{
		"count": "tasks:\n  - steps:\n      - loop: {count: 9223372036854775807}\n        steps: [{path: /x}]\n",
		"over":  "tasks:\n  - steps:\n      - {path: /list, extract: {ids: {json: $.ids}}}\n      - loop: {over: ids, max: 1000000}\n        steps: [{path: /x}]\n",
		// a loop that sends nothing at all (its if never holds) ends too
		"idle": "tasks:\n  - steps:\n      - loop: {count: 9223372036854775807}\n        steps:\n          - if: {var: iteration, equals: -1}\n            steps: [{path: /x}]\n",
	}
	for name, doc := range docs {
		class, err := Parse([]byte(doc), t.TempDir(), host)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		rt, err := user.New(class, &recorder{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		start := served.Load()
		rt.SetUsers(1)
		for end := time.Now().Add(5 * time.Second); name != "idle" && served.Load() < start+5 && time.Now().Before(end); {
			time.Sleep(5 * time.Millisecond)
		}
		stopped := make(chan struct{})
		go func() { rt.Stop(); close(stopped) }()
		select {
		case <-stopped:
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: Stop still waiting for the loop after 5s", name)
		}
		after := served.Load()
		time.Sleep(100 * time.Millisecond)
		if n := served.Load() - after; n > 0 {
			t.Errorf("%s: %d requests sent after Stop returned", name, n)
		}
	}
}

// A loop whose run sends nothing and waits for nothing (its if never holds) kept a core busy
// for its whole count: when nothing a later run depends on can change, it ends after that run,
// and the flow goes on at once. A condition on loop_index can hold later: such a loop runs on.
func TestRun_ALoopThatDoesNothingEnds(t *testing.T) {
	var mu sync.Mutex
	served := map[string]int{}
	host := serve(t, func(ctx *fasthttp.RequestCtx) {
		mu.Lock()
		served[string(ctx.Path())]++
		mu.Unlock()
		ctx.SetBodyString(`{"ids": [1, 2, 3], "done": "yes"}`)
	})
	doc := `tasks:
  - name: poll
    steps:
      - {name: start, path: /start, extract: {ids: {json: $.ids}, done: {json: $.done}}}
      - loop: {count: 9223372036854775807}            # polls until done, then does nothing
        steps:
          - if: {var: done, not_equals: "yes"}
            steps: [{path: /poll, extract: {done: {json: $.done}}}]
      - loop: {over: ids, max: 1000000}
        steps:
          - if: {var: iteration, equals: -1}
            steps: [{path: /never}]
      - loop: {count: 3000}                            # its last runs send
        steps:
          - if: {var: loop_index, gte: 2998}
            steps: [{path: /late}]
      - {name: after, path: /after}
`
	runUntil(t, doc, nil, host, 1, 5*time.Second, func(*recorder) bool {
		mu.Lock()
		defer mu.Unlock()
		return served["/after"] > 0
	})
	mu.Lock()
	defer mu.Unlock()
	// the stop may come between a run's /late and its /after
	if late := served["/late"] - 2*served["/after"]; served["/after"] == 0 || served["/poll"] != 0 || served["/never"] != 0 || late < 0 || late > 2 {
		t.Errorf("served %v; want /after reached at once, no /poll or /never, and /late twice per /after", served)
	}
}

func TestRunsVary(t *testing.T) {
	t.Parallel()
	for cond, want := range map[string]bool{
		"{var: done}":                         false,
		"{var: iteration, equals: 3}":         false,
		"{var: done, equals: \"{{ x }}\"}":    false,
		"{var: loop_index, gt: 3}":            true,
		"{var: id}":                           true, // the loop's element
		"{var: done, equals: \"{{ id }}\"}":   true,
		"{var: done, lt: \"{{ now_ms }}\"}":   true,
		"{var: done, equals: \"{{ uuid }}\"}": true,
		"{var: \"random(1, 2)\", equals: 1}":  true,
	} {
		doc := "host: http://a\ntasks:\n  - steps:\n      - {path: /, extract: {done: {json: $.d}, x: {json: $.x}, ids: {json: $.ids}}}\n" +
			"      - loop: {over: ids, as: id}\n        steps:\n          - if: " + cond + "\n            steps: [{path: /x}]\n"
		p := compileDoc(t, doc, nil)
		var loop *block
		for _, s := range p.steps {
			if s.block != nil && s.block.cond == nil {
				loop = s.block
			}
		}
		if loop == nil || loop.idleEnds == want {
			t.Errorf("if: %s: idleEnds %v; want %v", cond, loop != nil && loop.idleEnds, !want)
		}
	}
}

// A user stopped while a request of its flow is in hand sends none of the flow's later steps:
// a flow of slow steps went on to its end after the test stopped, and the stop waited for it.
// Its on_stop runs to its end, its loop and think times included: a visitor's loop ended before
// its first run, and the steps after it were not sent (the stop ended them, as in its task).
func TestRun_FlowEndsAfterTheRequestInHandWhenTheUserStops(t *testing.T) {
	const onStopLoop = `on_stop:
  - loop: {count: 2}
    steps: [{path: /bye}, {think: 1ms}]
  - loop: {count: 3000}
    steps:
      - if: {var: loop_index, gte: 2998}
        steps: [{path: /late}]
  - {path: /end}
`
	for name, doc := range map[string]string{
		"a user":    "tasks:\n  - steps: [{path: /a}, {path: /b}, {think: 1ms}, {path: /c}]\n" + onStopLoop,
		"a visitor": "arrival: {rate: 10/s, session: task}\non_start: [{path: /a}]\ntasks:\n  - steps: [{path: /b}, {think: 1ms}, {path: /c}]\n" + onStopLoop,
	} {
		t.Run(name, func(t *testing.T) { flowEndsAfterTheRequestInHand(t, doc) })
	}
}

// flowEndsAfterTheRequestInHand stops the user of doc while its first /a is in hand: /a is
// counted, /b and /c never sent, on_stop (/bye twice, /late twice, /end) run to its end.
func flowEndsAfterTheRequestInHand(t *testing.T, doc string) {
	var served sync.Map // path -> *atomic.Int64
	inHand, release := make(chan struct{}), make(chan struct{})
	var first sync.Once
	host := serve(t, func(ctx *fasthttp.RequestCtx) {
		n, _ := served.LoadOrStore(string(ctx.Path()), new(atomic.Int64))
		n.(*atomic.Int64).Add(1)
		if string(ctx.Path()) == "/a" {
			first.Do(func() { close(inHand); <-release })
		}
	})
	rt, _ := newRuntime(t, doc, t.TempDir(), host)
	rt.SetUsers(1)
	select {
	case <-inHand:
	case <-time.After(10 * time.Second):
		t.Fatal("the first /a never came")
	}
	rt.SetUsers(0) // retires the user now: its context is cancelled before /a is answered
	close(release)
	rt.Stop()
	count := func(path string) int64 {
		if n, ok := served.Load(path); ok {
			return n.(*atomic.Int64).Load()
		}
		return 0
	}
	if a, b, c, bye, end := count("/a"), count("/b"), count("/c"), count("/bye"), count("/end"); a != 1 || b != 0 || c != 0 || bye != 2 || count("/late") != 2 || end != 1 {
		t.Errorf("served /a %d, /b %d, /c %d, /bye %d, /late %d, /end %d; want the request in hand (/a) answered, no later step, on_stop run: 1, 0, 0, 2, 2, 1", a, b, c, bye, count("/late"), end)
	}
}
