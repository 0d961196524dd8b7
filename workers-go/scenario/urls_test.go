package scenario

import (
	"fmt"
	"strings"
	"testing"
)

// The wants are what Python's requests sends for the same URL: text written in the path through
// requests.Request(url).prepare(), a value through urllib.parse.quote(v, safe="") in a path
// segment and params={...} (quote_plus) in a query.

func TestStep_Request_URLs(t *testing.T) {
	t.Setenv("SCENARIO_TEST_SEGMENT", "a b/c")
	t.Setenv("SCENARIO_TEST_HOST", "http://envhost:81/base")
	doc := `host: http://a
hosts:
  api: https://api.example:8443/v1
  env: "{{ env.SCENARIO_TEST_HOST }}"
data:
  terms: {jsonl: terms.jsonl}
on_start:
  - {name: seed, path: /seed, extract: {x: {json: $.x}}}
tasks:
  - name: flow
    host: api
    steps:
      - {name: flow default host, path: /items}
      - {name: flow absolute, path: "http://other.example/p"}
      - {name: flow named host wins, host: env, path: /e}
  - name: cases
    steps:
      - {name: space and non-ASCII, path: "/a b/é?q=x y&é=ü"}
      - {name: escapes kept, path: "/x%2fy%7e%41?q=%20+%26"}
      - {name: lone percent, path: "/100%?q=%zz"}
      - {name: unsafe characters, path: "/a|b{c}^?q=<\">"}
      - {name: reserved kept, path: "/a;b=c,d:e@f!$'()*+?x=/?:@"}
      - {name: fragment, path: "/p?a=1#frag {{ x }}"}
      - {name: empty query, path: "/p?"}
      - {name: empty query and params, path: "/p?", query: {b: "2"}}
      - {name: params after a query, path: "/p?a=1", query: {b: "x y", "c d": "&"}}
      - {name: repeated params, path: /p, query: {tag: [a b, "{{ x }}"], n: 3}}
      - {name: dot segments, path: "/a/./b/../c"}
      - {name: dot segments kept with a variable, path: "/a/../{{ x }}"}
      - {name: value in a segment, path: "/s/{{ x }}/t"}
      - {name: value in a query, path: "/s?q={{ x }}&{{ x }}=v"}
      - {name: data value, path: "/d/{{ terms.text }}?q={{ terms.text }}"}
      - {name: urlencode not twice, path: "/u/{{ x | urlencode }}?q={{ x | urlencode }}", query: {r: "{{ x | urlencode }}"}}
      - {name: base64 escaped, path: "/b/{{ x | base64 }}?q={{ x | base64 }}"}
      - {name: env value, path: "/e/{{ env.SCENARIO_TEST_SEGMENT }}?q={{ env.SCENARIO_TEST_SEGMENT }}"}
      - {name: named host, host: api, path: "/n/{{ x }}"}
      - {name: env host, host: env, path: /n}
      - {name: absolute, path: "https://h.example/a b?q={{ x }}"}
      - {name: absolute without path, path: "https://h.example?q=1"}
      - {name: absolute bare, path: "https://h.example"}
`
	p := compileDoc(t, doc, map[string]string{"terms.jsonl": `{"text": "a&b c/d?e#f%41+é"}` + "\n"})
	u := newUser(0, map[string]string{"x": "a/b ?&=#%41+é"})
	p.pick(u)
	cases := []struct{ step, want string }{
		{"flow default host", "https://api.example:8443/v1/items"},
		{"flow absolute", "http://other.example/p"},
		{"flow named host wins", "http://envhost:81/base/e"},
		{"space and non-ASCII", "/a%20b/%C3%A9?q=x%20y&%C3%A9=%C3%BC"},
		{"escapes kept", "/x%2Fy~A?q=%20+%26"},
		{"lone percent", "/100%25?q=%25zz"},
		{"unsafe characters", "/a%7Cb%7Bc%7D%5E?q=%3C%22%3E"},
		{"reserved kept", "/a;b=c,d:e@f!$'()*+?x=/?:@"},
		{"fragment", "/p?a=1"},
		{"empty query", "/p"},
		{"empty query and params", "/p?b=2"},
		{"params after a query", "/p?a=1&b=x+y&c+d=%26"},
		{"repeated params", "/p?tag=a+b&tag=a%2Fb+%3F%26%3D%23%2541%2B%C3%A9&n=3"}, // requests' params={"tag": [...]}
		{"dot segments", "/a/c"},
		{"dot segments kept with a variable", "/a/../a%2Fb%20%3F%26%3D%23%2541%2B%C3%A9"},
		{"value in a segment", "/s/a%2Fb%20%3F%26%3D%23%2541%2B%C3%A9/t"},
		{"value in a query", "/s?q=a%2Fb+%3F%26%3D%23%2541%2B%C3%A9&a%2Fb+%3F%26%3D%23%2541%2B%C3%A9=v"},
		{"data value", "/d/a%26b%20c%2Fd%3Fe%23f%2541%2B%C3%A9?q=a%26b+c%2Fd%3Fe%23f%2541%2B%C3%A9"},
		{"urlencode not twice", "/u/a%2Fb%20%3F%26%3D%23%2541%2B%C3%A9?q=a%2Fb%20%3F%26%3D%23%2541%2B%C3%A9&r=a%2Fb%20%3F%26%3D%23%2541%2B%C3%A9"},
		{"base64 escaped", "/b/YS9iID8mPSMlNDErw6k%3D?q=YS9iID8mPSMlNDErw6k%3D"},
		{"env value", "/e/a%20b%2Fc?q=a+b%2Fc"},
		{"named host", "https://api.example:8443/v1/n/a%2Fb%20%3F%26%3D%23%2541%2B%C3%A9"},
		{"env host", "http://envhost:81/base/n"},
		{"absolute", "https://h.example/a%20b?q=a%2Fb+%3F%26%3D%23%2541%2B%C3%A9"},
		{"absolute without path", "https://h.example/?q=1"},
		{"absolute bare", "https://h.example/"},
	}
	for _, c := range cases {
		t.Run(c.step, func(t *testing.T) {
			if got := stepNamed(t, p, c.step).request(u, p.state(u)).Path; got != c.want {
				t.Errorf("got  %s\nwant %s", got, c.want)
			}
		})
	}
	if s := stepNamed(t, p, "env value"); !isStatic(s) {
		t.Error("a path whose only variable is an environment variable is rendered per request; want it constant")
	}
}

