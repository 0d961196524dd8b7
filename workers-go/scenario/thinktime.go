package scenario

import (
	"log"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// A think time may come from the server: a 429 or a 503 says how long to wait in its Retry-After
// header, as seconds ("2") or as an HTTP date, and a client that retries sooner is refused again.
// {think: "{{ retry_after }}"} waits what the variable says, as a Locust user's
// time.sleep(int(r.headers["Retry-After"])) does: seconds (whole or not), a duration ("1.5s",
// "{{ n }}ms") or an HTTP date (until then). An empty value (the header was absent, default: "")
// waits for nothing; so does one that is none of these, which is logged once.

// maxThink bounds a think time a value gives: a pause beyond it is no pause a server meant.
const maxThink = 24 * time.Hour

// isThink reports whether the step is a think time rather than a request.
func (s *step) isThink() bool { return s.think > 0 || s.thinkFrom != nil }

// pause is the think time text gives; 0 for an empty text, and for one that gives none (logged
// once for the step).
func (s *step) pause(text string) time.Duration {
	d, ok := thinkTime(text, time.Now())
	if !ok {
		s.badThink.Do(func() {
			log.Printf("scenario: %s: %q is not a think time; the step waits for nothing (expected seconds as Retry-After gives them, a duration such as 1.5s, or an HTTP date, up to %v; logged once)", s.thinkAt, text, maxThink)
		})
	}
	return d
}

// thinkTime reads a think time: seconds ("2", "0.5"), a Go duration ("1.5s") or an HTTP date
// (the time from now until then, 0 when it is past). ok is false for anything else, and for a
// pause beyond maxThink; "" is 0 and ok.
func thinkTime(text string, now time.Time) (d time.Duration, ok bool) {
	text = strings.TrimSpace(text)
	if text == "" {
		return 0, true
	}
	if secs, err := strconv.ParseFloat(text, 64); err == nil && text[0] >= '0' && text[0] <= '9' {
		if secs > maxThink.Seconds() || math.IsNaN(secs) {
			return 0, false
		}
		return time.Duration(secs * float64(time.Second)), true
	}
	if d, err := time.ParseDuration(text); err == nil {
		return within(d)
	}
	if at, err := http.ParseTime(text); err == nil {
		return within(max(at.Sub(now), 0))
	}
	return 0, false
}

// within is d when it is a pause from 0 to maxThink.
func within(d time.Duration) (time.Duration, bool) {
	if d < 0 || d > maxThink {
		return 0, false
	}
	return d, true
}
