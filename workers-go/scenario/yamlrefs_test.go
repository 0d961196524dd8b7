package scenario

import (
	"reflect"
	"testing"

	"locustfleet/worker/user"
)

func TestParse_AnchorsAliasesAndMergeKeys(t *testing.T) {
	t.Parallel()
	doc := `host: http://a
x-common: &common {X-App: fleet, X-Tenant: t1}
x-lower: &lower {x-app: lower}
x-step: &step {method: POST, path: /orders, expect_status: [200, 201]}
headers: *common
tasks:
  - name: merged
    headers: {<<: *common, X-Tenant: t2}
    steps:
      - {<<: *step, name: first}
      - {<<: [*step], name: second, json: &body {n: 1, tags: [a]}}
      - {name: third, path: /x, method: PUT, json: *body}
  - &single {name: single, path: /s, headers: *common}
  - {name: cases, path: /c, headers: {<<: [*lower, *common], X-APP: written}}
`
	p := compileDoc(t, doc, nil)
	u := newUser(0, nil)
	cases := []struct {
		step    string
		method  string
		path    string
		headers []user.Header
		body    string
	}{
		{"first", "POST", "/orders", hs("X-App", "fleet", "X-Tenant", "t2"), ""},
		{"second", "POST", "/orders", hs("X-App", "fleet", "X-Tenant", "t2", "Content-Type", "application/json"), `{"n":1,"tags":["a"]}`},
		{"third", "PUT", "/x", hs("X-App", "fleet", "X-Tenant", "t2", "Content-Type", "application/json"), `{"n":1,"tags":["a"]}`},
		{"single", "GET", "/s", hs("X-App", "fleet", "X-Tenant", "t1"), ""},
		// written out wins over merged, whatever the case; among merges the first wins
		{"cases", "GET", "/c", hs("X-APP", "written", "X-Tenant", "t1"), ""},
	}
	for _, c := range cases {
		t.Run(c.step, func(t *testing.T) {
			s := stepNamed(t, p, c.step)
			got := s.request(u, p.state(u))
			if got.Method != c.method || got.Path != c.path || !reflect.DeepEqual(got.Headers, c.headers) || string(got.Body) != c.body {
				t.Errorf("\ngot  %s %s %q %q\nwant %s %s %q %q", got.Method, got.Path, got.Headers, got.Body, c.method, c.path, c.headers, c.body)
			}
			if (c.step == "first" || c.step == "second") && !reflect.DeepEqual(s.expect, []int{200, 201}) {
				t.Errorf("expect_status from the merged mapping: got %v; want [200 201]", s.expect)
			}
		})
	}
}

func TestParse_MergeKeysKeepTheLinesOfWhatTheyMerge(t *testing.T) {
	t.Parallel()
	doc := `host: http://a
x-bad: &bad
  method: FETCH
  timeout: soon
tasks:
  - {<<: *bad, path: /a, timeout: 1s}
  - {<<: *bad, path: /b}
`
	_, _, _, err := parse([]byte(doc), t.TempDir(), "")
	want := `line 3: tasks[0].method: "FETCH" is not an HTTP method; expected one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS
line 3: tasks[1].method: "FETCH" is not an HTTP method; expected one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS
line 4: tasks[1].timeout: got "soon"; expected a positive duration such as 500ms, 5s or 1m`
	if err == nil || err.Error() != want {
		t.Errorf("\ngot  %v\nwant %s", err, want)
	}
}
