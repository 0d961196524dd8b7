package scenario

import (
	"net"
	"reflect"
	"strconv"
	"testing"

	"github.com/valyala/fasthttp"

	"locustfleet/worker/checkstats"
	"locustfleet/worker/headername"
	"locustfleet/worker/user"
)

// TestStep_Verify_CheckKeys runs each check key of a step on made-up responses.
func TestStep_Verify_CheckKeys(t *testing.T) {
	t.Parallel()
	doc := `host: http://a
data:
  accounts: {csv: accounts.csv}
tasks:
  - steps:
      - {name: first, path: /f, extract: {item: {json: $.id}}}
      - {name: json, path: /j, check: [{json: $.id, equals: "{{ item }}"}]}
      - {name: owner, path: /o, check: [{json: $.owner, equals: "{{ accounts.user }}"}]}
      - {name: not_equals, path: /n, check: [{json: $.state, not_equals: closed}]}
      - {name: range, path: /r, check: [{json: $.n, gte: 1, lt: 10}]}
      - {name: in, path: /i, check: [{json: $.state, in: [open, pending]}]}
      - {name: contains, path: /c, check: [{json: $.tags, contains: "{{ item }}"}]}
      - {name: regex, path: /x, check: [{json: $.code, regex: "^[A-Z]{3}-\\d+$"}]}
      - {name: length, path: /l, check: [{json: $.items, length: 2}]}
      - {name: length range, path: /lr, check: [{json: "$.items[*].id", length: {gte: 1, lte: 3}}]}
      - {name: absent, path: /a, check: [{json: $.error, exists: false}]}
      - {name: header, path: /h, check: [{header: Content-Type, contains: json}]}
      - {name: header absent, path: /ha, check: [{header: X-Debug, exists: false}]}
      - {name: header version, path: /hv, check: [{header: X-Version, gte: 2}]}
      - {name: status, path: /s, expect_status: [200, 201], check: [{status: 201}]}
      - {name: status list, path: /sl, check: [{status: [200, 204]}]}
      - {name: status range, path: /sr, check: [{status: {gte: 200, lt: 300}}]}
      - {name: body_length, path: /b, check: [{body_length: {gt: 5}}]}
      - {name: body_contains, path: /bc, check: [{body_contains: "{{ accounts.user }}"}]}
`
	p := compileDoc(t, doc, map[string]string{"accounts.csv": "user\nalice\n"})
	cases := []struct {
		step, body string
		status     int
		headers    map[string]string
		want       string
	}{
		{"json", `{"id":7}`, 200, nil, ""},
		{"json", `{"id":"7"}`, 200, nil, ""},
		{"json", `{"id":8}`, 200, nil, `check json $.id equals "{{ item }}": got 8`},
		{"owner", `{"owner":"alice"}`, 200, nil, ""},
		{"owner", `{"owner":"bob"}`, 200, nil, `check json $.owner equals "{{ accounts.user }}": got "bob"`},
		{"not_equals", `{"state":"open"}`, 200, nil, ""},
		{"not_equals", `{"state":"closed"}`, 200, nil, `check json $.state not_equals "closed": got "closed"`},
		{"range", `{"n":9}`, 200, nil, ""},
		{"range", `{"n":10}`, 200, nil, "check json $.n lt 10: got 10"},
		{"range", `{"n":0}`, 200, nil, "check json $.n gte 1: got 0"},
		{"in", `{"state":"pending"}`, 200, nil, ""},
		{"in", `{"state":"gone"}`, 200, nil, `check json $.state in ["open", "pending"]: got "gone"`},
		{"contains", `{"tags":[1,7]}`, 200, nil, ""},
		{"contains", `{"tags":[1,2]}`, 200, nil, `check json $.tags contains "{{ item }}": got [1,2]`},
		{"regex", `{"code":"ABC-12"}`, 200, nil, ""},
		{"regex", `{"code":"abc-12"}`, 200, nil, `check json $.code regex ^[A-Z]{3}-\d+$: got "abc-12"`},
		{"length", `{"items":[1,2]}`, 200, nil, ""},
		{"length", `{"items":[1]}`, 200, nil, "check json $.items length 2: got length 1"},
		{"length range", `{"items":[{"id":1},{"x":2}]}`, 200, nil, ""},
		{"length range", `{"items":[{"x":2}]}`, 200, nil, "check json $.items[*].id length (gte 1, lte 3): got length 0"},
		{"absent", `{"ok":true}`, 200, nil, ""},
		{"absent", `{"error":"boom"}`, 200, nil, `check json $.error absent: got "boom"`},
		{"absent", `{"ok":true}garbage`, 200, nil, "check json $.error absent: the body is not valid JSON"},
		{"header", `{}`, 200, map[string]string{"Content-Type": "application/json"}, ""},
		{"header", `{}`, 200, map[string]string{"Content-Type": "text/html"}, `check header Content-Type contains "json": got "text/html"`},
		{"header version", `{}`, 200, map[string]string{"X-Version": "2.1"}, ""},
		{"header version", `{}`, 200, map[string]string{"X-Version": "1"}, "check header X-Version gte 2: got \"1\""},
		{"header version", `{}`, 200, nil, "check header X-Version gte 2: not found"},
		{"header absent", `{}`, 200, map[string]string{"X-Debug": "1"}, `check header X-Debug absent: got "1"`},
		{"status", `{}`, 201, nil, ""},
		{"status", `{}`, 200, nil, "check status equals 201: got 200"},
		{"status list", `{}`, 204, nil, ""},
		{"status range", `{}`, 299, nil, ""},
		{"body_length", `123456`, 200, nil, ""},
		{"body_length", `12345`, 200, nil, "check body_length gt 5: got 5"},
		{"body_contains", `hello alice`, 200, nil, ""},
		{"body_contains", `hello bob`, 200, nil, "check body_contains {{ accounts.user }}: not found"},
	}
	for _, tc := range cases {
		t.Run(tc.step+" "+tc.body, func(t *testing.T) {
			t.Parallel()
			u := newUser(0, map[string]string{"item": "7"})
			p.pick(u)
			withResponse(t, tc.status, tc.body, tc.headers, func(resp *user.Response) {
				if got := stepNamed(t, p, tc.step).verify(u, resp); got != tc.want {
					t.Errorf("got  %q\nwant %q", got, tc.want)
				}
			})
		})
	}
}

