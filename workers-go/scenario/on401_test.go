package scenario

import (
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// A token that works for two requests: every third authorised request is answered 401, on_401
// refreshes the token and the request is sent again. The 401s are recorded as successes of their
// step and what each row counts is what the target served; a step expecting 401 handles its own.
func TestRun_On401RefreshesAndSendsTheRequestAgain(t *testing.T) {
	var mu sync.Mutex
	uses := map[string]int{}
	served := map[string]int{}
	next := 0
	host := serve(t, func(ctx *fasthttp.RequestCtx) {
		mu.Lock()
		defer mu.Unlock()
		path := string(ctx.Path())
		served[string(ctx.Method())+" "+path]++
		switch path {
		case "/login", "/refresh":
			next++
			ctx.SetBodyString(`{"token": "t` + strconv.Itoa(next) + `"}`)
			return
		case "/public":
			ctx.SetStatusCode(401) // expected by its step: never refreshed for
			return
		}
		token := strings.TrimPrefix(string(ctx.Request.Header.Peek("Authorization")), "Bearer ")
		if uses[token]++; uses[token] > 2 {
			ctx.SetStatusCode(401)
			ctx.SetBodyString(`{"error": "expired"}`)
			return
		}
		ctx.SetBodyString(`{"ok": true}`)
	})
	doc := `on_start:
  - {name: login, method: POST, path: /login, extract: {token: {json: $.token}}}
headers: {Authorization: "Bearer {{ token }}"}
on_401:
  - {name: refresh, method: POST, path: /refresh, headers: {Authorization: null}, extract: {token: {json: $.token}}}
tasks:
  - name: work
    steps:
      - {name: items, path: /items, check: [{json: $.ok}]}
      - {name: save, method: POST, path: /save, json: {a: 1}, extract: {ok: {json: $.ok}}}
      - {name: public, path: /public, expect_status: [200, 401]}
`
	rec := run(t, doc, nil, host, 2, 400*time.Millisecond)
	ok, failed, _ := rec.counts()
	mu.Lock()
	defer mu.Unlock()
	if len(failed) != 0 {
		t.Fatalf("failures %v; want none", failed)
	}
	want := map[string]int{"POST /login": ok["POST login"], "POST /refresh": ok["POST refresh"], "GET /items": ok["GET items"],
		"POST /save": ok["POST save"], "GET /public": ok["GET public"]}
	for route, n := range served {
		if want[route] != n {
			t.Errorf("served %v; recorded %v; want each route's count recorded under its step", served, ok)
			break
		}
	}
	if served["POST /refresh"] == 0 {
		t.Errorf("served %v; want refreshes", served)
	}
}

// on_401 is refused with the single-request list; its steps see what on_start extracted.
func TestParse_On401(t *testing.T) {
	_, _, _, err := parse([]byte("host: http://a\non_401: [{path: /r}]\nrequests: [{path: /}]\n"), t.TempDir(), "")
	if err == nil || !strings.Contains(err.Error(), "requests: the single-request list takes no wait, data, on_start, on_stop or on_401") {
		t.Errorf("got %v", err)
	}
	_, _, _, err = parse([]byte("host: http://a\non_401: [{path: \"/r/{{ later }}\"}]\ntasks:\n  - steps: [{path: /, extract: {later: {json: $.a}}}]\n"), t.TempDir(), "")
	if err == nil || !strings.Contains(err.Error(), "on_401[0].path: {{ later }} is not extracted before this step") {
		t.Errorf("got %v", err)
	}
}
