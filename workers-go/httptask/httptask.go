// Package httptask sends the requests of a scenario with fasthttp and records each outcome the
// way Locust counts it: one success or one failure per request, timed from send to full body read.
package httptask

import (
	"errors"
	"fmt"
	"net"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"

	"locustfleet/worker/scenario"
)

// Recorder receives one call per request; boomer.RecordSuccess/RecordFailure satisfy it.
type Recorder interface {
	RecordSuccess(requestType, name string, responseTime int64, responseLength int64)
	RecordFailure(requestType, name string, responseTime int64, exception string)
}

// Task is one weighted unit of work, shaped like boomer.Task so main can hand it over as is.
type Task struct {
	Name   string
	Weight int
	Fn     func()
}

// Executor runs scenario requests; it is safe for concurrent use by many users (goroutines).
type Executor struct {
	client   *fasthttp.Client
	host     string
	requests []scenario.Request
	urls     []string
	rec      Recorder
}

// New prepares an Executor. The client keeps one pool of keep-alive connections per host,
// sized for many concurrent users so that users never queue for a connection.
func New(sc *scenario.Scenario, rec Recorder) *Executor {
	e := &Executor{
		client: &fasthttp.Client{
			MaxConnsPerHost:               1 << 16,
			DisableHeaderNamesNormalizing: true,
			ReadBufferSize:                16 << 10,
		},
		host:     sc.Host,
		requests: sc.Requests,
		rec:      rec,
	}
	for _, r := range sc.Requests {
		e.urls = append(e.urls, r.URL(sc.Host))
	}
	return e
}

// Tasks returns one task per scenario request, weighted as the scenario says.
func (e *Executor) Tasks() []Task {
	tasks := make([]Task, len(e.requests))
	for i, r := range e.requests {
		i := i
		tasks[i] = Task{Name: r.Name, Weight: r.Weight, Fn: func() { e.Do(i) }}
	}
	return tasks
}

// Do sends request i once and records the outcome.
func (e *Executor) Do(i int) {
	r := &e.requests[i]
	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)

	req.SetRequestURI(e.urls[i])
	req.Header.SetMethod(r.Method)
	for _, h := range r.Headers {
		req.Header.Set(h.Name, h.Value)
	}
	if r.Body != "" {
		req.SetBodyString(r.Body)
	}

	start := time.Now()
	err := e.client.DoTimeout(req, resp, r.Timeout)
	elapsed := Millis(time.Since(start))

	switch {
	case err != nil:
		e.rec.RecordFailure(r.Method, r.Name, elapsed, Reason(err, r.Timeout))
	case !r.StatusOK(resp.StatusCode()):
		e.rec.RecordFailure(r.Method, r.Name, elapsed,
			fmt.Sprintf("unexpected status %d (expected %s)", resp.StatusCode(), r.ExpectText()))
	default:
		e.rec.RecordSuccess(r.Method, r.Name, elapsed, int64(len(resp.Body())))
	}
}

// Millis rounds a duration to the nearest whole millisecond (half up): boomer takes int64 ms,
// and truncating would bias every response time down by half a millisecond on average.
func Millis(d time.Duration) int64 {
	return int64((d + time.Millisecond/2) / time.Millisecond)
}

// Reason turns a transport error into the failure text Locust shows. The texts are stable so
// that errors group into few rows: no addresses or ports that vary per connection.
func Reason(err error, timeout time.Duration) string {
	var netErr net.Error
	switch {
	case errors.Is(err, fasthttp.ErrTimeout) || errors.Is(err, fasthttp.ErrDialTimeout) ||
		(errors.As(err, &netErr) && netErr.Timeout()):
		return fmt.Sprintf("timeout after %s", timeout)
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, fasthttp.ErrConnectionClosed):
		return "connection reset by the server"
	}
	return "request failed: " + err.Error()
}
