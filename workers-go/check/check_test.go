package check

import (
	"math"
	"testing"
	"time"
)

const body = `{"items":[{"id":7},{"id":"x"}],"n":3,"f":2.5,"ok":true,"off":false,"none":null}`

func TestCheck_Run(t *testing.T) {
	t.Parallel()
	must := func(c Check, err error) Check {
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	cases := []struct {
		name    string
		check   Check
		elapsed time.Duration
		want    string
	}{
		{"json found", must(JSON("$.items[1].id")), 0, ""},
		{"json not found", must(JSON("$.items[2].id")), 0, "check json $.items[2].id: not found"},
		{"json null is found", must(JSON("$.none")), 0, ""},
		{"equals string", must(JSONEquals("$.items[1].id", "x")), 0, ""},
		{"equals string differs", must(JSONEquals("$.items[1].id", "y")), 0, `check json $.items[1].id equals "y": got "x"`},
		{"equals string against number", must(JSONEquals("$.n", "3")), 0, `check json $.n equals "3": got 3`},
		{"equals int", must(JSONEquals("$.n", 3)), 0, ""},
		{"equals int as float", must(JSONEquals("$.n", 3.0)), 0, ""},
		{"equals float differs", must(JSONEquals("$.f", 2.0)), 0, "check json $.f equals 2: got 2.5"},
		{"equals true", must(JSONEquals("$.ok", true)), 0, ""},
		{"equals false", must(JSONEquals("$.off", false)), 0, ""},
		{"equals bool differs", must(JSONEquals("$.ok", false)), 0, "check json $.ok equals false: got true"},
		{"equals null", must(JSONEquals("$.none", nil)), 0, ""},
		{"equals null differs", must(JSONEquals("$.n", nil)), 0, "check json $.n equals null: got 3"},
		{"equals missing", must(JSONEquals("$.zz", 1)), 0, "check json $.zz equals 1: not found"},
		{"body_contains", must(BodyContains(`"id"`)), 0, ""},
		{"body_contains missing", must(BodyContains(`"name"`)), 0, `check body_contains "name": not found`},
		{"regex", must(Regex(`"id":\d+`)), 0, ""},
		{"regex no match", must(Regex(`"id":\d{3}`)), 0, `check regex "id":\d{3}: no match`},
		{"max_ms within", must(MaxMillis(2000)), 2 * time.Second, ""},
		{"max_ms exceeded", must(MaxMillis(2000)), 2350 * time.Millisecond, "check max_ms 2000: took 2350 ms"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := tc.check.Run([]byte(body), tc.elapsed); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestCheck_Errors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		make func() (Check, error)
		want string
	}{
		{"json path", func() (Check, error) { return JSON("$..a") },
			`"$..a": unsupported syntax at "..a"; expected a JSON path such as $.items[0].id or $["a key"] ($, .key, [n], ["key"])`},
		{"equals a list", func() (Check, error) { return JSONEquals("$.a", []any{1}) },
			"[1] is a []interface {}; expected a string, number, true, false or null"},
		{"equals infinity", func() (Check, error) { return JSONEquals("$.a", math.Inf(1)) },
			"+Inf cannot be a JSON value; expected a string, number, true, false or null"},
		{"empty body_contains", func() (Check, error) { return BodyContains("") },
			"empty text; expected the text the body must contain"},
		{"bad regex", func() (Check, error) { return Regex("a(") },
			"\"a(\" is not a regular expression: error parsing regexp: missing closing ): `a(`"},
		{"zero max_ms", func() (Check, error) { return MaxMillis(0) },
			"0; expected a whole number of milliseconds > 0"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := tc.make()
			if err == nil || err.Error() != tc.want {
				t.Errorf("got %v\nwant %q", err, tc.want)
			}
		})
	}
}
