package user

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"
)

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

// statusOK reports whether status is what the request expects: one of expect, or any status
// below 400 when expect is nil, as in Locust's HTTP clients.
func statusOK(status int, expect []int) bool {
	if expect == nil {
		return status > 0 && status < 400
	}
	for _, s := range expect {
		if s == status {
			return true
		}
	}
	return false
}

// statusFailure is the failure text of an unexpected status:
// "unexpected status 503 (expected 200)", "(expected one of 200, 201)", "(expected < 400)".
func statusFailure(status int, expect []int) string {
	var want string
	switch len(expect) {
	case 0:
		want = "< 400"
	case 1:
		want = fmt.Sprint(expect[0])
	default:
		parts := make([]string, len(expect))
		for i, s := range expect {
			parts[i] = fmt.Sprint(s)
		}
		want = "one of " + strings.Join(parts, ", ")
	}
	return fmt.Sprintf("unexpected status %d (expected %s)", status, want)
}
