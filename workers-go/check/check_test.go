package check

import (
	"math"
	"strconv"
	"testing"
	"time"

	"locustfleet/worker/headername"
)

const body = `{"items":[{"id":7},{"id":"x"}],"n":3,"f":2.5,"ok":true,"off":false,"none":null,` +
	`"s":"héllo","num_text":"42","tags":["red","blue"],"ids":[1,2,3],"obj":{"a":1,"b":2},"empty":[]}`

// headers is a fixed set of response headers.
type headers map[string]string

func (h headers) Header(name string) string { return h[name] }

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// num is a literal number as YAML would write it.
func num(t *testing.T, f float64) Operand {
	return must[Operand](t)(Number(f, strconv.FormatFloat(f, 'g', -1, 64)))
}

func TestCheck_Judge(t *testing.T) {
	t.Parallel()
	c := must[Check](t)
	p := must[Pred](t)
	cases := []struct {
		name    string
		check   Check
		elapsed time.Duration
		args    []string
		want    string
	}{
		// Checks as they were: presence, equals, body_contains, regex, max_ms.
		{"json found", c(JSON("$.items[1].id")), 0, nil, ""},
		{"json not found", c(JSON("$.items[2].id")), 0, nil, "check json $.items[2].id: not found"},
		{"json null is found", c(JSON("$.none")), 0, nil, ""},
		{"equals string", c(JSONEquals("$.items[1].id", "x")), 0, nil, ""},
		{"equals string differs", c(JSONEquals("$.items[1].id", "y")), 0, nil, `check json $.items[1].id equals "y": got "x"`},
		{"equals string against number", c(JSONEquals("$.n", "3")), 0, nil, `check json $.n equals "3": got 3`},
		{"equals int", c(JSONEquals("$.n", 3)), 0, nil, ""},
		{"equals int as float", c(JSONEquals("$.n", 3.0)), 0, nil, ""},
		{"equals float differs", c(JSONEquals("$.f", 2.0)), 0, nil, "check json $.f equals 2: got 2.5"},
		{"equals true", c(JSONEquals("$.ok", true)), 0, nil, ""},
		{"equals false", c(JSONEquals("$.off", false)), 0, nil, ""},
		{"equals bool differs", c(JSONEquals("$.ok", false)), 0, nil, "check json $.ok equals false: got true"},
		{"equals null", c(JSONEquals("$.none", nil)), 0, nil, ""},
		{"equals null differs", c(JSONEquals("$.n", nil)), 0, nil, "check json $.n equals null: got 3"},
		{"equals missing", c(JSONEquals("$.zz", 1)), 0, nil, "check json $.zz equals 1: not found"},
		{"body_contains", c(BodyContains(`"id"`)), 0, nil, ""},
		{"body_contains missing", c(BodyContains(`"name"`)), 0, nil, `check body_contains "name": not found`},
		{"regex", c(Regex(`"id":\d+`)), 0, nil, ""},
		{"regex no match", c(Regex(`"id":\d{3}`)), 0, nil, `check regex "id":\d{3}: no match`},
		{"max_ms within", c(MaxMillis(2000)), 2 * time.Second, nil, ""},
		{"max_ms exceeded", c(MaxMillis(2000)), 2350 * time.Millisecond, nil, "check max_ms 2000: took 2350 ms"},

		// Templates: compared as text, as an extraction stores the value.
		{"template equals a string", c(JSONPath("$.items[1].id", Equals(Template("{{ id }}", 0)))), 0, []string{"x"}, ""},
		{"template equals a number's text", c(JSONPath("$.items[0].id", Equals(Template("{{ id }}", 0)))), 0, []string{"7"}, ""},
		{"template differs", c(JSONPath("$.items[0].id", Equals(Template("{{ id }}", 0)))), 0, []string{"8"},
			`check json $.items[0].id equals "{{ id }}": got 7`},
		{"template in body_contains", c(BodyContainsOperand(Template("{{ tag }}", 0))), 0, []string{`"blue"`}, ""},
		{"template in body_contains missing", c(BodyContainsOperand(Template("{{ tag }}", 0))), 0, []string{"green"},
			`check body_contains {{ tag }}: not found`},

		// not_equals and comparisons.
		{"not_equals", c(JSONPath("$.n", NotEquals(num(t, 4)))), 0, nil, ""},
		{"not_equals fails", c(JSONPath("$.n", NotEquals(num(t, 3)))), 0, nil, "check json $.n not_equals 3: got 3"},
		{"not_equals on a missing value", c(JSONPath("$.zz", NotEquals(num(t, 3)))), 0, nil, "check json $.zz not_equals 3: not found"},
		{"lt", c(JSONPath("$.n", p(Compare("lt", num(t, 4))))), 0, nil, ""},
		{"lt fails", c(JSONPath("$.n", p(Compare("lt", num(t, 3))))), 0, nil, "check json $.n lt 3: got 3"},
		{"lte", c(JSONPath("$.n", p(Compare("lte", num(t, 3))))), 0, nil, ""},
		{"gt", c(JSONPath("$.f", p(Compare("gt", num(t, 2))))), 0, nil, ""},
		{"gt fails", c(JSONPath("$.f", p(Compare("gt", num(t, 2.5))))), 0, nil, "check json $.f gt 2.5: got 2.5"},
		{"gte", c(JSONPath("$.f", p(Compare("gte", num(t, 2.5))))), 0, nil, ""},
		{"a string holding a number compares", c(JSONPath("$.num_text", p(Compare("gt", num(t, 41))))), 0, nil, ""},
		{"a string that is no number", c(JSONPath("$.s", p(Compare("gt", num(t, 1))))), 0, nil, `check json $.s gt 1: got "héllo", not a number`},
		{"a range", c(JSONPath("$.n", p(Compare("gte", num(t, 1))), p(Compare("lte", num(t, 2))))), 0, nil,
			"check json $.n lte 2: got 3"},
		{"a templated bound", c(JSONPath("$.n", p(Compare("lt", Template("{{ max }}", 0))))), 0, []string{"10"}, ""},
		{"a templated bound that is no number", c(JSONPath("$.n", p(Compare("lt", Template("{{ max }}", 0))))), 0, []string{"ten"},
			`check json $.n lt "{{ max }}": the expected value "ten" is not a number`},

		// Membership.
		{"in", c(JSONPath("$.n", p(In([]Operand{num(t, 1), num(t, 3)})))), 0, nil, ""},
		{"in fails", c(JSONPath("$.items[1].id", p(In([]Operand{String("a"), String("b")})))), 0, nil,
			`check json $.items[1].id in ["a", "b"]: got "x"`},
		{"contains in a string", c(JSONPath("$.s", p(Contains(String("éll"))))), 0, nil, ""},
		{"contains an element", c(JSONPath("$.tags", p(Contains(String("blue"))))), 0, nil, ""},
		{"contains a number element", c(JSONPath("$.ids", p(Contains(num(t, 2))))), 0, nil, ""},
		{"contains a templated element", c(JSONPath("$.ids", p(Contains(Template("{{ id }}", 0))))), 0, []string{"3"}, ""},
		{"contains no such element", c(JSONPath("$.tags", p(Contains(String("green"))))), 0, nil,
			`check json $.tags contains "green": got ["red","blue"]`},
		{"contains on a number", c(JSONPath("$.n", p(Contains(String("3"))))), 0, nil,
			`check json $.n contains "3": got 3, not a string or list`},
		{"contains over a projection", c(JSONPath("$.items[*].id", p(Contains(String("x"))))), 0, nil, ""},

		// Regular expressions on a value.
		{"regex on a string", c(JSONPath("$.s", p(Matches("^h.llo$")))), 0, nil, ""},
		{"regex on a number's text", c(JSONPath("$.f", p(Matches(`^\d\.\d$`)))), 0, nil, ""},
		{"regex fails", c(JSONPath("$.s", p(Matches("^x")))), 0, nil, `check json $.s regex ^x: got "héllo"`},

		// Length.
		{"length of a list", c(JSONPath("$.ids", p(Length(Equals(num(t, 3)))))), 0, nil, ""},
		{"length of a string in characters", c(JSONPath("$.s", p(Length(Equals(num(t, 5)))))), 0, nil, ""},
		{"length of an object", c(JSONPath("$.obj", p(Length(p(Compare("gte", num(t, 2))))))), 0, nil, ""},
		{"length of a projection (a count)", c(JSONPath("$.items[*]", p(Length(Equals(num(t, 2)))))), 0, nil, ""},
		{"length fails", c(JSONPath("$.empty", p(Length(p(Compare("gte", num(t, 1))))))), 0, nil, "check json $.empty length gte 1: got length 0"},
		{"length range fails", c(JSONPath("$.ids", p(Length(p(Compare("gte", num(t, 1))), p(Compare("lte", num(t, 2))))))), 0, nil,
			"check json $.ids length (gte 1, lte 2): got length 3"},
		{"length of a number", c(JSONPath("$.n", p(Length(Equals(num(t, 1)))))), 0, nil, "check json $.n length 1: got 3, which has no length"},

		// Absence.
		{"absent", c(JSONPath("$.error", Absent())), 0, nil, ""},
		{"absent but there", c(JSONPath("$.obj", Absent())), 0, nil, `check json $.obj absent: got {"a":1,"b":2}`},
		{"absent null is there", c(JSONPath("$.none", Absent())), 0, nil, "check json $.none absent: got null"},

		// Status, headers, body length.
		{"status", c(Status(Equals(num(t, 200)))), 0, nil, ""},
		{"status differs", c(Status(Equals(num(t, 201)))), 0, nil, "check status equals 201: got 200"},
		{"status in", c(Status(p(In([]Operand{num(t, 200), num(t, 204)})))), 0, nil, ""},
		{"status lt", c(Status(p(Compare("lt", num(t, 200))))), 0, nil, "check status lt 200: got 200"},
		{"header equals", c(Header("Content-Type", Equals(String("application/json")))), 0, nil, ""},
		{"header contains", c(Header("Content-Type", p(Contains(String("json"))))), 0, nil, ""},
		{"header regex", c(Header("Content-Type", p(Matches("^text/")))), 0, nil, `check header Content-Type regex ^text/: got "application/json"`},
		{"header as a number", c(Header("X-Remaining", p(Compare("gt", num(t, 0))))), 0, nil, ""},
		{"header equals a number", c(Header("X-Remaining", Equals(num(t, 5)))), 0, nil, ""},
		{"header missing", c(Header("X-Nope", Equals(String("a")))), 0, nil, `check header X-Nope equals "a": not found`},
		{"header absent", c(Header("X-Debug", Absent())), 0, nil, ""},
		{"header absent but there", c(Header("X-Remaining", Absent())), 0, nil, `check header X-Remaining absent: got "5"`},
		{"header length", c(Header("X-Remaining", p(Length(Equals(num(t, 1)))))), 0, nil, ""},
		{"body_length", c(BodyLength(p(Compare("gt", num(t, 10))))), 0, nil, ""},
		{"body_length fails", c(BodyLength(p(Compare("lt", num(t, 10))))), 0, nil, "check body_length lt 10: got " + strconv.Itoa(len(body))},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in := &Input{Status: 200, Body: []byte(body), Elapsed: tc.elapsed,
				Headers: headers{"Content-Type": "application/json", "X-Remaining": "5"}}
			for _, a := range tc.args {
				in.Args = append(in.Args, []byte(a))
			}
			if got := tc.check.Judge(in); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
			if got := tc.check.Passes(in); got != (tc.want == "") {
				t.Errorf("Passes: got %v, want %v", got, tc.want == "")
			}
		})
	}
}

