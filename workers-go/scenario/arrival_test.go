package scenario

import (
	"testing"

	"locustfleet/worker/user"
)

// arrival.rate: 1e-300/s was taken, and its users then sent nothing at all: their first task
// was due after centuries. A rate under one task per user a day is refused, naming the gap.
func TestParse_ArrivalRateBelowOneADay(t *testing.T) {
	t.Parallel()
	const want = `; expected at least one task per user a day (0.0417/h): at this rate each user's first task is due at a random time within `
	for rate, gap := range map[string]string{
		"1e-300/s": "3.17e+292 years (a wrong unit?)",
		"1e-6/s":   "11.6 days (a wrong unit?)",
		"0.01/h":   "4.17 days (a wrong unit?)",
	} {
		_, err := Parse([]byte("host: http://a\narrival: {rate: "+rate+"}\ntasks: [{path: /}]\n"), "", "")
		if w := `line 2: arrival.rate: got "` + rate + `"` + want + gap; err == nil || err.Error() != w {
			t.Errorf("rate %s: got %v\nwant %s", rate, err, w)
		}
	}
	for _, rate := range []string{"0.0417/h", "1/h"} {
		class, err := Parse([]byte("host: http://a\narrival: {rate: "+rate+"}\ntasks: [{path: /}]\n"), "", "")
		if err != nil || class.Arrival.Rate < user.MinArrivalRate {
			t.Errorf("rate %s: got %v; want it taken", rate, err)
		}
	}
}

// The upper bound is on tasks a second, whatever the unit: 2e9/min (3.3e7/s) was refused while
// 1e9/s was taken, with words that named no bound.
func TestParse_ArrivalRateAboveTheBound(t *testing.T) {
	t.Parallel()
	for rate, want := range map[string]string{
		"2e9/min": "",
		"1e9/s":   "",
		"1.1e9/s": `line 2: arrival.rate: got "1.1e9/s"; expected at most 1e9/s per user (more users make more load)`,
		"inf/s":   `line 2: arrival.rate: got "inf/s"; expected at most 1e9/s per user (more users make more load)`,
	} {
		_, err := Parse([]byte("host: http://a\narrival: {rate: "+rate+"}\ntasks: [{path: /}]\n"), "", "")
		if (want == "" && err != nil) || (want != "" && (err == nil || err.Error() != want)) {
			t.Errorf("rate %s: got %v; want %q", rate, err, want)
		}
	}
}
