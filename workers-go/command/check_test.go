package command

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

func TestCheckScenario(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	write("accounts.csv", "user,password\na,pa\nb,pb\n")
	good := write("good.yaml", `host: http://127.0.0.1:9
arrival: {rate: 5/s, session: task}   # new visitors
data:
  accounts: {csv: accounts.csv}
on_start:
  - {name: login, method: POST, path: /login, json: {user: "{{ accounts.user }}"}, extract: {ids: {json: "$.ids"}}}
tasks:
  - name: browse
    weight: 2
    steps:
      - loop: {over: ids, as: id, max: 10}
        steps:
          - {name: item, path: "/items/{{ id }}", check: [{status: 200, fatal: false}, {json: $.id, equals: "{{ id }}"}]}
          - think: 10ms
      - if: {var: ids, length: {gt: 2}}
        steps: [{name: more, path: /more}]
  - {name: home, path: /}
`)
	bad := write("bad.yaml", "host: http://a\ntasks:\n  - path: x\n    check: [{status: ok}]\n")
	// bytes where a request carries them, an error where it cannot, as a run says
	binary := write("binary.yaml", "host: http://a\ntasks:\n  - {name: up, method: PUT, path: /up, body: !!binary AAEC}\n  - {name: j, method: POST, path: /j, json: {a: !!binary AAEC}}\n")
	cases := []struct {
		name, scenario, target string
		code                   int
		out, errOut            string
	}{
		{"a scenario that compiles", good, "", 0, good + `: OK
  host: http://127.0.0.1:9
  model: open, arrival {rate: 5/s, session: task}
  data: accounts (accounts.csv: 2 rows; columns user, password; mode cycle)
  on_start: 1 request
  tasks: 2
    browse: weight 2, 2 steps (2 requests, 1 think, 1 loop, 1 if)
    home: weight 1, 1 request
  requests (Locust's rows): POST login, GET item, GET more, GET home
  checks: 1 fatal, 1 non-fatal
`, ""},
		{"--target overrides the host", good, "http://127.0.0.1:8", 0, "", ""},
		{"every mistake", bad, "", 2, "", "worker: " + bad + `: line 3: tasks[0].path: "x" must start with "/" or be an absolute URL (http:// or https://)` + "\n" +
			bad + `: line 4: tasks[0].check[0].status: equals "ok": expected a number (status is a number)` + "\n"},
		{"a !!binary value in a JSON body", binary, "", 2, "", "worker: " + binary + ": line 4: tasks[1].json.a: got a !!binary value (bytes); expected JSON: JSON has no bytes (send them with body: !!binary and a Content-Type, or leave out the !!binary tag to send the base64 text as a JSON string)\n"},
		{"no scenario", "", "", 2, "", "worker: --check: no --scenario; expected --scenario FILE, the file to check\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			*scenarioPath = tc.scenario
			setTarget(t, tc.target)
			defer func() { *scenarioPath = ""; setTarget(t, "") }()
			var out, errOut bytes.Buffer
			if code := Check(&out, &errOut); code != tc.code {
				t.Errorf("exit code: got %d, want %d (%s)", code, tc.code, errOut.String())
			}
			if tc.out != "" && out.String() != tc.out {
				t.Errorf("out:\n%s\nwant:\n%s", out.String(), tc.out)
			}
			if tc.target != "" && !bytes.Contains(out.Bytes(), []byte("host: "+tc.target+" (--target)")) {
				t.Errorf("out: %s; want the --target host", out.String())
			}
			if errOut.String() != tc.errOut {
				t.Errorf("errOut:\n%q\nwant:\n%q", errOut.String(), tc.errOut)
			}
		})
	}
}

// setTarget sets --target as the command line would (the flag belongs to the lifecycle package).
func setTarget(t *testing.T, url string) {
	t.Helper()
	if err := flag.Set("target", url); err != nil {
		t.Fatal(err)
	}
}

// --check said OK of flags a run refuses at start.
func TestCheckScenario_flags(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.yaml")
	if err := os.WriteFile(path, []byte("host: http://127.0.0.1:9\ntasks: [{name: home, path: /}]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	*scenarioPath = path
	defer func() { *scenarioPath = "" }()
	for _, tc := range []struct{ flag, value, errOut string }{
		{"run-tasks", "nosuch", `worker: --run-tasks: no task named "nosuch"; the tasks are "home"` + "\n"},
		{"max-rps", "-1", `worker: --max-rps: got "-1"; expected requests per second >= 0 (0: no limit)` + "\n"},
		{"reset-header", "X Reset", "worker: --reset-header: got \"X Reset\"; expected a header name (letters, digits and !#$%&'*+.^_`|~-), e.g. X-Locust-Fleet-Reset\n"},
	} {
		t.Run(tc.flag, func(t *testing.T) {
			defer func(old string) { _ = flag.Set(tc.flag, old) }(flag.Lookup(tc.flag).Value.String())
			_ = flag.Set(tc.flag, tc.value)
			var out, errOut bytes.Buffer
			if code := Check(&out, &errOut); code != 2 || errOut.String() != tc.errOut {
				t.Errorf("got exit code %d, errOut %q; want 2, %q", code, errOut.String(), tc.errOut)
			}
		})
	}
}