func TestCheck_BodyThatIsNotJSON(t *testing.T) {
	t.Parallel()
	c := must[Check](t)
	cases := []struct {
		name, body string
		check      Check
		want       string
	}{
		{"garbage after a valid start", `{"a":1}garbage`, c(JSON("$.a")), "check json $.a: the body is not valid JSON"},
		{"garbage with equals", `{"a":1}garbage`, c(JSONEquals("$.a", 1)), "check json $.a equals 1: the body is not valid JSON"},
		{"absent in garbage", `{"a":1}garbage`, c(JSONPath("$.b", Absent())), "check json $.b absent: the body is not valid JSON"},
		{"html", `<html>{"a":1}</html>`, c(JSON("$.a")), "check json $.a: the body is not valid JSON"},
		{"empty", ``, c(JSON("$")), "check json $: the body is not valid JSON"},
		{"whitespace around is JSON", " {\"a\":1}\n", c(JSON("$.a")), ""},
		{"a text check does not care", `{"a":1}garbage`, c(BodyContains("garbage")), ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := tc.check.Judge(&Input{Body: []byte(tc.body)}); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
			if got := tc.check.Passes(&Input{Body: []byte(tc.body)}); got != (tc.want == "") {
				t.Errorf("Passes: got %v, want %v", got, tc.want == "")
			}
		})
	}
}

