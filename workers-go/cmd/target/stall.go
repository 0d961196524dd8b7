package main

import (
	"strconv"
	"sync"
	"time"

	"github.com/valyala/fasthttp"
)

// maxStall bounds a stall window, so that a mistyped value cannot hang a test for hours.
const maxStall = 10 * time.Minute

// stall is a server that stops answering for a while, as one blocked on a lock or a full
// garbage collection would: every answer of /stall that arrives while a window is open waits
// until the window ends. Arrivals are counted by second as they come, before any wait, so a
// test sees whether the load kept its pace through the stall.
type stall struct {
	mu       sync.Mutex
	until    time.Time
	arrivals map[int64]int64 // unix second -> arrivals at /stall
}

func newStall() *stall { return &stall{arrivals: map[int64]int64{}} }

// open starts a window of ctx's ?seconds=N from now: POST /_stall?seconds=2.
func (s *stall) open(ctx *fasthttp.RequestCtx) {
	raw := string(ctx.QueryArgs().Peek("seconds"))
	secs, err := strconv.ParseFloat(raw, 64)
	d := time.Duration(secs * float64(time.Second))
	if err != nil || !(d > 0) || d > maxStall {
		ctx.SetStatusCode(fasthttp.StatusBadRequest)
		ctx.SetBodyString("seconds: got " + strconv.Quote(raw) + "; expected a number of seconds > 0 and <= 600, e.g. /_stall?seconds=2\n")
		return
	}
	s.mu.Lock()
	s.until = time.Now().Add(d)
	s.mu.Unlock()
	ctx.SetBodyString("stalling /stall for " + d.String() + "\n")
}

// arrive counts an arrival at /stall and waits until the open window, if any, ends.
func (s *stall) arrive() {
	now := time.Now()
	s.mu.Lock()
	s.arrivals[now.Unix()]++
	until := s.until
	s.mu.Unlock()
	if d := until.Sub(now); d > 0 {
		time.Sleep(d)
	}
}

// counts returns the arrivals by unix second, as a JSON-ready map.
func (s *stall) counts() map[string]int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := make(map[string]int64, len(s.arrivals))
	for sec, n := range s.arrivals {
		m[strconv.FormatInt(sec, 10)] = n
	}
	return m
}

func (s *stall) reset() {
	s.mu.Lock()
	s.until, s.arrivals = time.Time{}, map[int64]int64{}
	s.mu.Unlock()
}