// withResponse calls fn with a response the session got from a server answering status, body and
// headers: made up, but with headers that Header reads.
func withResponse(t *testing.T, status int, body string, headers map[string]string, fn func(*user.Response)) {
	t.Helper()
	host := serve(t, func(ctx *fasthttp.RequestCtx) {
		for k, v := range headers {
			ctx.Response.Header.Set(k, v)
		}
		ctx.SetStatusCode(status)
		ctx.SetBodyString(body)
	})
	class := &user.Class{Host: host, Tasks: []user.Task{{Name: "t", Weight: 1, Fn: func(u *user.User) {
		fn(u.Session.Do(&user.Request{Path: "/", ExpectStatus: []int{status}}))
	}}}}
	rt, err := user.New(class, &recorder{})
	if err != nil {
		t.Fatal(err)
	}
	if err := rt.RunOnce([]string{"t"}); err != nil {
		t.Fatal(err)
	}
}

// TestStep_Verify_NotJSON: a json check or extraction fails on a body that is not JSON, even when
// its start is.
func TestStep_Verify_NotJSON(t *testing.T) {
	t.Parallel()
	doc := `host: http://a
tasks:
  - steps:
      - {name: check, path: /c, check: [{json: $.a}]}
      - {name: extract, path: /e, extract: {a: {json: $.a}}}
      - {name: text, path: /t, check: [{body_contains: garbage}]}
`
	p := compileDoc(t, doc, nil)
	cases := []struct{ step, body, want string }{
		{"check", `{"a":1}garbage`, "check json $.a: the body is not valid JSON"},
		{"check", `{"a":1}` + "\n", ""},
		{"extract", `{"a":1}garbage`, "extract a: json $.a: the body is not valid JSON"},
		{"extract", `{"a":1}`, ""},
		{"text", `{"a":1}garbage`, ""},
	}
	for _, tc := range cases {
		u := newUser(0, nil)
		if got := stepNamed(t, p, tc.step).verify(u, &user.Response{Status: 200, Body: []byte(tc.body)}); got != tc.want {
			t.Errorf("%s %q: got %q, want %q", tc.step, tc.body, got, tc.want)
		}
	}
}

