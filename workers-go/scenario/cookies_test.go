package scenario

import (
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// A login that answers 302 with the session's new CSRF cookie (Django rotates it at login):
// extract: {cookie: csrftoken} on the login step found none, the page redirected to setting none.
func TestRun_ExtractsACookieSetByARedirect(t *testing.T) {
	host := serve(t, func(ctx *fasthttp.RequestCtx) {
		switch string(ctx.Path()) {
		case "/login":
			ctx.Response.Header.Add("Set-Cookie", "csrftoken=new-token; Path=/")
			ctx.Redirect("/home", fasthttp.StatusFound)
		case "/api":
			if string(ctx.Request.Header.Peek("X-CSRFToken")) != "new-token" {
				ctx.SetStatusCode(fasthttp.StatusForbidden)
			}
		}
	})
	doc := `on_start:
  - {name: login, method: POST, path: /login, form: {user: a}, extract: {csrf: {cookie: csrftoken}}}
tasks:
  - {name: api, method: POST, path: /api, headers: {X-CSRFToken: "{{ csrf }}"}}
`
	rec := runUntil(t, doc, nil, host, 1, 5*time.Second, func(rec *recorder) bool {
		ok, _, _ := rec.counts()
		return ok["POST api"] > 0
	})
	if ok, failed, reasons := rec.counts(); ok["POST login"] != 1 || ok["POST api"] == 0 || len(failed) > 0 {
		t.Errorf("successes %v, failures %v %v; want the login once and the API calls with its token", ok, failed, reasons)
	}
}
