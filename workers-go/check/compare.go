package check

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/tidwall/gjson"

	"locustfleet/worker/extract"
)

type operandKind int

const (
	kindString operandKind = iota
	kindNumber
	kindBool
	kindNull
	kindTemplate
)

// Operand is an expected value: a literal (string, number, bool, null) or a template rendered
// per response, which the caller puts in Input.Args.
type Operand struct {
	kind operandKind
	text string // a string's text, a number as written, "true", "false", "null", a template as written
	raw  []byte // text, for literals: compared without converting per response
	num  float64
	b    bool
	slot int // a template's index in Input.Args
}

// String is a literal string.
func String(s string) Operand { return Operand{kind: kindString, text: s, raw: []byte(s)} }

// Number is a literal number, written as written (for descriptions).
func Number(f float64, written string) (Operand, error) {
	if !finite(f) {
		return Operand{}, fmt.Errorf("%v cannot be a JSON value; expected a string, number, true, false or null", f)
	}
	return Operand{kind: kindNumber, text: written, raw: []byte(written), num: f}, nil
}

// Bool is a literal true or false.
func Bool(b bool) Operand {
	t := strconv.FormatBool(b)
	return Operand{kind: kindBool, text: t, raw: []byte(t), b: b}
}

// Null is JSON null.
func Null() Operand { return Operand{kind: kindNull, text: "null", raw: []byte("null")} }

// Template is a template written as src, whose rendering for each response is Input.Args[slot].
// It is compared with a value as text (a JSON string's contents, other JSON values as their JSON
// text, as an extraction stores them), or as a number by the comparisons.
func Template(src string, slot int) Operand {
	return Operand{kind: kindTemplate, text: src, slot: slot}
}

// show is the operand in a description.
func (o Operand) show() string {
	if o.kind == kindString || o.kind == kindTemplate {
		return quote(o.text)
	}
	return o.text
}

// bytes is the operand's text for the response being judged.
func (o *Operand) bytes(in *Input) []byte {
	if o.kind == kindTemplate {
		return in.Args[o.slot]
	}
	return o.raw
}

// number is the operand as a number for the response being judged.
func (o *Operand) number(in *Input) (float64, bool) {
	if o.kind == kindNumber {
		return o.num, true
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(string(in.Args[o.slot])), 64)
	return f, err == nil && finite(f)
}

// matches reports whether v equals the operand.
func (o *Operand) matches(v *value, in *Input) bool {
	if o.kind == kindTemplate {
		got := in.Args[o.slot]
		switch v.kind {
		case valueJSON:
			return extract.Text(v.json) == string(got)
		case valueText:
			return v.text == string(got)
		}
		f, ok := o.number(in)
		return ok && f == v.num
	}
	switch v.kind {
	case valueJSON:
		r := &v.json
		switch o.kind {
		case kindString:
			return r.Type == gjson.String && r.Str == o.text
		case kindNumber:
			return r.Type == gjson.Number && r.Num == o.num
		case kindBool:
			return (r.Type == gjson.True && o.b) || (r.Type == gjson.False && !o.b)
		}
		return r.Type == gjson.Null
	case valueText:
		if o.kind == kindNumber {
			f, ok := v.number()
			return ok && f == o.num
		}
		return v.text == o.text
	}
	return o.kind == kindNumber && o.num == v.num
}

type op int

const (
	opEquals op = iota
	opNotEquals
	opLT
	opLTE
	opGT
	opGTE
	opIn
	opContains
	opRegex
	opLength
	opAbsent
)

// Comparisons are the names of the number comparisons, as scenarios spell them.
var Comparisons = map[string]string{"lt": "<", "lte": "<=", "gt": ">", "gte": ">="}

// Pred is one condition on a checked value.
type Pred struct {
	op   op
	want Operand
	list []Operand
	re   *regexp.Regexp
	sub  []Pred
	text string // "equals 3", for descriptions and reasons
}

