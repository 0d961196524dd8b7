package main

import (
	"encoding/json"
	"sync"

	"github.com/valyala/fasthttp"
)

// ResetHeader is the header a worker started with --reset-header X-Locust-Fleet-Reset sends: the
// number of stats resets it had seen when it sent the request.
const ResetHeader = "X-Locust-Fleet-Reset"

// resetCounts counts the requests that carry ResetHeader per value, so a test can compare what
// Locust counts after a stats reset with what was sent after it: GET /_counts/resets answers
// {"1": {"GET /": 120}, ...} (keys as in /_counts, by method and path), POST /_reset zeroes them.
type resetCounts struct {
	mu     sync.Mutex
	counts map[string]map[string]int64
}

func newResetCounts() *resetCounts { return &resetCounts{counts: map[string]map[string]int64{}} }

// wrap counts each request next carries the header on (after next served it), and answers
// /_counts/resets itself.
func (c *resetCounts) wrap(next fasthttp.RequestHandler) fasthttp.RequestHandler {
	return func(ctx *fasthttp.RequestCtx) {
		switch string(ctx.Path()) {
		case "/_counts/resets":
			c.mu.Lock()
			body, _ := json.Marshal(c.counts)
			c.mu.Unlock()
			ctx.SetContentType("application/json")
			ctx.SetBody(body)
			return
		case "/_reset":
			c.mu.Lock()
			c.counts = map[string]map[string]int64{}
			c.mu.Unlock()
		}
		next(ctx)
		value := ctx.Request.Header.Peek(ResetHeader)
		if len(value) == 0 {
			return
		}
		key := string(ctx.Method()) + " " + string(ctx.Path())
		c.mu.Lock()
		byKey := c.counts[string(value)]
		if byKey == nil {
			byKey = map[string]int64{}
			c.counts[string(value)] = byKey
		}
		byKey[key]++
		c.mu.Unlock()
	}
}
