// Package check decides whether a response is what a scenario expects beyond its status: a JSON
// value, a header, the status or the body's length meeting conditions (equal to a value, compared
// with a number, one of a list, containing something, matching a regular expression, of a
// length, absent), text in the body, a regular expression matching, a time limit. Each failure
// reason names the check, e.g. "check json $.items[1].id: not found".
//
// Expected values may be templates, rendered per response by the caller and handed over in
// Input.Args; everything else is compiled once, and judging a passing response allocates nothing
// beyond what the JSON lookup does.
package check

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/tidwall/gjson"

	"locustfleet/worker/extract"
	"locustfleet/worker/headername"
)

type subject int

const (
	subjectJSON subject = iota
	subjectHeader
	subjectStatus
	subjectBodyLength
	subjectText // a value the caller provides (a variable, for conditions)
	subjectContains
	subjectRegex
	subjectMaxTime
)

// HeaderReader is the part of a response a header check reads.
type HeaderReader interface {
	Header(name string) string
}

// Input is what a check judges. The caller fills it once per response and reuses it.
type Input struct {
	Status  int
	Body    []byte // decoded
	Elapsed time.Duration
	Headers HeaderReader // nil: no headers
	Text    []byte       // the value of a Value check
	// Args are the rendered templates of the checks being judged: an Operand made by Template
	// with slot i reads Args[i].
	Args [][]byte
	json int8 // whether Body is JSON: 0 not known yet, 1 yes, -1 no
}

// Reset makes in ready for another response, keeping its buffers.
func (in *Input) Reset() {
	args := in.Args[:0]
	*in = Input{Args: args}
}

// ValidJSON reports whether the body is one JSON value (whitespace around it allowed), looking
// once per response: a body such as {"a":1}garbage is not, though its start is.
func (in *Input) ValidJSON() bool {
	if in.json == 0 {
		in.json = -1
		if gjson.ValidBytes(in.Body) {
			in.json = 1
		}
	}
	return in.json > 0
}

// Check is one compiled check; it is read-only and safe for concurrent use.
type Check struct {
	subject subject
	path    extract.Path
	header  string
	preds   []Pred
	absent  bool
	text    Operand // body_contains
	re      *regexp.Regexp
	max     time.Duration
	what    string // "json $.a", what is checked
	desc    string // "json $.a equals 1", the whole check
	name    string // "check json $.a equals 1", the start of a reason that names the whole check
}

// String is what the check is, e.g. `json $.status equals "ok"`.
func (c *Check) String() string { return c.desc }

func newCheck(s subject, what string, preds []Pred) (Check, error) {
	c := Check{subject: s, preds: preds, what: what}
	texts := make([]string, 0, len(preds))
	for _, p := range preds {
		if p.op == opAbsent {
			if len(preds) > 1 {
				return Check{}, fmt.Errorf("absent (exists: false) given with other conditions; expected it alone")
			}
			c.absent = true
		}
		texts = append(texts, p.text)
	}
	if err := satisfiable(preds); err != nil {
		return Check{}, err
	}
	c.desc = what
	if len(texts) > 0 {
		c.desc += " " + strings.Join(texts, ", ")
	}
	c.name = "check " + c.desc
	return c, nil
}

// JSONPath checks the value at path: with no conditions it passes when the path is found (JSON
// null counts); otherwise every condition must hold. A body that is not JSON fails it.
func JSONPath(path string, preds ...Pred) (Check, error) {
	p, err := extract.CompilePath(path)
	if err != nil {
		return Check{}, err
	}
	c, err := newCheck(subjectJSON, "json "+path, preds)
	c.path = p
	return c, err
}

// Header checks a response header's value (absent or empty: not found), as text: its fields
// joined with ", " when it came in several (user.Response.Header).
func Header(name string, preds ...Pred) (Check, error) {
	if !headername.Valid(name) {
		return Check{}, fmt.Errorf("%q is not a header name; expected e.g. Content-Type (%s)", name, headername.Allowed)
	}
	if err := textPreds(preds); err != nil {
		return Check{}, err
	}
	c, err := newCheck(subjectHeader, "header "+name, preds)
	c.header = name
	return c, err
}

// Status checks the response's status code; conditions compare numbers.
func Status(preds ...Pred) (Check, error) {
	if err := numberPreds(preds, statuses); err != nil {
		return Check{}, err
	}
	return newCheck(subjectStatus, "status", preds)
}

// StatusCodes returns the statuses a status check of one literal condition passes (status: 404,
// status: [200, 204]); ok is false for any other check, whose statuses are not listed.
func (c *Check) StatusCodes() (codes []int, ok bool) {
	if c.subject != subjectStatus || len(c.preds) != 1 {
		return nil, false
	}
	p := c.preds[0]
	list := p.list
	switch p.op {
	case opEquals:
		list = []Operand{p.want}
	case opIn:
	default:
		return nil, false
	}
	for _, o := range list {
		if o.kind != kindNumber {
			return nil, false
		}
		codes = append(codes, int(o.num))
	}
	return codes, true
}

// BodyLength checks the length in bytes of the (decoded) body; conditions compare numbers.
func BodyLength(preds ...Pred) (Check, error) {
	if err := numberPreds(preds, lengths("body_length")); err != nil {
		return Check{}, err
	}
	return newCheck(subjectBodyLength, "body_length", preds)
}

// Value checks Input.Text as text, described as what; an empty text is not found, and a JSON list
// or object (as an extraction stores one) is judged as JSON: its length is its elements'.
// Conditions on variables use it.
func Value(what string, preds ...Pred) (Check, error) {
	if err := textPreds(preds); err != nil {
		return Check{}, err
	}
	return newCheck(subjectText, what, preds)
}

