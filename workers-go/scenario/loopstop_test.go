package scenario

import (
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
