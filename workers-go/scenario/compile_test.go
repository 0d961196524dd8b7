package scenario

import (
	"reflect"
	"regexp"
	"strconv"
	"testing"

	"locustfleet/worker/user"
)

func TestStep_Request_Templates(t *testing.T) {
	t.Parallel()
	doc := `host: http://a
data:
  accounts: {csv: accounts.csv}
tasks:
  - steps:
      - {name: token, path: /t, extract: {token: {json: $.t}}}
      - name: plain
        path: /static?x=1
        query: {q: "a b&c"}
        headers: {Accept: text/plain}
        body: fixed
      - name: vars
        path: "/u/{{ user_id }}/i/{{ iteration }}/{{ token }}{{ token }}"
        query: {who: "{{ accounts.user }}", n: "1"}
        headers: {Authorization: "Bearer {{ token }}", Accept: "*/*"}
        body: "pw={{ accounts.password }}"
      - name: json
        path: /j
        json:
          user: "{{ accounts.user }}"
          quote: 'say "{{ token }}"'
          n: 3
          f: 1.5
          ok: true
          none: null
          list: [1, "x{{ iteration }}", {deep: "{{ token }}"}]
          "odd\"key": v
      - name: typed
        path: /k
        headers: {content-type: application/vnd.api+json}
        json: ["{{ token }}"]
`
	p := compileDoc(t, doc, map[string]string{"accounts.csv": "user,password\nal ice,p&w\nbob,b\n"})
	u := newUser(0, map[string]string{"token": `t"k`})
	u.Iteration = 4
	if src := p.pick(u); src != nil {
		t.Fatal("no row")
	}
	cases := []struct {
		step string
		want user.Request
	}{
		{"plain", user.Request{Method: "GET", Name: "plain", Path: "/static?x=1&q=a+b%26c",
			Headers: []user.Header{{Name: "Accept", Value: "text/plain"}}, Body: []byte("fixed")}},
		{"vars", user.Request{Method: "GET", Name: "vars", Path: `/u/0/i/4/t%22kt%22k?who=al+ice&n=1`,
			Headers: []user.Header{{Name: "Authorization", Value: `Bearer t"k`}, {Name: "Accept", Value: "*/*"}},
			Body:    []byte("pw=p&w")}},
		{"json", user.Request{Method: "GET", Name: "json", Path: "/j",
			Headers: []user.Header{{Name: "Content-Type", Value: "application/json"}},
			Body:    []byte(`{"user":"al ice","quote":"say \"t\"k\"","n":3,"f":1.5,"ok":true,"none":null,"list":[1,"x4",{"deep":"t\"k"}],"odd\"key":"v"}`)}},
		{"typed", user.Request{Method: "GET", Name: "typed", Path: "/k",
			Headers: []user.Header{{Name: "content-type", Value: "application/vnd.api+json"}},
			Body:    []byte(`["t\"k"]`)}},
	}
	for _, tc := range cases {
		t.Run(tc.step, func(t *testing.T) {
			got := stepNamed(t, p, tc.step).request(u, p.state(u))
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("\ngot  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

// A whole number beyond 64 bits was sent as a float (1.2345678901234568e+22): its digits go as
// written, as Python's json sends them.
func TestStep_Request_JSONBigWholeNumbers(t *testing.T) {
	t.Parallel()
	p := compileDoc(t, "host: http://a\ntasks:\n  - {path: /j, json: {a: 12345678901234567890123, b: -99999999999999999999, c: 18446744073709551615, d: 1.5, e: 1e3}}\n", nil)
	u := newUser(0, nil)
	got := string(p.steps[0].request(u, p.state(u)).Body)
	if want := `{"a":12345678901234567890123,"b":-99999999999999999999,"c":18446744073709551615,"d":1.5,"e":1e3}`; got != want { // every number as written
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestStep_Request_StaticPartsAreShared(t *testing.T) {
	t.Parallel()
	p := compileDoc(t, "host: http://a\ntasks:\n  - {path: /a, headers: {A: b}, body: x}\n", nil)
	s, u := p.steps[0], newUser(0, nil)
	r1, r2 := s.request(u, p.state(u)), s.request(u, p.state(u))
	if &r1.Headers[0] != &r2.Headers[0] || &r1.Body[0] != &r2.Body[0] {
		t.Error("static headers or body rendered per request, want them shared")
	}
}

func TestBuiltins(t *testing.T) {
	t.Parallel()
	p := compileDoc(t, `host: http://a
tasks:
  - {name: r, path: "/{{ random(-2, 2) }}"}
  - {name: u, path: "/{{ uuid }}"}
  - {name: one, path: "/{{ random(5, 5) }}"}
`, nil)
	u := newUser(3, nil)
	seen := map[string]bool{}
	for range 200 {
		seen[stepNamed(t, p, "r").request(u, p.state(u)).Path] = true
	}
	if want := map[string]bool{"/-2": true, "/-1": true, "/0": true, "/1": true, "/2": true}; !reflect.DeepEqual(seen, want) {
		t.Errorf("random(-2, 2): got %v, want every value of [-2, 2] and no other", seen)
	}
	if got := stepNamed(t, p, "one").request(u, p.state(u)).Path; got != "/5" {
		t.Errorf("random(5, 5): got %q", got)
	}
	v4 := regexp.MustCompile(`^/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	first := stepNamed(t, p, "u").request(u, p.state(u)).Path
	second := stepNamed(t, p, "u").request(u, p.state(u)).Path
	if !v4.MatchString(first) || first == second {
		t.Errorf("uuid: got %q then %q, want two different v4 UUIDs", first, second)
	}
}

func TestData_Modes(t *testing.T) {
	t.Parallel()
	csv := "user\nu0\nu1\nu2\n"
	cases := []struct {
		name, mode string
		number     int64
		want       string // "" when the user gets no row
		fleet      bool
	}{
		{"cycle is the default", "", 4, "u1", false},
		{"cycle", ", mode: cycle", 2, "u2", false},
		{"unique", ", mode: unique", 2, "u2", true},
		{"unique beyond the rows", ", mode: unique", 3, "", true},
		{"random", ", mode: random", 9, "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			doc := "host: http://a\ndata:\n  d: {csv: d.csv" + tc.mode + "}\ntasks: [{name: x, path: \"/{{ d.user }}\"}]\n"
			p := compileDoc(t, doc, map[string]string{"d.csv": csv})
			if p.fleet != tc.fleet {
				t.Errorf("FleetNumbers: got %v, want %v", p.fleet, tc.fleet)
			}
			u := newUser(tc.number, nil)
			src := p.pick(u)
			if tc.name == "unique beyond the rows" {
				if src == nil || src.name != "d" {
					t.Fatalf("pick: got %v, want source d without a row", src)
				}
				return
			}
			if src != nil {
				t.Fatalf("pick: no row in %s", src.name)
			}
			first := stepNamed(t, p, "x").request(u, p.state(u)).Path
			if tc.want != "" && first != "/"+tc.want {
				t.Errorf("got %q, want /%s", first, tc.want)
			}
			p.pick(u) // a retried on_start keeps the row
			for range 20 {
				if again := stepNamed(t, p, "x").request(u, p.state(u)).Path; again != first {
					t.Fatalf("row changed from %q to %q; a user keeps one row for its life", first, again)
				}
			}
		})
	}
	t.Run("random spreads users over rows", func(t *testing.T) {
		t.Parallel()
		p := compileDoc(t, "host: http://a\ndata:\n  d: {csv: d.csv, mode: random}\ntasks: [{name: x, path: \"/{{ d.user }}\"}]\n", map[string]string{"d.csv": csv})
		seen := map[string]bool{}
		for n := range int64(60) {
			u := newUser(n, nil)
			p.pick(u)
			seen[stepNamed(t, p, "x").request(u, p.state(u)).Path] = true
		}
		if len(seen) != 3 {
			t.Errorf("60 users got rows %v, want all 3", seen)
		}
	})
	t.Run("jsonl", func(t *testing.T) {
		t.Parallel()
		p := compileDoc(t, "host: http://a\ndata:\n  d: {jsonl: d.jsonl}\ntasks: [{name: x, path: \"/{{ d.id }}/{{ d.name }}\"}]\n",
			map[string]string{"d.jsonl": `{"id": 1, "name": "a"}` + "\n" + `{"id": 2, "name": "b"}` + "\n"})
		u := newUser(1, nil)
		p.pick(u)
		if got := stepNamed(t, p, "x").request(u, p.state(u)).Path; got != "/2/b" {
			t.Errorf("got %q, want /2/b", got)
		}
	})
}

func TestData_Errors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, data string
		files      map[string]string
		use        string
		want       string
	}{
		{"missing file", "{csv: none.csv}", nil, "",
			"line 3: data.d: none.csv: cannot read: no such file or directory"},
		{"empty file", "{csv: d.csv}", map[string]string{"d.csv": ""}, "",
			"line 3: data.d: d.csv: empty file; expected rows of data"},
		{"wrong number of fields", "{csv: d.csv}", map[string]string{"d.csv": "a,b\n1,2\n3\n"}, "",
			"line 3: data.d: d.csv: line 3: 1 fields; expected 2 (a, b)"},
		{"jsonl line not an object", "{jsonl: d.jsonl}", map[string]string{"d.jsonl": "{\"a\": 1}\n[2]\n"}, "",
			`line 3: data.d: d.jsonl: line 2: not a JSON object; expected one object per line, e.g. {"user": "u1"}`},
		{"missing column", "{csv: d.csv}", map[string]string{"d.csv": "user,password\nu,p\n"}, "{{ d.email }}",
			`line 4: tasks[0].path: {{ d.email }}: d.csv has no column "email"; expected one of user, password`},
		{"unknown source", "{csv: d.csv}", map[string]string{"d.csv": "user\nu\n"}, "{{ e.user }}",
			"line 4: tasks[0].path: {{ e.user }} is not defined; expected a data column (d.user) or a built-in (user_id, iteration, random(a, b), uuid, random_string(n), now_unix, now_ms, now_iso, env.NAME)"},
		{"a failed file is reported once", "{csv: none.csv}", nil, "{{ d.user }}",
			"line 3: data.d: none.csv: cannot read: no such file or directory"},
		{"both csv and jsonl", "{csv: d.csv, jsonl: d.jsonl}", nil, "",
			"line 3: data.d: both csv and jsonl; expected exactly one"},
		{"no file", "{mode: cycle}", nil, "",
			"line 3: data.d: no file; expected csv: FILE or jsonl: FILE"},
		{"bad mode", "{csv: d.csv, mode: each}", map[string]string{"d.csv": "a\n1\n"}, "",
			`line 3: data.d.mode: got "each"; expected one of unique, cycle, random`},
		{"unknown key", "{csv: d.csv, sep: ;}", map[string]string{"d.csv": "a\n1\n"}, "",
			"line 3: data.d.sep: unknown key; expected one of csv, jsonl, mode"},
		{"not a mapping", "d.csv", nil, "",
			`line 3: data.d: got "d.csv"; expected a mapping such as {csv: accounts.csv, mode: unique}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			doc := "host: http://a\ndata:\n  d: " + tc.data + "\ntasks: [{path: \"/" + tc.use + "\"}]\n"
			_, err := Parse([]byte(doc), files(t, tc.files), "")
			if err == nil || err.Error() != tc.want {
				t.Errorf("got  %v\nwant %s", err, tc.want)
			}
		})
	}
	t.Run("data names", func(t *testing.T) {
		t.Parallel()
		_, err := Parse([]byte("host: http://a\ndata:\n  a.b: {csv: x}\ntasks: [{path: /}]\n"), t.TempDir(), "")
		want := "line 3: data.a.b: not a data name; expected letters, digits and _, not starting with a digit"
		if err == nil || err.Error() != want {
			t.Errorf("got %v, want %s", err, want)
		}
	})
}

func TestStep_Verify(t *testing.T) {
	t.Parallel()
	doc := `host: http://a
tasks:
  - name: all
    path: /
    extract:
      id: {regex: "id=(\\d+)"}
      n: {json: $.n}
    check:
      - {json: $.s, equals: ok}
      - {json: $.n, equals: 3}
      - regex: "id=\\d+"
`
	p := compileDoc(t, doc, nil)
	s := stepNamed(t, p, "all")
	cases := []struct {
		name, body string
		want       string
		vars       map[string]string
	}{
		{"passes", `{"s":"ok","n":3,"t":"id=42"}`, "", map[string]string{"id": "42", "n": "3"}},
		{"regex extraction fails first", `{"s":"ok","n":3}`, `extract id: regex id=(\d+) no match`, map[string]string{}},
		{"json extraction", `{"t":"id=1"}`, "extract n: json $.n not found", map[string]string{"id": "1"}},
		{"equals string", `{"s":"bad","n":3,"t":"id=1"}`, `check json $.s equals "ok": got "bad"`, map[string]string{"id": "1", "n": "3"}},
		{"equals number", `{"s":"ok","n":4,"t":"id=1"}`, "check json $.n equals 3: got 4", map[string]string{"id": "1", "n": "4"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			u := newUser(0, nil)
			if got := s.verify(u, &user.Response{Status: 200, Body: []byte(tc.body)}); got != tc.want {
				t.Errorf("reason: got %q, want %q", got, tc.want)
			}
			if !reflect.DeepEqual(u.Vars, tc.vars) {
				t.Errorf("vars: got %v, want %v", u.Vars, tc.vars)
			}
		})
	}
}

// BenchmarkStep_Request measures rendering a request per task run: static, and with variables
// in path, header and a JSON body.
func BenchmarkStep_Request(b *testing.B) {
	p := compileDoc(b, acceptance, map[string]string{"accounts.csv": accountsCSV})
	u := newUser(1, map[string]string{"token": "abcdefghijklmnopqrstuvwxyz", "item": strconv.Itoa(123456)})
	p.pick(u)
	st := p.state(u)
	for _, name := range []string{"home", "item", "login"} {
		s := stepNamed(b, p, name)
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				s.request(u, st)
			}
		})
	}
}

// BenchmarkStep_Verify measures a response's extraction and checks.
func BenchmarkStep_Verify(b *testing.B) {
	p := compileDoc(b, acceptance, map[string]string{"accounts.csv": accountsCSV})
	u := newUser(1, nil)
	resp := &user.Response{Status: 200, Body: []byte(`{"items":[{"id":101,"name":"a"},{"id":102,"name":"b"}],"total":2}`)}
	s := stepNamed(b, p, "items")
	b.ReportAllocs()
	for b.Loop() {
		if reason := s.verify(u, resp); reason != "" {
			b.Fatal(reason)
		}
	}
}