// Equals holds when the value equals o: a literal of the same type (numbers compared as numbers:
// 3 equals 3.0), or a template's text.
func Equals(o Operand) Pred { return Pred{op: opEquals, want: o, text: "equals " + o.show()} }

// NotEquals holds when the value is there and does not equal o.
func NotEquals(o Operand) Pred { return Pred{op: opNotEquals, want: o, text: "not_equals " + o.show()} }

// Compare holds when the value, as a number, is lt, lte, gt or gte (name) o.
func Compare(name string, o Operand) (Pred, error) {
	ops := map[string]op{"lt": opLT, "lte": opLTE, "gt": opGT, "gte": opGTE}
	op, ok := ops[name]
	if !ok {
		return Pred{}, fmt.Errorf("%q is not a comparison; expected lt, lte, gt or gte", name)
	}
	if o.kind != kindNumber && o.kind != kindTemplate {
		return Pred{}, fmt.Errorf("%s %s: expected a number (or a template that renders one)", name, o.show())
	}
	return Pred{op: op, want: o, text: name + " " + o.show()}, nil
}

// In holds when the value equals one of list.
func In(list []Operand) (Pred, error) {
	if len(list) == 0 {
		return Pred{}, fmt.Errorf("empty list; expected the values the value may be")
	}
	shown := make([]string, len(list))
	for i, o := range list {
		shown[i] = o.show()
	}
	return Pred{op: opIn, list: list, text: "in [" + strings.Join(shown, ", ") + "]"}, nil
}

// Contains holds when the value, a string (or text), contains o's text, or when it is a list
// with an element equal to o.
func Contains(o Operand) (Pred, error) {
	if o.kind == kindString && o.text == "" {
		return Pred{}, fmt.Errorf("empty text; expected what the value must contain")
	}
	return Pred{op: opContains, want: o, text: "contains " + o.show()}, nil
}

// Matches holds when the regular expression matches the value's text (anywhere: anchor it with
// ^ and $ to match the whole).
func Matches(expr string) (Pred, error) {
	re, err := compileRegex(expr)
	if err != nil {
		return Pred{}, err
	}
	return Pred{op: opRegex, re: re, text: "regex " + expr}, nil
}

// Length holds when the value's length (a list's elements, an object's keys, a string's
// characters) meets every one of sub, which compare numbers.
func Length(sub ...Pred) (Pred, error) {
	if len(sub) == 0 {
		return Pred{}, fmt.Errorf("no condition; expected a length such as 2, or conditions such as {gte: 1}")
	}
	if err := numberPreds(sub, lengths("length")); err != nil {
		return Pred{}, err
	}
	if err := satisfiable(sub); err != nil {
		return Pred{}, err
	}
	texts := make([]string, len(sub))
	for i, p := range sub {
		texts[i] = p.text
	}
	text := "length " + strings.Join(texts, ", ")
	switch {
	case len(sub) == 1 && sub[0].op == opEquals:
		text = "length " + sub[0].want.show()
	case len(sub) > 1:
		text = "length (" + strings.Join(texts, ", ") + ")"
	}
	return Pred{op: opLength, sub: sub, text: text}, nil
}

// Absent holds when the value is not there (exists: false); it takes no other condition.
func Absent() Pred { return Pred{op: opAbsent, text: "absent"} }

// numbers is what a checked number can be, so that a condition no response can meet (status
// 999, length -1) is refused when the scenario loads, not failed on every response.
type numbers struct {
	what     string  // "status"
	min, max float64 // max 0: no upper bound
	expected string  // what an equality takes
	bounds   string  // what a comparison takes
}

var (
	statuses = numbers{what: "status", min: 100, max: 599, expected: "an HTTP status, a whole number from 100 to 599",
		bounds: "a number from 100 to 600 (status is an HTTP status, 100 to 599)"}
	lengths = func(what string) numbers {
		return numbers{what: what, min: 0, expected: "a whole number >= 0 (" + what + " is a count)",
			bounds: "a number >= 0 (" + what + " is a count)"}
	}
)

