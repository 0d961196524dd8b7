package scenario

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/valyala/fasthttp"

	"locustfleet/worker/user"
)

// served counts what a test server answered, by path.
type served struct {
	mu    sync.Mutex
	paths []string
}

func (s *served) add(path string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.paths = append(s.paths, path)
}

func (s *served) list() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.paths...)
}

// listServer answers /list/N with N items (ids i0..), /role/R with {"role": R}, anything else "ok".
func listServer(t *testing.T) (string, *served) {
	s := &served{}
	host := serve(t, func(ctx *fasthttp.RequestCtx) {
		path := string(ctx.Path())
		s.add(path)
		var n int
		var role string
		switch {
		case fmtScan(path, "/list/%d", &n):
			ids := make([]string, n)
			for i := range ids {
				ids[i] = fmt.Sprintf(`{"id":"i%d"}`, i)
			}
			ctx.SetBodyString(`{"items":[` + strings.Join(ids, ",") + `]}`)
		case fmtScan(path, "/role/%s", &role):
			ctx.SetBodyString(`{"role":"` + role + `"}`)
		default:
			ctx.SetBodyString(`{"ok":true}`)
		}
	})
	return host, s
}

func fmtScan(s, format string, v any) bool {
	_, err := fmt.Sscanf(s, format, v)
	return err == nil
}

// runOnce runs the scenario's first task once with one user and returns what was recorded and
// served.
func runOnce(t *testing.T, doc string) (*recorder, []string) {
	t.Helper()
	host, s := listServer(t)
	class, err := Parse([]byte(doc), t.TempDir(), host)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	rec := &recorder{}
	rt, err := user.New(class, rec)
	if err != nil {
		t.Fatal(err)
	}
	if err := rt.RunOnce([]string{class.Tasks[0].Name}); err != nil {
		t.Fatal(err)
	}
	return rec, s.list()
}