// TestRun_NonFatalChecks runs non-fatal checks against a real server: they never fail the request,
// and every request counts one pass or fail per check, also a request that got no check (an
// unexpected status).
func TestRun_NonFatalChecks(t *testing.T) {
	var n int
	host := serve(t, func(ctx *fasthttp.RequestCtx) {
		switch string(ctx.Path()) {
		case "/n":
			n++ // one user: requests come one at a time
			ctx.SetBodyString(`{"n":` + strconv.Itoa(n%4) + `}`)
		case "/down":
			ctx.SetStatusCode(503)
		}
	})
	doc := `tasks:
  - steps:
      - name: n
        path: /n
        check:
          - {json: $.n, lt: 1, fatal: false, name: n is zero}
          - {json: $.n, exists: true, fatal: false}
          - {json: $.missing, fatal: false}
      - name: down
        path: /down
        on_failure: continue
        check: [{status: 200, fatal: false}]
`
	class, err := Parse([]byte(doc), t.TempDir(), host)
	if err != nil {
		t.Fatal(err)
	}
	if class.Checks == nil || class.Checks.Len() != 4 {
		t.Fatalf("class.Checks: got %v, want 4 keys", class.Checks)
	}
	rec := &recorder{}
	rt, err := user.New(class, rec)
	if err != nil {
		t.Fatal(err)
	}
	if err := rt.RunOnce([]string{"tasks[0]", "tasks[0]", "tasks[0]", "tasks[0]", "tasks[0]", "tasks[0]", "tasks[0]", "tasks[0]"}); err != nil {
		t.Fatal(err)
	}
	ok, failed, _ := rec.counts()
	if ok["GET n"] != 8 || failed["GET n"] != 0 || failed["GET down"] != 8 {
		t.Fatalf("recorded: ok %v, failed %v; want 8 successes of n (non-fatal checks never fail it), 8 failures of down", ok, failed)
	}
	got := class.Checks.Totals()
	want := []checkstats.Row{
		{Key: checkstats.Key{Method: "GET", Name: "n", Check: "n is zero"}, Passes: 2, Fails: 6},
		{Key: checkstats.Key{Method: "GET", Name: "n", Check: "json $.n"}, Passes: 8, Fails: 0},
		{Key: checkstats.Key{Method: "GET", Name: "n", Check: "json $.missing"}, Passes: 0, Fails: 8},
		{Key: checkstats.Key{Method: "GET", Name: "down", Check: "status equals 200"}, Passes: 0, Fails: 8},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("totals:\ngot  %+v\nwant %+v", got, want)
	}
}

// TestRun_NonFatalChecksOfARequestWithoutAnswer: a refused connection counts as a fail.
func TestRun_NonFatalChecksOfARequestWithoutAnswer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	host := "http://" + ln.Addr().String()
	ln.Close() // nothing listens there now
	doc := "tasks:\n  - {name: gone, path: /, check: [{status: 200, fatal: false}]}\n"
	class, err := Parse([]byte(doc), t.TempDir(), host)
	if err != nil {
		t.Fatal(err)
	}
	rt, err := user.New(class, &recorder{})
	if err != nil {
		t.Fatal(err)
	}
	_ = rt.RunOnce([]string{"gone", "gone"})
	if got := class.Checks.Totals()[0]; got.Passes != 0 || got.Fails != 2 {
		t.Errorf("got %+v, want 2 fails", got)
	}
}

