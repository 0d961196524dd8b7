package scenario

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"locustfleet/worker/user"
)

// acceptance is the scenario the reference documents; it must compile as written.
const acceptance = `host: http://127.0.0.1:8080
wait: {between: [100ms, 300ms]}          # after each task; also {constant: 1s} and {pacing: 2s}
data:
  accounts: {csv: accounts.csv, mode: unique}   # path relative to this file; header row names columns
on_start:                                 # once per user, before its first task
  - name: login
    method: POST
    path: /login
    json: {user: "{{ accounts.user }}", password: "{{ accounts.password }}"}
    expect_status: 200
    extract:
      token: {json: "$.token"}
tasks:
  - name: browse                          # a flow: its steps run in order
    weight: 3
    steps:
      - name: items
        path: /items
        headers: {Authorization: "Bearer {{ token }}"}
        extract:
          item: {json: "$.items[0].id"}
        check:
          - json: "$.items[1].id"         # must exist
      - think: 50ms
      - name: item
        path: "/items/{{ item }}"
        headers: {Authorization: "Bearer {{ token }}"}
        check:
          - body_contains: '"id"'
          - max_ms: 2000
  - name: home                            # a task can still be one request
    weight: 1
    path: /
`

const accountsCSV = "user,password\nalice,a-pw\nbob,b-pw\n"

func TestParse_AcceptanceScenario(t *testing.T) {
	t.Parallel()
	dir := files(t, map[string]string{"accounts.csv": accountsCSV})
	class, err := Parse([]byte(acceptance), dir, "")
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if class.Host != "http://127.0.0.1:8080" {
		t.Errorf("Host: got %q", class.Host)
	}
	if want := (user.Between(100*time.Millisecond, 300*time.Millisecond)); class.Wait != want {
		t.Errorf("Wait: got %#v, want %#v", class.Wait, want)
	}
	if !class.FleetNumbers {
		t.Error("FleetNumbers: got false, want true (unique data)")
	}
	if class.OnStart == nil || class.OnStop != nil {
		t.Errorf("OnStart set %v, OnStop set %v; want on_start only", class.OnStart != nil, class.OnStop != nil)
	}
	var tasks []string
	for _, tk := range class.Tasks {
		tasks = append(tasks, tk.Name+"/"+string(rune('0'+tk.Weight)))
	}
	if want := []string{"browse/3", "home/1"}; !reflect.DeepEqual(tasks, want) {
		t.Errorf("tasks: got %v, want %v", tasks, want)
	}

	p, _, _, err := parse([]byte(acceptance), dir, "")
	if err != nil {
		t.Fatal(err)
	}
	u := newUser(1, nil)
	if src := p.pick(u); src != nil {
		t.Fatalf("pick: no row in %s for user 1", src.name)
	}
	login := stepNamed(t, p, "login")
	got := login.request(u, p.state(u))
	want := user.Request{Method: "POST", Name: "login", Path: "/login", ExpectStatus: []int{200},
		Headers: []user.Header{{Name: "Content-Type", Value: "application/json"}},
		Body:    []byte(`{"user":"bob","password":"b-pw"}`)}
	if got.Check == nil {
		t.Error("login: no Check, want the token extraction")
	}
	got.Check = nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("login:\ngot  %+v\nwant %+v", got, want)
	}
	if reason := login.verify(u, &user.Response{Status: 200, Body: []byte(`{"token":"tk"}`)}); reason != "" || u.Vars["token"] != "tk" {
		t.Fatalf("login verify: reason %q, token %q", reason, u.Vars["token"])
	}

	items := stepNamed(t, p, "items")
	if r := items.request(u, p.state(u)); r.Path != "/items" || !reflect.DeepEqual(r.Headers, []user.Header{{Name: "Authorization", Value: "Bearer tk"}}) {
		t.Errorf("items: got path %q headers %v", r.Path, r.Headers)
	}
	if reason := items.verify(u, &user.Response{Body: []byte(`{"items":[{"id":7},{"id":8}]}`)}); reason != "" || u.Vars["item"] != "7" {
		t.Fatalf("items verify: reason %q, item %q", reason, u.Vars["item"])
	}
	item := stepNamed(t, p, "item")
	if r := item.request(u, p.state(u)); r.Path != "/items/7" || r.Name != "item" {
		t.Errorf("item: got path %q name %q, want /items/7 named item", r.Path, r.Name)
	}
	browse := p.tasks[0].flow.steps
	if len(browse) != 3 || browse[1].think != 50*time.Millisecond {
		t.Errorf("browse: got %d steps, think %v; want items, 50ms, item", len(browse), browse[1].think)
	}
	home := stepNamed(t, p, "home")
	if r := home.request(u, p.state(u)); r.Path != "/" || r.Method != "GET" || r.Check != nil {
		t.Errorf("home: got %+v", r)
	}
}

