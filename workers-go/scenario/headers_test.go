package scenario

import (
	"encoding/base64"
	"reflect"
	"testing"

	"locustfleet/worker/user"
)

func TestStep_Request_DefaultHeadersAndAuth(t *testing.T) {
	t.Parallel()
	doc := `host: http://a
data:
  accounts: {csv: accounts.csv}
headers:
  User-Agent: fleet-test
  X-Tenant: top
  Authorization: "Bearer {{ token }}"
on_start:
  - {name: login, method: POST, path: /login, json: {u: "{{ accounts.user }}"}, extract: {token: {json: $.token}}}
  - {name: profile, path: /me}
tasks:
  - name: flow
    headers: {x-tenant: "flow-{{ user_id }}", X-Flow: f}
    steps:
      - {name: inherits, path: /a}
      - {name: overrides, path: /b, headers: {X-TENANT: step, authorization: "Token {{ token }}"}}
      - {name: removes, path: /c, headers: {X-Flow: null, Authorization: null, Accept-Encoding: null}}
      - {name: json body, method: POST, path: /d, json: {a: 1}}
      - {name: own content type, method: POST, path: /e, json: {a: 1}, headers: {Content-Type: application/vnd.api+json}}
      - {name: no content type, method: POST, path: /f, json: {a: 1}, headers: {Content-Type: null}}
      - {name: step auth, path: /g, auth: {basic: {user: "{{ accounts.user }}", password: "{{ accounts.password }}"}}}
  - name: basic
    auth: {basic: {user: admin, password: "s3cret:x"}}
    steps:
      - {name: static auth, path: /h}
      - {name: text body, method: POST, path: /i, body: raw}
  - {name: single, path: /j, headers: {X-Tenant: single}}
`
	p := compileDoc(t, doc, map[string]string{"accounts.csv": "user,password\nal ice,pä:ss\n"})
	u := newUser(7, map[string]string{"token": "T"})
	p.pick(u)
	basic := func(userPass string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte(userPass)) }
	cases := []struct {
		step             string
		headers          []user.Header
		noAcceptEncoding bool
	}{
		{"login", hs("User-Agent", "fleet-test", "X-Tenant", "top", "Content-Type", "application/json"), false},
		{"profile", hs("User-Agent", "fleet-test", "X-Tenant", "top", "Authorization", "Bearer T"), false},
		{"inherits", hs("User-Agent", "fleet-test", "x-tenant", "flow-7", "Authorization", "Bearer T", "X-Flow", "f"), false},
		{"overrides", hs("User-Agent", "fleet-test", "X-TENANT", "step", "authorization", "Token T", "X-Flow", "f"), false},
		{"removes", hs("User-Agent", "fleet-test", "x-tenant", "flow-7"), true},
		{"json body", hs("User-Agent", "fleet-test", "x-tenant", "flow-7", "Authorization", "Bearer T", "X-Flow", "f", "Content-Type", "application/json"), false},
		{"own content type", hs("User-Agent", "fleet-test", "x-tenant", "flow-7", "Authorization", "Bearer T", "X-Flow", "f", "Content-Type", "application/vnd.api+json"), false},
		{"no content type", hs("User-Agent", "fleet-test", "x-tenant", "flow-7", "Authorization", "Bearer T", "X-Flow", "f"), false},
		{"step auth", hs("User-Agent", "fleet-test", "x-tenant", "flow-7", "Authorization", basic("al ice:pä:ss"), "X-Flow", "f"), false},
		{"static auth", hs("User-Agent", "fleet-test", "X-Tenant", "top", "Authorization", basic("admin:s3cret:x")), false},
		{"text body", hs("User-Agent", "fleet-test", "X-Tenant", "top", "Authorization", basic("admin:s3cret:x")), false},
		{"single", hs("User-Agent", "fleet-test", "X-Tenant", "single", "Authorization", "Bearer T"), false},
	}
	for _, c := range cases {
		t.Run(c.step, func(t *testing.T) {
			got := stepNamed(t, p, c.step).request(u, p.state(u))
			if !reflect.DeepEqual(got.Headers, c.headers) || got.NoAcceptEncoding != c.noAcceptEncoding {
				t.Errorf("\ngot  headers %q, no Accept-Encoding %v\nwant headers %q, no Accept-Encoding %v", got.Headers, got.NoAcceptEncoding, c.headers, c.noAcceptEncoding)
			}
		})
	}
	if s := stepNamed(t, p, "static auth"); s.staticHeaders == nil {
		t.Error("constant default headers and auth are rendered per request; want them shared")
	}
}

func TestStep_Request_EnvironmentInHeadersIsConstant(t *testing.T) {
	t.Setenv("SCENARIO_TEST_TOKEN", "tok/en+")
	p := compileDoc(t, `host: http://a
headers: {Authorization: "Bearer {{ env.SCENARIO_TEST_TOKEN }}", X-B64: "{{ env.SCENARIO_TEST_TOKEN | base64 }}"}
tasks:
  - {name: r, path: /, headers: {Authorization: null}}
  - {name: a, path: /a, auth: {basic: {user: "{{ env.SCENARIO_TEST_TOKEN }}", password: p}}}
`, nil)
	s := stepNamed(t, p, "r")
	want := []user.Header{{Name: "X-B64", Value: "dG9rL2VuKw=="}}
	if !reflect.DeepEqual(s.staticHeaders, want) {
		t.Errorf("got static headers %q; want %q", s.staticHeaders, want)
	}
	auth := stepNamed(t, p, "a").staticHeaders
	if len(auth) != 2 || auth[0].Value != "Basic "+base64.StdEncoding.EncodeToString([]byte("tok/en+:p")) {
		t.Errorf("auth from the environment: got static headers %q; want a constant Basic header", auth)
	}
}

// hs makes headers from names and values: hs("A", "1", "B", "2").
func hs(namesAndValues ...string) []user.Header {
	var out []user.Header
	for i := 0; i+1 < len(namesAndValues); i += 2 {
		out = append(out, user.Header{Name: namesAndValues[i], Value: namesAndValues[i+1]})
	}
	return out
}