func TestRun_Blocks(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, steps string
		served      []string
		recorded    map[string]int // successes by "METHOD name"
	}{
		{"count", `
      - loop: {count: 3}
        steps:
          - {name: ping, path: "/ping/{{ loop_index }}"}`,
			[]string{"/ping/0", "/ping/1", "/ping/2"}, map[string]int{"GET ping": 3}},
		{"over a list, one row", `
      - {name: list, path: /list/3, extract: {ids: {json: "$.items[*].id"}}}
      - loop: {over: ids, as: id}
        steps:
          - {path: "/item/{{ id }}"}
      - {name: after, path: /after}`,
			[]string{"/list/3", "/item/i0", "/item/i1", "/item/i2", "/after"},
			map[string]int{"GET list": 1, "GET /item/{{ id }}": 3, "GET after": 1}},
		{"over a list bounded by max", `
      - {name: list, path: /list/5, extract: {items: {json: $.items}}}
      - loop: {over: items, max: 2}
        steps:
          - {name: item, path: "/item/{{ loop_index }}", query: {raw: "{{ loop_item }}"}}`,
			[]string{"/list/5", "/item/0", "/item/1"}, map[string]int{"GET list": 1, "GET item": 2}},
		{"over an empty list", `
      - {name: list, path: /list/0, extract: {ids: {json: "$.items[*].id"}}}
      - loop: {over: ids}
        steps:
          - {name: item, path: /item}
      - {name: after, path: /after}`,
			[]string{"/list/0", "/after"}, map[string]int{"GET list": 1, "GET after": 1}},
		{"nested loops", `
      - loop: {count: 2}
        steps:
          - loop: {count: 2}
            steps:
              - {name: inner, path: "/in/{{ loop_index }}"}
          - {name: outer, path: "/out/{{ loop_index }}"}`,
			[]string{"/in/0", "/in/1", "/out/0", "/in/0", "/in/1", "/out/1"}, map[string]int{"GET inner": 4, "GET outer": 2}},
		{"if set", `
      - {name: who, path: /role/admin, extract: {role: {json: $.role}}}
      - if: {var: role}
        steps: [{name: yes, path: /yes}]
        else: [{name: no, path: /no}]`,
			[]string{"/role/admin", "/yes"}, map[string]int{"GET who": 1, "GET yes": 1}},
		{"if equals, else", `
      - {name: who, path: /role/user, extract: {role: {json: $.role}}}
      - if: {var: role, equals: admin}
        steps: [{name: admin, path: /admin}]
        else: [{name: other, path: /other}]`,
			[]string{"/role/user", "/other"}, map[string]int{"GET who": 1, "GET other": 1}},
		{"if in a loop on its index", `
      - loop: {count: 4}
        steps:
          - if: {var: loop_index, gte: 2}
            steps: [{name: late, path: "/late/{{ loop_index }}"}]`,
			[]string{"/late/2", "/late/3"}, map[string]int{"GET late": 2}},
		{"if on a templated value", `
      - {name: a, path: /role/x, extract: {a: {json: $.role}}}
      - {name: b, path: /role/x, extract: {b: {json: $.role}}}
      - if: {var: a, equals: "{{ b }}"}
        steps: [{name: same, path: /same}]`,
			[]string{"/role/x", "/role/x", "/same"}, map[string]int{"GET a": 1, "GET b": 1, "GET same": 1}},
		{"extracted inside is visible after", `
      - loop: {count: 2}
        steps:
          - {name: who, path: "/role/r{{ loop_index }}", extract: {role: {json: $.role}}}
      - {name: last, path: "/last/{{ role }}"}`,
			[]string{"/role/r0", "/role/r1", "/last/r1"}, map[string]int{"GET who": 2, "GET last": 1}},
		{"a failure stops the loop and the flow", `
      - loop: {count: 3}
        steps:
          - {name: check, path: /x, check: [{json: $.nope}]}
      - {name: after, path: /after}`,
			[]string{"/x"}, map[string]int{}},
		{"on_failure continue keeps looping", `
      - loop: {count: 3}
        steps:
          - {name: check, path: /x, check: [{json: $.nope}], on_failure: continue}
      - {name: after, path: /after}`,
			[]string{"/x", "/x", "/x", "/after"}, map[string]int{"GET after": 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec, got := runOnce(t, "tasks:\n  - name: flow\n    steps:"+tc.steps+"\n")
			if !reflect.DeepEqual(got, tc.served) {
				t.Errorf("served:\ngot  %v\nwant %v", got, tc.served)
			}
			ok, _, _ := rec.counts()
			if !reflect.DeepEqual(ok, tc.recorded) {
				t.Errorf("recorded successes:\ngot  %v\nwant %v", ok, tc.recorded)
			}
		})
	}
}

