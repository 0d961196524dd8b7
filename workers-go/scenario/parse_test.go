package scenario

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

func TestParse_ValidScenario(t *testing.T) {
	t.Parallel()
	doc := `
host: http://127.0.0.1:8080/
requests:
  - name: home
    method: get
    path: /
    weight: 3
    expect_status: 200
    headers: {Accept: application/json, X-Trace: "1"}
    body: ""
    timeout: 5s
  - path: /items
    expect_status: [200, 201]
  - path: /submit
    method: POST
    body: '{"a": 1}'
`
	got, err := Parse([]byte(doc), "")
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	want := &Scenario{Host: "http://127.0.0.1:8080", Requests: []Request{
		{Name: "home", Method: "GET", Path: "/", Weight: 3, ExpectStatus: []int{200},
			Headers: []Header{{Name: "Accept", Value: "application/json"}, {Name: "X-Trace", Value: "1"}}, Timeout: 5 * time.Second},
		{Name: "/items", Method: "GET", Path: "/items", Weight: 1, ExpectStatus: []int{200, 201}, Timeout: DefaultTimeout},
		{Name: "/submit", Method: "POST", Path: "/submit", Weight: 1, Body: `{"a": 1}`, Timeout: DefaultTimeout},
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func TestParse_JSONAccepted(t *testing.T) {
	t.Parallel()
	doc := `{"host": "https://example.test", "requests": [{"name": "a", "path": "/a", "weight": 2}]}`
	got, err := Parse([]byte(doc), "")
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if got.Host != "https://example.test" || got.Requests[0].Weight != 2 {
		t.Errorf("got %+v", got)
	}
}

func TestParse_TargetOverridesHost(t *testing.T) {
	t.Parallel()
	got, err := Parse([]byte("host: http://a:1\nrequests: [{path: /}]\n"), "http://127.0.0.1:9")
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if got.Host != "http://127.0.0.1:9" {
		t.Errorf("host: got %q, want the --target value", got.Host)
	}
}

func TestParse_Errors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, doc, target, want string
	}{
		{"unknown top key", "host: http://a\nrequest: []\n", "",
			"line 2: request: unknown key; expected one of host, requests"},
		{"unknown request key", "host: http://a\nrequests:\n  - path: /\n    wieght: 2\n", "",
			"line 4: requests[0].wieght: unknown key; expected one of name, method, path, weight, expect_status, headers, body, timeout"},
		{"bad method", "host: http://a\nrequests:\n  - path: /\n    method: FETCH\n", "",
			`line 4: requests[0].method: "FETCH" is not an HTTP method; expected one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS`},
		{"zero weight", "host: http://a\nrequests:\n  - path: /\n    weight: 0\n", "",
			`line 4: requests[0].weight: got "0"; expected a whole number > 0`},
		{"negative weight", "host: http://a\nrequests:\n  - path: /\n  - path: /b\n    weight: -2\n", "",
			`line 5: requests[1].weight: got "-2"; expected a whole number > 0`},
		{"fractional weight", "host: http://a\nrequests:\n  - path: /\n    weight: 1.5\n", "",
			`line 4: requests[0].weight: got "1.5"; expected a whole number > 0`},
		{"bad timeout", "host: http://a\nrequests:\n  - path: /\n    timeout: 5 seconds\n", "",
			`line 4: requests[0].timeout: got "5 seconds"; expected a positive duration such as 500ms, 5s or 1m`},
		{"negative timeout", "host: http://a\nrequests:\n  - path: /\n    timeout: -1s\n", "",
			`line 4: requests[0].timeout: got "-1s"; expected a positive duration such as 500ms, 5s or 1m`},
		{"missing host and target", "requests:\n  - path: /\n", "",
			"host: missing; set host in the scenario or pass --target URL"},
		{"host not http", "host: ftp://a\nrequests: [{path: /}]\n", "",
			`host: "ftp://a" is not an http(s) URL; expected e.g. http://127.0.0.1:8080`},
		{"target not a URL", "requests: [{path: /}]\n", "127.0.0.1:8080",
			`--target: "127.0.0.1:8080" is not an http(s) URL; expected e.g. http://127.0.0.1:8080`},
		{"no requests", "host: http://a\n", "",
			"requests: missing or empty; expected a list of at least one request"},
		{"empty requests", "host: http://a\nrequests: []\n", "",
			"requests: missing or empty; expected a list of at least one request"},
		{"path missing", "host: http://a\nrequests:\n  - name: x\n", "",
			"line 3: requests[0].path: missing; expected a path such as /"},
		{"path relative", "host: http://a\nrequests:\n  - path: api\n", "",
			`line 3: requests[0].path: "api" must start with "/"`},
		{"status out of range", "host: http://a\nrequests:\n  - path: /\n    expect_status: 999\n", "",
			`line 4: requests[0].expect_status: got "999"; expected a status from 100 to 599 or a list of them`},
		{"status list with text", "host: http://a\nrequests:\n  - path: /\n    expect_status: [200, ok]\n", "",
			`line 4: requests[0].expect_status: got "ok"; expected a status from 100 to 599 or a list of them`},
		{"headers not a map", "host: http://a\nrequests:\n  - path: /\n    headers: [a]\n", "",
			"line 4: requests[0].headers: got a list; expected a mapping of header name to value"},
		{"name not a string", "host: http://a\nrequests:\n  - path: /\n    name: [a]\n", "",
			"line 4: requests[0].name: got a list; expected a string"},
		{"duplicate key", "host: http://a\nhost: http://b\nrequests: [{path: /}]\n", "",
			"line 2: host: given twice"},
		{"request not a mapping", "host: http://a\nrequests: [x]\n", "",
			"line 2: requests[0]: expected a mapping with name, method, path, weight, expect_status, headers, body, timeout"},
		{"not a mapping", "- a\n", "",
			"line 1: the document must be a mapping with host and requests"},
		{"empty document", "", "",
			"empty document; expected a mapping with host and requests"},
		{"broken yaml", "host: [\n", "",
			"not valid YAML or JSON: yaml: line 1: did not find expected node content"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(tc.doc), tc.target)
			if err == nil {
				t.Fatalf("got no error, want %q", tc.want)
			}
			if got := err.Error(); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestLoad_UnreadableFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "missing.yaml")
	_, err := Load(path, "")
	want := `cannot read scenario file "` + path + `": no such file or directory`
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %q", err, want)
	}
}