// fits reports whether a literal o can be the number (equality: a whole number in range) or
// bound it (a comparison: a number from min to max+1, so that {lt: 600} takes every status).
func (n numbers) fits(o Operand, comparison bool) bool {
	if o.kind != kindNumber {
		return true // a template: judged per response
	}
	top := n.max
	if comparison && top > 0 {
		top++
	}
	inRange := o.num >= n.min && (n.max == 0 || o.num <= top)
	return inRange && (comparison || o.num == float64(int64(o.num)))
}

// satisfiable refuses literal bounds no number meets together ({gt: 1, lt: 0}, {gte: 500, lt:
// 200}): the check would fail every response.
func satisfiable(preds []Pred) error {
	lo, hi := math.Inf(-1), math.Inf(1)
	var loStrict, hiStrict bool
	var loText, hiText string
	for _, p := range preds {
		if p.want.kind != kindNumber {
			continue
		}
		n := p.want.num
		switch p.op {
		case opGT, opGTE:
			if strict := p.op == opGT; n > lo || n == lo && strict {
				lo, loStrict, loText = n, strict, p.text
			}
		case opLT, opLTE:
			if strict := p.op == opLT; n < hi || n == hi && strict {
				hi, hiStrict, hiText = n, strict, p.text
			}
		}
	}
	if lo > hi || lo == hi && (loStrict || hiStrict) {
		return fmt.Errorf("%s and %s: no value meets both; expected bounds with a value between them", loText, hiText)
	}
	return nil
}

// numberPreds checks that preds only compare numbers (status, body_length, length) with values
// the number can take.
func numberPreds(preds []Pred, n numbers) error {
	what := n.what
	for _, p := range preds {
		switch p.op {
		case opEquals, opNotEquals, opLT, opLTE, opGT, opGTE:
			if p.want.kind != kindNumber && p.want.kind != kindTemplate {
				return fmt.Errorf("%s: expected a number (%s is a number)", p.text, what)
			}
			if comparison := p.op != opEquals && p.op != opNotEquals; !n.fits(p.want, comparison) {
				if comparison {
					return fmt.Errorf("%s: expected %s", p.text, n.bounds)
				}
				return fmt.Errorf("%s: expected %s", p.text, n.expected)
			}
		case opIn:
			for _, o := range p.list {
				if o.kind != kindNumber && o.kind != kindTemplate {
					return fmt.Errorf("%s: %s is not a number; expected numbers (%s is a number)", p.text, o.show(), what)
				}
				if !n.fits(o, false) {
					return fmt.Errorf("%s: %s; expected %s", p.text, o.show(), n.expected)
				}
			}
		default:
			return fmt.Errorf("%s: not a condition on a number; expected equals, not_equals, lt, lte, gt, gte or in (%s is a number)",
				strings.Fields(p.text)[0], what)
		}
	}
	return nil
}

// textPreds checks that preds fit a value that is text (a header, a variable): no null.
func textPreds(preds []Pred) error {
	for _, p := range preds {
		for _, o := range append([]Operand{p.want}, p.list...) {
			if o.kind == kindNull && (p.op == opEquals || p.op == opNotEquals || p.op == opIn || p.op == opContains) {
				return fmt.Errorf("%s: null; expected text or a number (the value is text)", p.text)
			}
		}
	}
	return nil
}

type valueKind int

const (
	valueJSON valueKind = iota
	valueText
	valueNumber
)

// value is what a check looks at: a JSON value, text (a header, a variable) or a number (the
// status, a length).
type value struct {
	kind  valueKind
	found bool
	json  gjson.Result
	text  string
	num   float64
}

// maxShown bounds a value quoted in a reason: reasons are keys of Locust's error table.
const maxShown = 200

