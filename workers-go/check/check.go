// Package check decides whether a response is what a scenario expects beyond its status: a JSON
// value present (or equal to a value), text in the body, a regular expression matching, a time
// limit. Each failure reason names the check, e.g. "check json $.items[1].id: not found".
package check

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"time"

	"github.com/tidwall/gjson"

	"locustfleet/worker/extract"
)

type kind int

const (
	kindJSON kind = iota
	kindContains
	kindRegex
	kindMaxTime
)

// Check is one compiled check; it is read-only and safe for concurrent use.
type Check struct {
	kind   kind
	path   extract.Path
	equals bool
	want   any // string, float64, bool or nil, when equals
	text   []byte
	re     *regexp.Regexp
	max    time.Duration
	name   string // "check json $.a", the start of every reason
}

// JSON passes when the path is found in the body.
func JSON(path string) (Check, error) {
	p, err := extract.CompilePath(path)
	if err != nil {
		return Check{}, err
	}
	return Check{kind: kindJSON, path: p, name: "check json " + path}, nil
}

// JSONEquals passes when the value at path equals want: a string, a number (compared as a
// number: 3 equals 3.0), a bool, or nil for JSON null.
func JSONEquals(path string, want any) (Check, error) {
	c, err := JSON(path)
	if err != nil {
		return Check{}, err
	}
	switch w := want.(type) {
	case string, bool, nil:
	case int:
		want = float64(w)
	case float64:
		if math.IsNaN(w) || math.IsInf(w, 0) {
			return Check{}, fmt.Errorf("%v cannot be a JSON value; expected a string, number, true, false or null", w)
		}
	default:
		return Check{}, fmt.Errorf("%v is a %T; expected a string, number, true, false or null", want, want)
	}
	text, _ := json.Marshal(want)
	c.equals, c.want, c.name = true, want, c.name+" equals "+string(text)
	return c, nil
}

// BodyContains passes when the body contains text.
func BodyContains(text string) (Check, error) {
	if text == "" {
		return Check{}, fmt.Errorf("empty text; expected the text the body must contain")
	}
	return Check{kind: kindContains, text: []byte(text), name: "check body_contains " + text}, nil
}

// Regex passes when the expression matches the body.
func Regex(expr string) (Check, error) {
	re, err := regexp.Compile(expr)
	if err != nil {
		return Check{}, fmt.Errorf("%q is not a regular expression: %v", expr, err)
	}
	return Check{kind: kindRegex, re: re, name: "check regex " + expr}, nil
}

// MaxMillis passes when the response took at most ms milliseconds.
func MaxMillis(ms int) (Check, error) {
	if ms <= 0 {
		return Check{}, fmt.Errorf("%d; expected a whole number of milliseconds > 0", ms)
	}
	return Check{kind: kindMaxTime, max: time.Duration(ms) * time.Millisecond,
		name: "check max_ms " + strconv.Itoa(ms)}, nil
}

// Run returns "" when the response passes, otherwise the reason.
func (c *Check) Run(body []byte, elapsed time.Duration) string {
	switch c.kind {
	case kindJSON:
		r := c.path.Lookup(body)
		if !r.Exists() {
			return c.name + ": not found"
		}
		if c.equals && !same(r, c.want) {
			return c.name + ": got " + r.Raw
		}
	case kindContains:
		if !bytes.Contains(body, c.text) {
			return c.name + ": not found"
		}
	case kindRegex:
		if !c.re.Match(body) {
			return c.name + ": no match"
		}
	case kindMaxTime:
		if elapsed > c.max {
			return c.name + ": took " + strconv.FormatInt(elapsed.Milliseconds(), 10) + " ms"
		}
	}
	return ""
}

func same(r gjson.Result, want any) bool {
	switch w := want.(type) {
	case string:
		return r.Type == gjson.String && r.Str == w
	case float64:
		return r.Type == gjson.Number && r.Num == w
	case bool:
		return (r.Type == gjson.True && w) || (r.Type == gjson.False && !w)
	}
	return r.Type == gjson.Null
}
