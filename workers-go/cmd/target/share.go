package main

import (
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/valyala/fasthttp"
)

// shares makes a known share of a route's requests fail or answer late, so that tests know what
// every figure of a run must be:
//
//	GET /share/NAME?fail=20&slow=10&delay=300&status=503
//
// fail and slow are percentages (0 to 100, up to two decimals), delay the slow answers' extra
// milliseconds, status the failures' status (default 500). The k-th request of a route (any method,
// counted as it arrives) fails when floor(k*fail/100) grows at k, so after n requests exactly
// floor(n*fail/100) failed, however they interleave; slow picks its requests by the same rule.
type shares struct {
	mu   sync.Mutex
	seen map[string]int64 // route -> requests arrived
}

func newShares() *shares { return &shares{seen: map[string]int64{}} }

// basisPoints parses a percentage with up to two decimals into hundredths of a percent.
func basisPoints(raw string) (int64, bool) {
	if raw == "" {
		return 0, true
	}
	p, err := strconv.ParseFloat(raw, 64)
	bp := math.Round(p * 100)
	if err != nil || !(p >= 0 && p <= 100) || math.Abs(bp-p*100) > 1e-6 {
		return 0, false
	}
	return int64(bp), true
}

// picked says whether the k-th request falls in a share of bp hundredths of a percent.
func picked(k, bp int64) bool { return k*bp/10000 > (k-1)*bp/10000 }

// serve answers one request of route key; its counts are the target's (t.count) once answered.
func (s *shares) serve(t *target, ctx *fasthttp.RequestCtx, key string) {
	args := ctx.QueryArgs()
	fail, okFail := basisPoints(string(args.Peek("fail")))
	slow, okSlow := basisPoints(string(args.Peek("slow")))
	delay, errDelay := strconv.Atoi(string(append([]byte("0"), args.Peek("delay")...)))
	status, errStatus := strconv.Atoi(string(args.Peek("status")))
	if len(args.Peek("status")) == 0 {
		status, errStatus = fasthttp.StatusInternalServerError, nil
	}
	if !okFail || !okSlow || errDelay != nil || delay < 0 || delay > 60000 || errStatus != nil || status < 100 || status > 599 {
		ctx.SetStatusCode(fasthttp.StatusBadRequest)
		ctx.SetBodyString("share: expected fail and slow as percentages 0-100 (two decimals at most), delay in ms " +
			"0-60000, status 100-599, e.g. /share/x?fail=20&slow=10&delay=300\n")
		return
	}
	route := string(ctx.Path())
	s.mu.Lock()
	s.seen[route]++
	k := s.seen[route]
	s.mu.Unlock()
	if picked(k, slow) && delay > 0 {
		time.Sleep(time.Duration(delay) * time.Millisecond)
	}
	t.count(key)
	if picked(k, fail) {
		ctx.SetStatusCode(status)
		ctx.SetBodyString("failed on purpose\n")
		return
	}
	ctx.SetBodyString("ok\n")
}

func (s *shares) reset() {
	s.mu.Lock()
	s.seen = map[string]int64{}
	s.mu.Unlock()
}