// show is the value in a reason: JSON as JSON, text quoted, numbers as numbers.
func (v *value) show() string {
	var s string
	switch v.kind {
	case valueJSON:
		s = v.json.Raw
	case valueText:
		s = quote(v.text)
	default:
		s = strconv.FormatFloat(v.num, 'f', -1, 64)
	}
	if len(s) > maxShown {
		cut := maxShown
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

// asText is the value as text: a JSON string's contents, other JSON as its text.
func (v *value) asText() string {
	switch v.kind {
	case valueJSON:
		return extract.Text(v.json)
	case valueText:
		return v.text
	}
	return strconv.FormatFloat(v.num, 'f', -1, 64)
}

// number is the value as a number: a number, or text (a JSON string, a header) that is one.
func (v *value) number() (float64, bool) {
	switch v.kind {
	case valueNumber:
		return v.num, true
	case valueJSON:
		switch v.json.Type {
		case gjson.Number:
			return v.json.Num, true
		case gjson.String:
			f, err := strconv.ParseFloat(strings.TrimSpace(v.json.Str), 64)
			return f, err == nil && finite(f)
		}
		return 0, false
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(v.text), 64)
	return f, err == nil && finite(f)
}

// length is a list's elements, an object's keys, a string's (or text's) characters.
func (v *value) length() (int, bool) {
	if v.kind == valueText {
		return utf8.RuneCountInString(v.text), true
	}
	if v.kind != valueJSON {
		return 0, false
	}
	switch {
	case v.json.Type == gjson.String:
		return utf8.RuneCountInString(v.json.Str), true
	case v.json.IsArray(), v.json.IsObject():
		n := 0
		v.json.ForEach(func(_, _ gjson.Result) bool { n++; return true })
		return n, true
	}
	return 0, false
}

// holds reports whether the condition holds for v; it builds no text.
func (p *Pred) holds(v *value, in *Input) bool {
	switch p.op {
	case opEquals:
		return p.want.matches(v, in)
	case opNotEquals:
		return !p.want.matches(v, in)
	case opIn:
		for i := range p.list {
			if p.list[i].matches(v, in) {
				return true
			}
		}
		return false
	case opLT, opLTE, opGT, opGTE:
		got, ok := v.number()
		want, wok := p.want.number(in)
		return ok && wok && ((p.op == opLT && got < want) || (p.op == opLTE && got <= want) ||
			(p.op == opGT && got > want) || (p.op == opGTE && got >= want))
	case opContains:
		if v.kind == valueJSON && v.json.IsArray() {
			found := false
			v.json.ForEach(func(_, elem gjson.Result) bool {
				ev := value{kind: valueJSON, json: elem, found: true}
				found = p.want.matches(&ev, in)
				return !found
			})
			return found
		}
		if v.kind == valueJSON && v.json.Type != gjson.String {
			return false
		}
		return strings.Contains(v.asText(), string(p.want.bytes(in)))
	case opRegex:
		return p.re.MatchString(v.asText())
	case opLength:
		n, ok := v.length()
		if !ok {
			return false
		}
		lv := value{kind: valueNumber, num: float64(n), found: true}
		for i := range p.sub {
			if !p.sub[i].holds(&lv, in) {
				return false
			}
		}
		return true
	}
	return false
}

// detail says what was found instead, for a condition that does not hold.
func (p *Pred) detail(v *value, in *Input) string {
	switch p.op {
	case opLT, opLTE, opGT, opGTE:
		if _, ok := v.number(); !ok {
			return "got " + v.show() + ", not a number"
		}
		if _, ok := p.want.number(in); !ok {
			return "the expected value " + quote(string(p.want.bytes(in))) + " is not a number"
		}
	case opContains:
		if v.kind == valueJSON && !v.json.IsArray() && v.json.Type != gjson.String {
			return "got " + v.show() + ", not a string or list"
		}
	case opLength:
		n, ok := v.length()
		if !ok {
			return "got " + v.show() + ", which has no length"
		}
		return "got length " + strconv.Itoa(n)
	}
	return "got " + v.show()
}