func TestParse_StatusCheckAndExpectStatus(t *testing.T) {
	t.Parallel()
	const h = "host: http://a\ntasks:\n  - path: /\n"
	_, err := Parse([]byte(h+"    expect_status: 200\n    check: [{status: 201}]\n"), "", "")
	if want := "line 5: tasks[0].check[0].status: equals 201: expect_status: [200] fails every such response first (an unexpected status); expected the checked statuses in expect_status too, e.g. expect_status: [200, 201]"; err == nil || err.Error() != want {
		t.Errorf("got  %v\nwant %s", err, want)
	}
	for _, ok := range []string{
		"    expect_status: [200, 404]\n    check: [{status: 404}]\n",
		"    check: [{status: [201, 404]}]\n", // one of them can pass
		"    check: [{status: {gte: 400}}]\n", // comparisons are not listed
	} {
		if _, err := Parse([]byte(h+ok), "", ""); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
}

func TestParse_CheckErrors(t *testing.T) {
	t.Parallel()
	const h = "host: http://a\ntasks:\n  - path: /\n    check: "
	cases := []struct{ name, check, want string }{
		{"status text", "[{status: ok}]",
			`line 4: tasks[0].check[0].status: equals "ok": expected a number (status is a number)`},
		// Conditions no response can meet: loaded, then failed every response.
		{"status not an HTTP status", "[{status: 999}]",
			"line 4: tasks[0].check[0].status: equals 999: expected an HTTP status, a whole number from 100 to 599"},
		{"status list with a non-status", "[{status: [200, 1000]}]",
			"line 4: tasks[0].check[0].status: in [200, 1000]: 1000; expected an HTTP status, a whole number from 100 to 599"},
		{"status bound out of range", "[{status: {lt: 700}}]",
			"line 4: tasks[0].check[0].status: lt 700: expected a number from 100 to 600 (status is an HTTP status, 100 to 599)"},
		{"negative length", "[{json: $.items, length: -1}]",
			"line 4: tasks[0].check[0].length: equals -1: expected a whole number >= 0 (length is a count)"},
		{"fractional length", "[{json: $.items, length: 1.5}]",
			"line 4: tasks[0].check[0].length: equals 1.5: expected a whole number >= 0 (length is a count)"},
		{"negative length bound", "[{json: $.items, length: {gte: -1}}]",
			"line 4: tasks[0].check[0].length: gte -1: expected a number >= 0 (length is a count)"},
		{"negative body_length", "[{body_length: -3}]",
			"line 4: tasks[0].check[0].body_length: equals -3: expected a whole number >= 0 (body_length is a count)"},
		{"status bounds that exclude each other", "[{status: {gte: 500, lt: 200}}]",
			"line 4: tasks[0].check[0].status: gte 500 and lt 200: no value meets both; expected bounds with a value between them"},
		{"empty regex", "[{regex: \"\"}]", "line 4: tasks[0].check[0].regex: empty; expected a regular expression the text must match"},
		// expect_status failed every such response first, "unexpected status 404 (expected < 400)".
		{"status the default expect_status fails", "[{status: 404}]",
			"line 4: tasks[0].check[0].status: equals 404: expect_status (not set: a status below 400) fails every such response first (an unexpected status); expected the checked statuses in expect_status too, e.g. expect_status: [200, 404]"},
		{"non-fatal status expect_status fails", "[{status: [404, 410], fatal: false}]",
			"line 4: tasks[0].check[0].status: in [404, 410]: expect_status (not set: a status below 400) fails every such response first (an unexpected status); expected the checked statuses in expect_status too, e.g. expect_status: [200, 404, 410]"},
		{"status condition beside", "[{status: 200, lt: 300}]",
			"line 4: tasks[0].check[0].lt: given with status; expected the conditions inside status, e.g. status: {lt: 400}"},
		{"status unknown condition", "[{status: {below: 300}}]",
			"line 4: tasks[0].check[0].status.below: unknown key; expected one of equals, not_equals, lt, lte, gt, gte, in"},
		{"status empty mapping", "[{status: {}}]",
			"line 4: tasks[0].check[0].status: empty mapping; expected a number, a list of numbers or conditions such as {gte: 200, lt: 300} (equals, not_equals, lt, lte, gt, gte, in)"},
		{"body_length text", "[{body_length: [a]}]",
			`line 4: tasks[0].check[0].body_length: in ["a"]: "a" is not a number; expected numbers (body_length is a number)`},
		{"lt a word", "[{json: $.n, lt: ten}]",
			`line 4: tasks[0].check[0].lt: lt "ten": expected a number (or a template that renders one)`},
		{"in not a list", "[{json: $.n, in: 3}]",
			`line 4: tasks[0].check[0].in: got "3"; expected a list of the values it may be, such as [open, closed]`},
		{"in a list in a list", "[{json: $.n, in: [[1]]}]",
			"line 4: tasks[0].check[0].in[0]: got a list; expected a string, number, true, false or null"},
		{"equals a mapping", "[{json: $.n, equals: {a: 1}}]",
			"line 4: tasks[0].check[0].equals: got a mapping; expected a string, number, true, false or null"},
		{"contains empty", `[{json: $.s, contains: ""}]`,
			"line 4: tasks[0].check[0].contains: empty text; expected what the value must contain"},
		{"regex bad", `[{json: $.s, regex: "a("}]`,
			"line 4: tasks[0].check[0].regex: \"a(\" is not a regular expression: error parsing regexp: missing closing ): `a(`"},
		{"length text", "[{json: $.s, length: long}]",
			`line 4: tasks[0].check[0].length: equals "long": expected a number (length is a number)`},
		{"length regex", "[{json: $.s, length: {regex: x}}]",
			"line 4: tasks[0].check[0].length.regex: unknown key; expected one of equals, not_equals, lt, lte, gt, gte, in"},
		{"exists not a bool", "[{json: $.s, exists: no}]",
			`line 4: tasks[0].check[0].exists: got "no"; expected true or false`},
		{"exists false with equals", "[{json: $.s, exists: false, equals: 1}]",
			"line 4: tasks[0].check[0].exists: false given with equals; expected exists: false alone (the value must not be there)"},
		{"condition with body_contains", "[{body_contains: x, contains: y}]",
			"line 4: tasks[0].check[0].contains: given with body_contains; expected contains only with json or header"},
		{"header name", "[{header: \"Content Type\"}]",
			`line 4: tasks[0].check[0].header: "Content Type" is not a header name; expected e.g. Content-Type (` + headername.Allowed + `)`},
		{"header equals null", "[{header: X, equals: null}]",
			"line 4: tasks[0].check[0].header: equals null: null; expected text or a number (the value is text)"},
		{"fatal not a bool", "[{status: 200, fatal: maybe}]",
			`line 4: tasks[0].check[0].fatal: got "maybe"; expected true or false`},
		{"name on a fatal check", "[{status: 200, name: ok}]",
			`line 4: tasks[0].check[0].name: got "ok" given to a fatal check; expected name only with fatal: false (it names the check in the checks summary; a fatal check's failures are Locust's, named by their reason)`},
		{"empty name", `[{status: 200, fatal: false, name: ""}]`,
			"line 4: tasks[0].check[0].name: empty; expected the check's name in the checks summary"},
		{"same name twice", "[{status: 200, fatal: false, name: a}, {json: $.a, fatal: false, name: a}]",
			`line 4: tasks[0].check[1]: "a" given twice in this step's non-fatal checks; expected each once (or a name: of its own)`},
		{"same check twice", "[{status: 200, fatal: false}, {status: 200, fatal: false}]",
			`line 4: tasks[0].check[1]: "status equals 200" given twice in this step's non-fatal checks; expected each once (or a name: of its own)`},
		{"unknown variable", `[{json: $.a, equals: "{{ nope }}"}]`,
			"line 4: tasks[0].check[0].equals: {{ nope }} is not defined; expected " + "a built-in (user_id, iteration, random(a, b), uuid, random_string(n), now_unix, now_ms, now_iso, env.NAME)"},
		{"an infinite number", "[{json: $.a, gt: .inf}]",
			`line 4: tasks[0].check[0].gt: got ".inf"; expected a number JSON can hold (not .inf or .nan)`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(h+tc.check+"\n"), t.TempDir(), "")
			if err == nil {
				t.Fatalf("got no error, want %q", tc.want)
			}
			if got := err.Error(); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

// BenchmarkStep_VerifyTemplated measures a response judged by a templated equals, a comparison
// and a non-fatal check.
func BenchmarkStep_VerifyTemplated(b *testing.B) {
	doc := `host: http://a
tasks:
  - steps:
      - {name: first, path: /f, extract: {item: {json: $.id}}}
      - name: item
        path: "/items/{{ item }}"
        check:
          - {json: $.id, equals: "{{ item }}"}
          - {json: $.n, gte: 1}
          - {json: $.tags, length: {gte: 1}, fatal: false}
`
	p := compileDoc(b, doc, nil)
	u := newUser(1, map[string]string{"item": "123456"})
	resp := &user.Response{Status: 200, Body: []byte(`{"id":123456,"n":3,"tags":["a","b"],"owner":"user-1"}`)}
	s := stepNamed(b, p, "item")
	b.ReportAllocs()
	for b.Loop() {
		if reason := s.verify(u, resp); reason != "" {
			b.Fatal(reason)
		}
	}
	if got := p.tally.Totals()[0]; got.Passes == 0 || got.Fails != 0 {
		b.Fatalf("tally: %+v", got)
	}
}