func isStatic(s *step) bool {
	_, ok := s.path.Static()
	return ok
}

func TestStep_Request_LegacyListSendsTemplatesAsWritten(t *testing.T) {
	t.Parallel()
	p := compileDoc(t, "host: http://a\nrequests:\n  - {name: r, path: \"/a b/{{ x }}\", headers: {A: \"{{ y }}\"}}\n", nil)
	got := stepNamed(t, p, "r").request(newUser(0, nil), p.state(newUser(0, nil)))
	if got.Path != "/a%20b/%7B%7B%20x%20%7D%7D" || got.Headers[0].Value != "{{ y }}" {
		t.Errorf("got path %q and header %q; want the text as written, escaped in the path", got.Path, got.Headers[0].Value)
	}
}

func TestDefaultName(t *testing.T) {
	t.Parallel()
	p := compileDoc(t, `host: http://a
hosts: {idp: "https://login.example"}
tasks:
  - {path: "/items/{{ uuid }}"}
  - {path: "https://user:s3cret@h.example/p"}
  - {host: idp, path: /token}
  - {name: flow, host: idp, steps: [{path: /authorize}, {path: "https://h.example/x"}]}
`, nil)
	var names []string
	for _, s := range p.steps {
		names = append(names, s.name)
	}
	want := []string{"/items/{{ uuid }}", "https://user:xxxxx@h.example/p", "/token (idp)", "/authorize (idp)", "https://h.example/x"}
	if fmt.Sprint(names) != fmt.Sprint(want) {
		t.Errorf("names: got %q; want %q", names, want)
	}
	for _, n := range names {
		if strings.Contains(n, "s3cret") {
			t.Errorf("name %q shows the URL's password", n)
		}
	}
}

func TestParse_HostFromTheEnvironment(t *testing.T) {
	t.Setenv("SCENARIO_TEST_TARGET", "http://envtarget:8080/api")
	doc := "host: \"{{ env.SCENARIO_TEST_TARGET }}\"\ntasks: [{path: /x}]\n"
	if _, host, _, err := parse([]byte(doc), t.TempDir(), ""); err != nil || host != "http://envtarget:8080/api" {
		t.Errorf("got host %q, error %v; want the environment variable's URL", host, err)
	}
	unset := "host: \"{{ env.SCENARIO_TEST_UNSET }}\"\ntasks: [{path: /x}]\n"
	if _, host, _, err := parse([]byte(unset), t.TempDir(), "http://flag:1"); err != nil || host != "http://flag:1" {
		t.Errorf("with --target: got host %q, error %v; want --target's, the file's host unread", host, err)
	}
	_, _, _, err := parse([]byte(unset), t.TempDir(), "")
	if want := "line 1: host: {{ env.SCENARIO_TEST_UNSET }}: the environment variable SCENARIO_TEST_UNSET is not set; expected it set in the worker's environment"; err == nil || err.Error() != want {
		t.Errorf("got %v; want %s", err, want)
	}
}

// A variable set to "" (a CI secret not filled in) said "host: missing; set host in the scenario".
func TestParse_HostFromAnEmptyEnvironmentVariable(t *testing.T) {
	t.Setenv("SCENARIO_TEST_EMPTY", "")
	doc := "host: \"{{ env.SCENARIO_TEST_EMPTY }}\"\nhosts: {api: \"{{ env.SCENARIO_TEST_EMPTY }}\"}\ntasks: [{path: /x}]\n"
	_, _, _, err := parse([]byte(doc), t.TempDir(), "")
	want := `line 1: host: {{ env.SCENARIO_TEST_EMPTY }} is empty (its environment variable is set to ""); expected a base URL such as http://127.0.0.1:8080 (or --target URL)` + "\n" +
		`line 2: hosts.api: {{ env.SCENARIO_TEST_EMPTY }} is empty (its environment variable is set to ""); expected a base URL such as https://api.example.com`
	if err == nil || err.Error() != want {
		t.Errorf("got  %v\nwant %s", err, want)
	}
}