func TestParse_AcceptanceFailureReasons(t *testing.T) {
	t.Parallel()
	p := compileDoc(t, acceptance, map[string]string{"accounts.csv": accountsCSV})
	u := newUser(0, map[string]string{"token": "tk"})
	cases := []struct {
		step    string
		body    string
		elapsed time.Duration
		want    string
	}{
		{"login", `{"no":"token"}`, 0, "extract token: json $.token not found"},
		{"items", `{"items":[]}`, 0, "extract item: json $.items[0].id not found"},
		{"items", `{"items":[{"id":1}]}`, 0, "check json $.items[1].id: not found"},
		{"item", `{"name":"x"}`, 0, `check body_contains "id": not found`},
		{"item", `{"id":1}`, 2350 * time.Millisecond, "check max_ms 2000: took 2350 ms"},
		{"item", `{"id":1}`, 2000 * time.Millisecond, ""},
	}
	for _, tc := range cases {
		t.Run(tc.step+" "+tc.want, func(t *testing.T) {
			if got := stepNamed(t, p, tc.step).verify(u, &user.Response{Status: 200, Body: []byte(tc.body), Elapsed: tc.elapsed}); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestParse_RequestsFormatUnchanged(t *testing.T) {
	t.Parallel()
	doc := `
host: http://127.0.0.1:8080/
requests:
  - name: home
    method: get
    path: /
    weight: 3
    expect_status: 200
    headers: {Accept: application/json, X-Trace: "{{ sent as written }}"}
    body: ""
    timeout: 5s
  - path: /items
    expect_status: [200, 201]
  - path: /submit
    method: POST
    body: '{"a": "{{ x }}"}'
`
	class, err := Parse([]byte(doc), "", "")
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if class.Host != "http://127.0.0.1:8080" || class.Wait != nil || class.OnStart != nil || class.FleetNumbers {
		t.Errorf("class: got host %q wait %v on_start %v fleet %v", class.Host, class.Wait, class.OnStart != nil, class.FleetNumbers)
	}
	if class.HTTP.Timeout != DefaultTimeout {
		t.Errorf("HTTP.Timeout: got %v, want %v", class.HTTP.Timeout, DefaultTimeout)
	}
	var got []string
	for _, tk := range class.Tasks {
		got = append(got, tk.Name+"/"+string(rune('0'+tk.Weight)))
	}
	if want := []string{"home/3", "/items/1", "/submit/1"}; !reflect.DeepEqual(got, want) {
		t.Errorf("tasks: got %v, want %v", got, want)
	}
	p, _, _, _ := parse([]byte(doc), "", "")
	u := newUser(0, nil)
	wants := []user.Request{
		{Method: "GET", Name: "home", Path: "/", ExpectStatus: []int{200}, Timeout: 5 * time.Second, Body: []byte{},
			Headers: []user.Header{{Name: "Accept", Value: "application/json"}, {Name: "X-Trace", Value: "{{ sent as written }}"}}},
		{Method: "GET", Name: "/items", Path: "/items", ExpectStatus: []int{200, 201}},
		{Method: "POST", Name: "/submit", Path: "/submit", Body: []byte(`{"a": "{{ x }}"}`)},
	}
	for i, want := range wants {
		if got := p.tasks[i].flow.steps[0].request(u, p.state(u)); !reflect.DeepEqual(got, want) {
			t.Errorf("request %d:\ngot  %+v\nwant %+v", i, got, want)
		}
	}
}

func TestParse_JSONAccepted(t *testing.T) {
	t.Parallel()
	doc := `{"host": "https://example.test", "tasks": [{"name": "a", "path": "/a", "weight": 2}]}`
	class, err := Parse([]byte(doc), "", "")
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if class.Host != "https://example.test" || class.Tasks[0].Weight != 2 || class.Tasks[0].Name != "a" {
		t.Errorf("got %+v", class)
	}
}

func TestParse_TargetOverridesHost(t *testing.T) {
	t.Parallel()
	class, err := Parse([]byte("host: http://a:1\ntasks: [{path: /}]\n"), "", "http://127.0.0.1:9")
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if class.Host != "http://127.0.0.1:9" {
		t.Errorf("host: got %q, want the --target value", class.Host)
	}
}

func TestParse_Wait(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, doc string
		want      user.Wait
	}{
		{"absent", "", nil},
		{"constant", "wait: {constant: 1s}\n", user.Constant(time.Second)},
		{"constant zero", "wait: {constant: 0s}\n", user.Constant(0)},
		{"between", "wait: {between: [1s, 3s]}\n", user.Between(time.Second, 3*time.Second)},
		{"between equal", "wait: {between: [2s, 2s]}\n", user.Between(2*time.Second, 2*time.Second)},
		{"pacing", "wait: {pacing: 2s}\n", user.Pacing(2 * time.Second)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			class, err := Parse([]byte("host: http://a\n"+tc.doc+"tasks: [{path: /}]\n"), "", "")
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if class.Wait != tc.want {
				t.Errorf("got %#v, want %#v", class.Wait, tc.want)
			}
		})
	}
}

func TestParse_Arrival(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, doc string
		want      *user.Arrival
	}{
		{"absent: closed model", "", nil},
		{"per second", "arrival: {rate: 20/s}\n", &user.Arrival{Rate: 20}},
		{"fraction per second", "arrival: {rate: 0.5/s}\n", &user.Arrival{Rate: 0.5}},
		{"per minute", "arrival: {rate: 600/min}\n", &user.Arrival{Rate: 10}},
		{"per m", "arrival: {rate: 120/m}\n", &user.Arrival{Rate: 2}},
		{"per hour", "arrival: {rate: 7200/h}\n", &user.Arrival{Rate: 2}},
		{"every key", "arrival: {rate: 20/s, distribution: poisson, max_in_flight: 200, max_lag: 250ms, max_connections: 64}\n",
			&user.Arrival{Rate: 20, Poisson: true, MaxInFlight: 200, MaxLag: 250 * time.Millisecond, MaxConns: 64}},
		{"constant", "arrival: {rate: 1/s, distribution: constant}\n", &user.Arrival{Rate: 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			class, err := Parse([]byte("host: http://a\n"+tc.doc+"tasks: [{path: /}]\n"), "", "")
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !reflect.DeepEqual(class.Arrival, tc.want) {
				t.Errorf("got %+v, want %+v", class.Arrival, tc.want)
			}
			if class.ForkState == nil {
				t.Errorf("ForkState: nil; want the scenario's, so that slots keep their user's data rows")
			}
		})
	}
}

func TestParse_OnFailure(t *testing.T) {
	t.Parallel()
	doc := `host: http://a
on_start:
  - {path: /s1, on_failure: continue}
  - {path: /s2}
tasks:
  - on_failure: continue
    steps:
      - {path: /t1}
      - {path: /t2, on_failure: stop}
  - steps:
      - {path: /t3}
      - {path: /t4, on_failure: continue}
`
	p := compileDoc(t, doc, nil)
	want := map[string]bool{"/s1": true, "/s2": false, "/t1": true, "/t2": false, "/t3": false, "/t4": true}
	for name, cont := range want {
		if got := stepNamed(t, p, name).cont; got != cont {
			t.Errorf("%s: continue %v, want %v", name, got, cont)
		}
	}
}

func TestParse_TaskNamesAndDefaults(t *testing.T) {
	t.Parallel()
	doc := `host: http://a
tasks:
  - steps: [{path: /a}]
  - path: /b/{{ user_id }}
  - {name: c, method: delete, path: /c, timeout: 2s}
`
	class, err := Parse([]byte(doc), "", "")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tk := range class.Tasks {
		names = append(names, tk.Name)
	}
	if want := []string{"tasks[0]", "/b/{{ user_id }}", "c"}; !reflect.DeepEqual(names, want) {
		t.Errorf("names: got %v, want %v", names, want)
	}
	if !class.FleetNumbers {
		t.Error("FleetNumbers: got false, want true (user_id is used)")
	}
	p := compileDoc(t, doc, nil)
	if r := stepNamed(t, p, "/b/{{ user_id }}").request(newUser(12, nil), p.state(newUser(12, nil))); r.Path != "/b/12" || r.Name != "/b/{{ user_id }}" {
		t.Errorf("got path %q name %q; want the expanded path, named by its template", r.Path, r.Name)
	}
	if s := stepNamed(t, p, "c"); s.method != "DELETE" || s.timeout != 2*time.Second {
		t.Errorf("c: got method %q timeout %v", s.method, s.timeout)
	}
}

func TestDefault(t *testing.T) {
	t.Parallel()
	class, err := Default("http://127.0.0.1:9/")
	if err != nil {
		t.Fatal(err)
	}
	if class.Host != "http://127.0.0.1:9" || len(class.Tasks) != 1 || class.Tasks[0].Name != "/" || class.Tasks[0].Weight != 1 {
		t.Errorf("got %+v", class)
	}
	if _, err := Default(""); err == nil || err.Error() != "--target: missing; set host in the scenario or pass --target URL" {
		t.Errorf("no target: got %v", err)
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

func TestLoad_NamesTheFileOnEveryLine(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "s.yaml")
	doc := "host: http://a\ntasks:\n  - {path: /, weight: 0}\n  - {path: x}\n"
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path, "")
	want := path + `: line 3: tasks[0].weight: got "0"; expected a whole number > 0` + "\n" +
		path + `: line 4: tasks[1].path: "x" must start with "/" or be an absolute URL (http:// or https://)`
	if err == nil || err.Error() != want {
		t.Errorf("got  %v\nwant %s", err, want)
	}
}

func TestLoad_DataRelativeToTheFile(t *testing.T) {
	t.Parallel()
	dir := files(t, map[string]string{"accounts.csv": accountsCSV, "s.yaml": acceptance})
	class, err := Load(filepath.Join(dir, "s.yaml"), "http://127.0.0.1:1")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if class.Host != "http://127.0.0.1:1" {
		t.Errorf("host: got %q", class.Host)
	}
}

func TestParse_ReportsEveryMistake(t *testing.T) {
	t.Parallel()
	doc := `host: http://a
wait: {between: [3s, 1s]}
tasks:
  - path: /{{ nope }}
    weight: x
  - steps:
      - {path: /a, method: FETCH}
      - {think: soon}
`
	_, err := Parse([]byte(doc), "", "")
	want := strings.Join([]string{
		"line 2: wait.between: [3s, 1s]: min is above max; expected min <= max",
		"line 4: tasks[0].path: {{ nope }} is not defined; expected a built-in (user_id, iteration, random(a, b), uuid, random_string(n), now_unix, now_ms, now_iso, env.NAME)",
		`line 5: tasks[0].weight: got "x"; expected a whole number > 0`,
		`line 7: tasks[1].steps[0].method: "FETCH" is not an HTTP method; expected one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS`,
		`line 8: tasks[1].steps[1].think: got "soon"; expected a positive duration such as 500ms, 5s or 1m`,
	}, "\n")
	if err == nil || err.Error() != want {
		t.Errorf("got\n%v\nwant\n%s", err, want)
	}
}

func TestParse_AcceptanceScenarioTypo(t *testing.T) {
	t.Parallel()
	doc := strings.Replace(acceptance, `path: "/items/{{ item }}"`, `path: "/items/{{ itme }}"`, 1)
	dir := files(t, map[string]string{"accounts.csv": accountsCSV, "scenario.yaml": doc})
	_, err := Load(filepath.Join(dir, "scenario.yaml"), "")
	want := filepath.Join(dir, "scenario.yaml") + ": line 26: tasks[0].steps[2].path: {{ itme }} is not defined; expected an extracted value (token, item), a data column (accounts.user, accounts.password) or a built-in (user_id, iteration, random(a, b), uuid, random_string(n), now_unix, now_ms, now_iso, env.NAME)"
	if err == nil || err.Error() != want {
		t.Errorf("got  %v\nwant %s", err, want)
	}
}