func TestLoad_NamesTheFileInErrors(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "s.yaml")
	if err := os.WriteFile(path, []byte("host: http://a\nrequests: [{path: /, weight: 0}]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path, "")
	want := path + `: line 2: requests[0].weight: got "0"; expected a whole number > 0`
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %q", err, want)
	}
}

func TestDefault_GetRootOfTarget(t *testing.T) {
	t.Parallel()
	sc, err := Default("http://127.0.0.1:8080/")
	if err != nil {
		t.Fatal(err)
	}
	r := sc.Requests[0]
	if sc.Host != "http://127.0.0.1:8080" || r.Method != "GET" || r.Path != "/" || r.Name != "/" {
		t.Errorf("got %+v", sc)
	}
	if _, err := Default(""); err == nil || err.Error() != "--target: missing; set host in the scenario or pass --target URL" {
		t.Errorf("Default(\"\"): got %v", err)
	}
}

func TestRequest_StatusOK(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		expect []int
		status int
		want   bool
		text   string
	}{
		{"default accepts 200", nil, 200, true, "< 400"},
		{"default accepts 302", nil, 302, true, "< 400"},
		{"default rejects 404", nil, 404, false, "< 400"},
		{"default rejects 0", nil, 0, false, "< 400"},
		{"single", []int{201}, 200, false, "201"},
		{"list", []int{200, 404}, 404, true, "one of 200, 404"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := Request{ExpectStatus: tc.expect}
			if got := r.StatusOK(tc.status); got != tc.want {
				t.Errorf("StatusOK(%d): got %v, want %v", tc.status, got, tc.want)
			}
			if got := r.ExpectText(); got != tc.text {
				t.Errorf("ExpectText: got %q, want %q", got, tc.text)
			}
		})
	}
}