func TestValue_Judge(t *testing.T) {
	t.Parallel()
	c := must[Check](t)
	p := must[Pred](t)
	cases := []struct {
		name, text string
		check      Check
		want       bool
	}{
		{"set", "x", c(Value("var a")), true},
		{"unset", "", c(Value("var a")), false},
		{"unset as wanted", "", c(Value("var a", Absent())), true},
		{"equals", "admin", c(Value("var role", Equals(String("admin")))), true},
		{"equals a number as text", "3", c(Value("var n", Equals(num(t, 3)))), true},
		{"differs", "user", c(Value("var role", Equals(String("admin")))), false},
		{"gt", "12", c(Value("var n", p(Compare("gt", num(t, 10))))), true},
		{"in", "b", c(Value("var v", p(In([]Operand{String("a"), String("b")})))), true},
		{"a list's length is its elements'", `["i0","i1","i2"]`, c(Value("var ids", p(Length(Equals(num(t, 3)))))), true},
		{"a list contains an element", `["i0","i1"]`, c(Value("var ids", p(Contains(String("i1"))))), true},
		{"a list does not contain a part of one", `["i10"]`, c(Value("var ids", p(Contains(String("i1"))))), false},
		{"an empty list is set", `[]`, c(Value("var ids")), true},
		{"text that looks like a list", `[not json`, c(Value("var t", p(Length(Equals(num(t, 9)))))), true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := tc.check.Passes(&Input{Text: []byte(tc.text)}); got != tc.want {
				t.Errorf("passes: got %v, want %v", got, tc.want)
			}
			if got := tc.check.Judge(&Input{Text: []byte(tc.text)}) == ""; got != tc.want {
				t.Errorf("judge: got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestCheck_Errors(t *testing.T) {
	p := must[Pred](t)
	t.Parallel()
	cases := []struct {
		name string
		make func() (Check, error)
		want string
	}{
		{"json path", func() (Check, error) { return JSON("$..a") },
			`"$..a": unsupported syntax at "..a"; expected a JSON path such as $.items[0].id, $["a key"] or $.items[*].id ($, .key, [n], ["key"], [*])`},
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
		{"absent with another condition", func() (Check, error) { return JSONPath("$.a", Absent(), Equals(String("x"))) },
			"absent (exists: false) given with other conditions; expected it alone"},
		{"status against text", func() (Check, error) { return Status(Equals(String("ok"))) },
			`equals "ok": expected a number (status is a number)`},
		{"status 999", func() (Check, error) { return Status(Equals(num(t, 999))) },
			"equals 999: expected an HTTP status, a whole number from 100 to 599"},
		{"length -1", func() (Check, error) { _, err := Length(Equals(num(t, -1))); return Check{}, err },
			"equals -1: expected a whole number >= 0 (length is a count)"},
		// Held for every response, or for none.
		{"empty regex", func() (Check, error) { return Regex("") }, "empty; expected a regular expression the text must match"},
		{"empty regex condition", func() (Check, error) { _, err := Matches(""); return Check{}, err },
			"empty; expected a regular expression the text must match"},
		{"bounds that exclude each other", func() (Check, error) {
			return JSONPath("$.n", p(Compare("gt", num(t, 1))), p(Compare("lt", num(t, 0))))
		}, "gt 1 and lt 0: no value meets both; expected bounds with a value between them"},
		{"length bounds that exclude each other", func() (Check, error) {
			_, err := Length(p(Compare("gte", num(t, 3))), p(Compare("lt", num(t, 3))))
			return Check{}, err
		}, "gte 3 and lt 3: no value meets both; expected bounds with a value between them"},
		{"status contains", func() (Check, error) { p, _ := Contains(String("2")); return Status(p) },
			"contains: not a condition on a number; expected equals, not_equals, lt, lte, gt, gte or in (status is a number)"},
		{"body_length in text", func() (Check, error) { p, _ := In([]Operand{String("a")}); return BodyLength(p) },
			`in ["a"]: "a" is not a number; expected numbers (body_length is a number)`},
		{"header name not a token", func() (Check, error) { return Header("Content/Type") },
			`"Content/Type" is not a header name; expected e.g. Content-Type (` + headername.Allowed + `)`},
		{"header name", func() (Check, error) { return Header("Content Type") },
			`"Content Type" is not a header name; expected e.g. Content-Type (` + headername.Allowed + `)`},
		{"header equals null", func() (Check, error) { return Header("X", Equals(Null())) },
			"equals null: null; expected text or a number (the value is text)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := tc.make()
			if err == nil || err.Error() != tc.want {
				t.Errorf("got  %v\nwant %q", err, tc.want)
			}
		})
	}
}

func TestPred_Errors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		make func() (Pred, error)
		want string
	}{
		{"compare with text", func() (Pred, error) { return Compare("lt", String("a")) },
			`lt "a": expected a number (or a template that renders one)`},
		{"unknown comparison", func() (Pred, error) { return Compare("le", String("a")) },
			`"le" is not a comparison; expected lt, lte, gt or gte`},
		{"empty in", func() (Pred, error) { return In(nil) }, "empty list; expected the values the value may be"},
		{"empty contains", func() (Pred, error) { return Contains(String("")) }, "empty text; expected what the value must contain"},
		{"bad regex", func() (Pred, error) { return Matches("(") },
			"\"(\" is not a regular expression: error parsing regexp: missing closing ): `(`"},
		{"length of nothing", func() (Pred, error) { return Length() },
			"no condition; expected a length such as 2, or conditions such as {gte: 1}"},
		{"length regex", func() (Pred, error) { m, _ := Matches("a"); return Length(m) },
			"regex: not a condition on a number; expected equals, not_equals, lt, lte, gt, gte or in (length is a number)"},
		{"number infinity", func() (Pred, error) { _, err := Number(math.Inf(1), ".inf"); return Pred{}, err },
			"+Inf cannot be a JSON value; expected a string, number, true, false or null"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := tc.make()
			if err == nil || err.Error() != tc.want {
				t.Errorf("got  %v\nwant %q", err, tc.want)
			}
		})
	}
}

// BenchmarkCheck_Judge measures judging a passing response: a literal and a templated equals,
// a comparison, a list's length and a header.
func BenchmarkCheck_Judge(b *testing.B) {
	var t testing.T
	c := must[Check](&t)
	p := must[Pred](&t)
	checks := map[string]Check{
		"equals literal":  c(JSONEquals("$.items[1].id", "x")),
		"equals template": c(JSONPath("$.items[0].id", Equals(Template("{{ id }}", 0)))),
		"gte":             c(JSONPath("$.n", p(Compare("gte", num(&t, 1))))),
		"length":          c(JSONPath("$.ids", p(Length(p(Compare("gte", num(&t, 1))))))),
		"header":          c(Header("Content-Type", p(Contains(String("json"))))),
		"status":          c(Status(Equals(num(&t, 200)))),
	}
	for name, ch := range checks {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			in := &Input{Status: 200, Body: []byte(body), Headers: headers{"Content-Type": "application/json"}, Args: [][]byte{[]byte("7")}}
			for b.Loop() {
				in.json = 0
				if r := ch.Judge(in); r != "" {
					b.Fatal(r)
				}
			}
		})
	}
}
