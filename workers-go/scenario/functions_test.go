package scenario

import (
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

func TestTemplateFunctions(t *testing.T) {
	t.Setenv("SCENARIO_TEST_USER", "al:ice")
	p := compileDoc(t, `host: http://a
on_start: [{path: /seed, extract: {x: {json: $.x}, xsrf: {cookie: XSRF-TOKEN}}}]
tasks:
  - name: flow
    steps:
      - {name: clock, path: /c, headers: {S: "{{ now_unix }}", M: "{{ now_ms }}", I: "{{ now_iso }}"}}
      - {name: random, path: /r, headers: {A: "{{ random_string(12) }}", B: "{{ random_string(1) }}"}}
      - {name: filters, path: /f, headers: {E: "{{ x | urlencode }}", B: "{{ x | base64 }}", Both: "{{ x | base64 | urlencode }}", Env: "{{ env.SCENARIO_TEST_USER | base64 }}", D: "{{ xsrf | urldecode }}", Round: "{{ x | urlencode | urldecode }}"}}
`, nil)
	// an XSRF-TOKEN cookie as Laravel sets it, URL-encoded: sent back decoded, as axios does
	u := newUser(0, map[string]string{"x": "a b/?é", "xsrf": "eyJpdiI6Ik%3D%3D+%zz%2f"})
	headers := func(step string) map[string]string {
		m := map[string]string{}
		for _, h := range stepNamed(t, p, step).request(u, p.state(u)).Headers {
			m[h.Name] = h.Value
		}
		return m
	}
	before := time.Now()
	clock := headers("clock")
	after := time.Now()
	secs, _ := strconv.ParseInt(clock["S"], 10, 64)
	ms, _ := strconv.ParseInt(clock["M"], 10, 64)
	iso, err := time.Parse("2006-01-02T15:04:05.000Z", clock["I"])
	switch {
	case secs < before.Unix() || secs > after.Unix():
		t.Errorf("now_unix = %q; want the Unix time in seconds, %d", clock["S"], before.Unix())
	case ms < before.UnixMilli() || ms > after.UnixMilli():
		t.Errorf("now_ms = %q; want the Unix time in milliseconds, %d", clock["M"], before.UnixMilli())
	case err != nil || iso.Before(before.Truncate(time.Millisecond)) || iso.After(after):
		t.Errorf("now_iso = %q; want the UTC time as 2006-01-02T15:04:05.000Z", clock["I"])
	}

	alnum := regexp.MustCompile(`^[A-Za-z0-9]+$`)
	seen := map[string]bool{}
	for range 20 {
		r := headers("random")
		if len(r["A"]) != 12 || len(r["B"]) != 1 || !alnum.MatchString(r["A"]+r["B"]) {
			t.Fatalf("random_string: got %q and %q; want 12 and 1 letters or digits", r["A"], r["B"])
		}
		seen[r["A"]] = true
	}
	if len(seen) < 20 {
		t.Errorf("random_string(12): %d distinct values in 20; want a new one each time", len(seen))
	}

	want := map[string]string{"E": "a%20b%2F%3F%C3%A9", "B": "YSBiLz/DqQ==", "Both": "YSBiLz%2FDqQ%3D%3D", "Env": "YWw6aWNl",
		"D": "eyJpdiI6Ik==+%zz/", "Round": "a b/?é"}
	got := headers("filters")
	for name, value := range want {
		if got[name] != value {
			t.Errorf("%s: got %q; want %q", name, got[name], value)
		}
	}
}

// A sign-in form taken from its page, as Keycloak's is: the form's action and its hidden fields
// are HTML attribute values, in which & is written &amp;. htmldecode sends what a browser sends
// (the action's query as two parameters, the hidden field's text); a relative action is resolved
// against the page it came from, filter or not.
func TestHTMLDecode_AFormTakenFromItsPage(t *testing.T) {
	var mu sync.Mutex
	var posted []string
	host := serve(t, func(ctx *fasthttp.RequestCtx) {
		if !ctx.IsPost() {
			ctx.SetContentType("text/html")
			ctx.SetBodyString(`<form method="post" action="login-actions/authenticate?session_code=a1&amp;execution=e%2F2&amp;tab_id=t">` +
				`<input type="hidden" name="next" value="/account?tab=orders&amp;lang=de&#39;s&quot;">`)
			return
		}
		mu.Lock()
		posted = append(posted, string(ctx.RequestURI())+" "+string(ctx.PostArgs().Peek("next")))
		mu.Unlock()
	})
	doc := `tasks:
  - name: sign in
    steps:
      - name: page
        path: /realms/shop/login
        extract:
          action: {regex: 'action="([^"]+)"'}
          next: {regex: 'name="next" value="([^"]+)"'}
      - {name: post, method: POST, path: "{{ action | htmldecode }}", form: {next: "{{ next | htmldecode }}"}}
`
	rec := runUntil(t, doc, nil, host, 1, 5*time.Second, func(r *recorder) bool {
		ok, _, _ := r.counts()
		return ok["POST post"] > 0
	})
	if _, failed, reasons := rec.counts(); len(failed) > 0 {
		t.Fatalf("failures %v: %v", failed, reasons)
	}
	mu.Lock()
	defer mu.Unlock()
	want := `/realms/shop/login-actions/authenticate?session_code=a1&execution=e%2F2&tab_id=t /account?tab=orders&lang=de's"`
	if len(posted) == 0 || posted[0] != want {
		t.Errorf("posted %q; want %q", posted, want)
	}
}
