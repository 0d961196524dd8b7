package scenario

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// A scheme is case-insensitive (RFC 3986 3.1): "HTTP://host/x" in a path, a base URL or a link
// is the same URL as http://host/x, and is sent there. The base URL was accepted in any case
// while the same scheme in a path was refused.
func TestRun_SchemesInAnyCase(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]int{}
	host := serve(t, func(ctx *fasthttp.RequestCtx) {
		mu.Lock()
		seen[string(ctx.RequestURI())]++
		mu.Unlock()
		if string(ctx.Path()) == "/start" {
			ctx.SetBodyString(`{"next": "HTTPS://cdn.example/never"}`)
		}
	})
	upper := "HTTP://" + strings.TrimPrefix(host, "http://")
	doc := `host: ` + upper + `
hosts: {other: "Http://` + strings.TrimPrefix(host, "http://") + `/base"}
tasks:
  - name: flow
    steps:
      - {name: absolute, path: "` + upper + `/abs?q=1"}
      - {name: relative, path: /rel}
      - {name: named, host: other, path: /named}
      - {name: start, path: /start, extract: {next: {json: $.next}}}
`
	p := compileDoc(t, doc, nil)
	u := newUser(0, map[string]string{"next": "HTTPS://cdn.example/x"})
	if got := stepNamed(t, p, "absolute").request(u, p.state(u)).Path; got != host+"/abs?q=1" {
		t.Errorf("absolute path: got %q; want %q", got, host+"/abs?q=1")
	}
	link := compileDoc(t, "host: http://a\non_start: [{path: /s, extract: {next: {json: $.n}}}]\ntasks: [{name: link, path: \"{{ next }}\"}]\n", nil)
	if got := stepNamed(t, link, "link").request(u, link.state(u)); got.Path != "https://cdn.example/x" || got.Invalid != "" {
		t.Errorf("link HTTPS://cdn.example/x: got %q (invalid %q); want https://cdn.example/x", got.Path, got.Invalid)
	}
	rec := runUntil(t, doc, nil, "", 1, 5*time.Second, func(r *recorder) bool {
		ok, _, _ := r.counts()
		return ok["GET start"] > 0
	})
	if ok, failed, reasons := rec.counts(); len(failed) > 0 || ok["GET absolute"] == 0 {
		t.Fatalf("successes %v, failures %v: %v", ok, failed, reasons)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, want := range []string{"/abs?q=1", "/rel", "/base/named", "/start"} {
		if seen[want] == 0 {
			t.Errorf("%s was never requested; requests: %v", want, seen)
		}
	}
}