func TestParse_BlockErrors(t *testing.T) {
	t.Parallel()
	const h = "host: http://a\ntasks:\n  - steps:\n"
	const list = "      - {name: l, path: /l, extract: {ids: {json: \"$.items[*].id\"}}}\n"
	cases := []struct{ name, steps, want string }{
		{"loop not a mapping", "      - loop: 3\n        steps: [{path: /}]\n",
			`line 4: tasks[0].steps[0].loop: got "3"; expected {count: N} or {over: VARIABLE} (with as: and max:), the steps in steps:`},
		{"loop as a list of steps", "      - loop: [{path: /}]\n        count: 3\n",
			"line 4: tasks[0].steps[0].loop: got a list; expected {count: N} or {over: VARIABLE} (with as: and max:), the steps in steps:\n" +
				"line 4: tasks[0].steps[0].steps: missing; expected the steps the loop runs, e.g. steps: [{path: /}]\n" +
				"line 5: tasks[0].steps[0].count: unknown key; expected one of loop, steps"},
		{"loop without steps", "      - loop: {count: 2}\n",
			"line 4: tasks[0].steps[0].steps: missing; expected the steps the loop runs, e.g. steps: [{path: /}]"},
		{"loop empty steps", "      - loop: {count: 2}\n        steps: []\n",
			"line 5: tasks[0].steps[0].steps: got an empty list; expected a list of at least one step"},
		{"count zero", "      - loop: {count: 0}\n        steps: [{path: /}]\n",
			`line 4: tasks[0].steps[0].loop.count: got "0"; expected a whole number > 0 of runs of the steps`},
		{"count and over", list + "      - loop: {count: 2, over: ids}\n        steps: [{path: /}]\n",
			"line 5: tasks[0].steps[1].loop: both count and over; expected one of them"},
		{"neither", "      - loop: {as: x}\n        steps: [{path: /}]\n",
			"line 4: tasks[0].steps[0].loop: no count or over; expected {count: N} or {over: VARIABLE} (with as: and max:)"},
		{"as with count", "      - loop: {count: 2, as: x}\n        steps: [{path: /}]\n",
			"line 4: tasks[0].steps[0].loop.as: given with count; expected as only with over (a loop of count has loop_index only)"},
		{"max with count", "      - loop: {count: 2, max: 5}\n        steps: [{path: /}]\n",
			"line 4: tasks[0].steps[0].loop.max: given with count; expected max only with over (count is the number of runs)"},
		{"max zero", list + "      - loop: {over: ids, max: 0}\n        steps: [{path: /}]\n",
			`line 5: tasks[0].steps[1].loop.max: got "0"; expected a whole number > 0 of elements the loop runs for`},
		{"as a built-in", list + "      - loop: {over: ids, as: user_id}\n        steps: [{path: /}]\n",
			`line 5: tasks[0].steps[1].loop.as: got "user_id"; expected a variable name (letters, digits and _, not starting with a digit; not a built-in or loop_index)`},
		{"as an extracted name", list + "      - loop: {over: ids, as: ids}\n        steps: [{path: /}]\n",
			`line 5: tasks[0].steps[1].loop.as: "ids" is also extracted by tasks[0].steps[0]; expected another name for the loop's element`},
		{"over an unknown list", "      - loop: {over: nope}\n        steps: [{path: /}]\n",
			"line 4: tasks[0].steps[0].loop.over: {{ nope }} is not defined; expected a built-in (user_id, iteration, random(a, b), uuid, random_string(n), now_unix, now_ms, now_iso, env.NAME)"},
		{"over a template", list + "      - loop: {over: \"{{ ids }}\"}\n        steps: [{path: /}]\n",
			`line 5: tasks[0].steps[1].loop.over: got "{{ ids }}", a template; expected the variable's name alone, e.g. ids`},
		{"if on a template", list + "      - if: {var: \"{{ ids | json }}\"}\n        steps: [{path: /}]\n",
			`line 5: tasks[0].steps[1].if.var: got "{{ ids | json }}", a template; expected the variable's name alone, e.g. ids`},
		// The name was cut out of the text by hand: "e.g. x{{ ids" and "e.g. ids }}-{{ n".
		{"over a template with text", list + "      - loop: {over: \"x{{ ids }}\"}\n        steps: [{path: /}]\n",
			`line 5: tasks[0].steps[1].loop.over: got "x{{ ids }}", a template; expected the variable's name alone, e.g. ids`},
		{"if on two variables", list + "      - if: {var: \"{{ ids }}-{{ n }}\"}\n        steps: [{path: /}]\n",
			`line 5: tasks[0].steps[1].if.var: got "{{ ids }}-{{ n }}", a template; expected the variable's name alone, e.g. ids`},
		{"over an unclosed template", list + "      - loop: {over: \"{{ ids\"}\n        steps: [{path: /}]\n",
			`line 5: tasks[0].steps[1].loop.over: got "{{ ids", a template; expected the variable's name alone ("{{" at offset 0 has no closing "}}")`},
		{"over a list extracted later", "      - loop: {over: ids}\n        steps: [{path: /}]\n" + strings.Replace(list, "- {name: l", "- {name: l", 1),
			"line 4: tasks[0].steps[0].loop.over: {{ ids }} is not extracted before this step (tasks[0].steps[1] extracts it); expected it extracted in on_start or in an earlier step of this flow"},
		{"the element after the loop", list + "      - loop: {over: ids, as: id}\n        steps: [{path: /}]\n      - {path: \"/{{ id }}\"}\n",
			"line 7: tasks[0].steps[2].path: {{ id }} is the element of the loop at tasks[0].steps[1]; expected it inside that loop's steps only"},
		{"loop_index outside a loop", "      - {path: \"/{{ loop_index }}\"}\n",
			"line 4: tasks[0].steps[0].path: {{ loop_index }} is outside a loop; expected it inside a loop's steps only (the index of the innermost loop)"},
		{"same element name nested", list + "      - loop: {over: ids, as: id}\n        steps:\n          - loop: {over: ids, as: id}\n            steps: [{path: /}]\n",
			`line 7: tasks[0].steps[1].steps[0].loop.as: "id" is the element of an enclosing loop; expected another name`},
		{"loop_index extracted", "      - {path: /, extract: {loop_index: {json: $.a}}}\n      - loop: {count: 2}\n        steps: [{path: /}]\n",
			"line 5: tasks[0].steps[1].loop: loop_index is extracted by tasks[0].steps[0], but a loop's index has that name; expected another name for that extraction"},
		{"unknown loop key", "      - loop: {count: 2, times: 3}\n        steps: [{path: /}]\n",
			"line 4: tasks[0].steps[0].loop.times: unknown key; expected one of count, over, as, max"},
		{"a request key beside loop", "      - loop: {count: 2}\n        path: /\n        steps: [{path: /}]\n",
			"line 5: tasks[0].steps[0].path: unknown key; expected one of loop, steps"},
		{"loop and if", "      - loop: {count: 2}\n        if: {var: x}\n        steps: [{path: /}]\n",
			"line 4: tasks[0].steps[0]: both loop and if; expected one of them per step (put one inside the other's steps)"},
		{"if not a mapping", "      - if: token\n        steps: [{path: /}]\n",
			`line 4: tasks[0].steps[0].if: got "token"; expected a condition on a variable such as {var: token} (set), {var: role, equals: admin} or {var: n, gt: 0}`},
		{"if without var", "      - if: {equals: 1}\n        steps: [{path: /}]\n",
			"line 4: tasks[0].steps[0].if: got a mapping; expected a condition on a variable such as {var: token} (set), {var: role, equals: admin} or {var: n, gt: 0}"},
		{"if on an unknown variable", "      - if: {var: nope}\n        steps: [{path: /}]\n",
			"line 4: tasks[0].steps[0].if.var: {{ nope }} is not defined; expected a built-in (user_id, iteration, random(a, b), uuid, random_string(n), now_unix, now_ms, now_iso, env.NAME)"},
		{"if bad condition", "      - if: {var: user_id, lt: few}\n        steps: [{path: /}]\n",
			`line 4: tasks[0].steps[0].if.lt: lt "few": expected a number (or a template that renders one)`},
		{"if unknown key", "      - if: {var: user_id, is: 3}\n        steps: [{path: /}]\n",
			"line 4: tasks[0].steps[0].if.is: unknown key; expected one of var, equals, not_equals, lt, lte, gt, gte, in, contains, regex, length, exists"},
		{"else empty", "      - if: {var: user_id}\n        steps: [{path: /}]\n        else: []\n",
			"line 6: tasks[0].steps[0].else: got an empty list; expected a list of at least one step"},
		{"a broken step inside", "      - loop: {count: 2}\n        steps: [{path: x}]\n",
			`line 5: tasks[0].steps[0].steps[0].path: "x" must start with "/" or be an absolute URL (http:// or https://)`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(h+tc.steps), t.TempDir(), "")
			if err == nil {
				t.Fatalf("got no error, want %q", tc.want)
			}
			if got := err.Error(); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

// BenchmarkRun_LoopOverList measures the loop machinery over 20 elements (parsing the list,
// setting its variables) and a condition per element, which never holds, so that no request (or
// timer) is measured with it.
func BenchmarkRun_LoopOverList(b *testing.B) {
	doc := `host: http://a
tasks:
  - steps:
      - {name: list, path: /l, extract: {ids: {json: "$.items[*].id"}}}
      - loop: {over: ids, as: id}
        steps:
          - if: {var: id, equals: none}
            steps: [{think: 1s}]
`
	p := compileDoc(b, doc, nil)
	ids := make([]string, 20)
	for i := range ids {
		ids[i] = fmt.Sprintf(`"id-%d"`, i)
	}
	u := newUser(1, map[string]string{"ids": "[" + strings.Join(ids, ",") + "]"})
	blk := p.tasks[0].flow.steps[1].block
	b.ReportAllocs()
	for b.Loop() {
		if failed, _, stopped := p.runBlock(blk, u); failed != nil || stopped {
			b.Fatal("stopped")
		}
	}
}