// JSON passes when the path is found in the body.
func JSON(path string) (Check, error) {
	return JSONPath(path)
}

// JSONEquals passes when the value at path equals want: a string, a number (compared as a
// number: 3 equals 3.0), a bool, or nil for JSON null.
func JSONEquals(path string, want any) (Check, error) {
	o, err := literal(want)
	if err != nil {
		return Check{}, err
	}
	return JSONPath(path, Equals(o))
}

// literal is a Go value as an Operand.
func literal(v any) (Operand, error) {
	switch w := v.(type) {
	case string:
		return String(w), nil
	case bool:
		return Bool(w), nil
	case nil:
		return Null(), nil
	case int:
		return Number(float64(w), strconv.Itoa(w))
	case float64:
		return Number(w, strconv.FormatFloat(w, 'g', -1, 64))
	}
	return Operand{}, fmt.Errorf("%v is a %T; expected a string, number, true, false or null", v, v)
}

// BodyContains passes when the body contains text.
func BodyContains(text string) (Check, error) {
	return BodyContainsOperand(String(text))
}

// BodyContainsOperand passes when the body contains the operand's text (a template's: as
// rendered for the response).
func BodyContainsOperand(o Operand) (Check, error) {
	if o.kind == kindString && o.text == "" {
		return Check{}, fmt.Errorf("empty text; expected the text the body must contain")
	}
	desc := "body_contains " + o.text
	return Check{subject: subjectContains, text: o, desc: desc, name: "check " + desc}, nil
}

// Regex passes when the expression matches the body.
func Regex(expr string) (Check, error) {
	re, err := compileRegex(expr)
	if err != nil {
		return Check{}, err
	}
	return Check{subject: subjectRegex, re: re, desc: "regex " + expr, name: "check regex " + expr}, nil
}

// MaxMillis passes when the response took at most ms milliseconds.
func MaxMillis(ms int) (Check, error) {
	if ms <= 0 {
		return Check{}, fmt.Errorf("%d; expected a whole number of milliseconds > 0", ms)
	}
	desc := "max_ms " + strconv.Itoa(ms)
	return Check{subject: subjectMaxTime, max: time.Duration(ms) * time.Millisecond, desc: desc, name: "check " + desc}, nil
}

// Judge returns "" when the response passes, otherwise the reason.
func (c *Check) Judge(in *Input) string {
	switch c.subject {
	case subjectContains:
		if !bytes.Contains(in.Body, c.text.bytes(in)) {
			return c.name + ": not found"
		}
		return ""
	case subjectRegex:
		if !c.re.Match(in.Body) {
			return c.name + ": no match"
		}
		return ""
	case subjectMaxTime:
		if in.Elapsed > c.max {
			return c.name + ": took " + strconv.FormatInt(in.Elapsed.Milliseconds(), 10) + " ms"
		}
		return ""
	case subjectJSON:
		if !in.ValidJSON() {
			return c.name + ": the body is not valid JSON"
		}
	}
	var v value
	c.look(in, &v)
	switch {
	case c.absent && v.found:
		return c.name + ": got " + v.show()
	case c.absent:
		return ""
	case !v.found:
		return c.name + ": not found"
	}
	for i := range c.preds {
		if c.preds[i].holds(&v, in) {
			continue
		}
		detail := c.preds[i].detail(&v, in)
		if len(c.preds) == 1 {
			return c.name + ": " + detail
		}
		return "check " + c.what + " " + c.preds[i].text + ": " + detail
	}
	return ""
}

// Passes reports whether the response passes, building no reason: for checks whose reason is
// not kept (non-fatal checks, conditions).
func (c *Check) Passes(in *Input) bool {
	switch c.subject {
	case subjectContains, subjectRegex, subjectMaxTime:
		return c.Judge(in) == ""
	case subjectJSON:
		if !in.ValidJSON() {
			return false
		}
	}
	var v value
	c.look(in, &v)
	if c.absent || !v.found {
		return c.absent && !v.found
	}
	for i := range c.preds {
		if !c.preds[i].holds(&v, in) {
			return false
		}
	}
	return true
}

// look finds the value a check with conditions judges.
func (c *Check) look(in *Input, v *value) {
	switch c.subject {
	case subjectStatus:
		*v = value{kind: valueNumber, num: float64(in.Status), found: true}
	case subjectBodyLength:
		*v = value{kind: valueNumber, num: float64(len(in.Body)), found: true}
	case subjectHeader:
		if in.Headers != nil {
			v.text = in.Headers.Header(c.header)
		}
		v.kind, v.found = valueText, v.text != ""
	case subjectText:
		v.text = string(in.Text)
		v.kind, v.found = valueText, v.text != ""
		if t := bytes.TrimSpace(in.Text); len(t) > 0 && (t[0] == '[' || t[0] == '{') && gjson.ValidBytes(t) {
			// a variable holding a list or an object (an extraction stores them as JSON text):
			// its length is its elements', contains looks for an element
			v.kind, v.json = valueJSON, gjson.Parse(v.text)
		}
	case subjectJSON:
		v.json = c.path.Lookup(in.Body)
		v.kind, v.found = valueJSON, v.json.Exists()
	}
}

func compileRegex(expr string) (*regexp.Regexp, error) {
	if expr == "" { // it matches any text: the check or condition would hold for every response
		return nil, fmt.Errorf("empty; expected a regular expression the text must match")
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, fmt.Errorf("%q is not a regular expression: %v", expr, err)
	}
	return re, nil
}

// quote is a string as JSON text, for descriptions.
func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }
