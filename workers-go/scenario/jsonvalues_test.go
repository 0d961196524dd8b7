package scenario

import (
	"strings"
	"testing"
)

// A number in a json: body is sent as written (1.0 stays a float for a server that tells 1.0
// from 1); a spelling JSON has not (0x1F, 017 read as octal 15, 1_000, +1, .5) and a number
// beyond a 64-bit float (1e400, sent as the string "1e400") are refused at load.
func TestStep_Request_JSONNumbersAsWritten(t *testing.T) {
	t.Parallel()
	p := compileDoc(t, "host: http://a\ntasks:\n  - {path: /j, json: {a: 1.0, b: 1.10, c: -0, d: 1e-400, e: 1E3, f: !!float 1, g: True, h: ~, i: [0.5, -2]}}\n", nil)
	u := newUser(0, nil)
	got := string(p.steps[0].request(u, p.state(u)).Body)
	if want := `{"a":1.0,"b":1.10,"c":-0,"d":1e-400,"e":1E3,"f":1,"g":true,"h":null,"i":[0.5,-2]}`; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestParse_JSONNumbersJSONCannotSend(t *testing.T) {
	t.Parallel()
	const spelling = `, a number in a spelling of YAML's that JSON has not; expected it as JSON writes it (`
	const huge = `, beyond what a 64-bit float holds (about ±1.8e308), which JSON parsers read as infinity or refuse; expected a smaller number, or quoted (`
	doc := "host: http://a\ntasks:\n  - path: /j\n    json:\n      a: 1e400\n      b: [-1.5e999]\n      c: 0x1F\n      d: 017\n      e: 1_000\n      f: +1\n      g: .5\n      h: 0o17\n      ok: \"1e400\"\n"
	want := strings.Join([]string{
		`line 5: tasks[0].json.a: got "1e400"` + huge + `"1e400") to send the text`,
		`line 6: tasks[0].json.b[0]: got "-1.5e999"` + huge + `"-1.5e999") to send the text`,
		`line 7: tasks[0].json.c: got "0x1F"` + spelling + `31), or quoted ("0x1F") to send the text`,
		`line 8: tasks[0].json.d: got "017"` + spelling + `15), or quoted ("017") to send the text`,
		`line 9: tasks[0].json.e: got "1_000"` + spelling + `1000), or quoted ("1_000") to send the text`,
		`line 10: tasks[0].json.f: got "+1"` + spelling + `1), or quoted ("+1") to send the text`,
		`line 11: tasks[0].json.g: got ".5"` + spelling + `0.5), or quoted (".5") to send the text`,
		`line 12: tasks[0].json.h: got "0o17"` + spelling + `15), or quoted ("0o17") to send the text`,
	}, "\n")
	if _, _, _, err := parse([]byte(doc), t.TempDir(), ""); err == nil || err.Error() != want {
		t.Errorf("got  %v\nwant %s", err, want)
	}
}

// A check's expected number follows the body's rule: "equals: 017" was the number 15, and
// failed on a header "017" with the words "equals 017: got \"017\"".
func TestParse_CheckNumbersJSONCannotHold(t *testing.T) {
	t.Parallel()
	doc := "host: http://a\ntasks:\n  - path: /j\n    check:\n      - {header: X-Code, equals: 017}\n      - {json: $.n, in: [0x1F, 2]}\n      - {json: $.x, equals: 1e400}\n      - {json: $.y, equals: \"017\"}\n"
	want := `line 5: tasks[0].check[0].equals: got "017", a number in a spelling of YAML's that JSON has not; expected it as JSON writes it (15), or quoted ("017") to compare as text` + "\n" +
		`line 6: tasks[0].check[1].in[0]: got "0x1F", a number in a spelling of YAML's that JSON has not; expected it as JSON writes it (31), or quoted ("0x1F") to compare as text` + "\n" +
		`line 7: tasks[0].check[2].equals: got "1e400", beyond what a 64-bit float holds (about ±1.8e308), which JSON parsers read as infinity or refuse; expected a smaller number, or quoted ("1e400") to compare as text`
	if _, _, _, err := parse([]byte(doc), t.TempDir(), ""); err == nil || err.Error() != want {
		t.Errorf("got  %v\nwant %s", err, want)
	}
}

// A key that is a list or a mapping (YAML's "? [1, 2]") was sent as the key "", and an alias as
// a key as its anchor's name. A json: string holding JSON stays a JSON string: an API that takes
// one double-encoded gets it (and the HAR converter writes such a body so).
func TestParse_JSONBodyKeys(t *testing.T) {
	t.Parallel()
	doc := "host: http://a\ntasks:\n  - {path: /a, json: {? [1, 2] : a, b: 1}}\n"
	want := `line 3: tasks[0].json: a key that is a list; expected text: a JSON object's keys are strings`
	if _, _, _, err := parse([]byte(doc), t.TempDir(), ""); err == nil || err.Error() != want {
		t.Errorf("got  %v\nwant %s", err, want)
	}
	p := compileDoc(t, "host: http://a\ntasks:\n  - {path: /e, json: {&k key: 1, nested: {*k : 2}}}\n  - {path: /d, json: '{\"a\": 1}'}\n", nil)
	u := newUser(0, nil)
	for i, want := range []string{`{"key":1,"nested":{"key":2}}`, `"{\"a\": 1}"`} {
		if got := string(p.steps[i].request(u, p.state(u)).Body); got != want {
			t.Errorf("got  %s\nwant %s", got, want)
		}
	}
}
