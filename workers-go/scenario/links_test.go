package scenario

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// A path that is a variable alone is a link to follow (a "next" page): sent as a redirect's
// Location is, not escaped as data.
func TestStep_Request_Links(t *testing.T) {
	doc := `host: http://shop.example:8080/base
hosts:
  api: https://api.example/v1
on_start:
  - {name: seed, path: /seed, extract: {next: {json: $.next}}}
tasks:
  - name: flow
    steps:
      - {name: link, path: "{{ next }}"}
      - {name: link with query, path: "{{ next }}", query: {per_page: "{{ next }}"}}
      - {name: link on api, host: api, path: "{{ next }}"}
`
	p := compileDoc(t, doc, nil)
	invalid := "path {{ next }}: not a link to follow; expected an absolute URL (https://host/items?page=2) or a path from / (/items?page=2): a relative link or an empty value cannot be sent"
	cases := []struct {
		step, next, path, invalid string
	}{
		{"link", "/items?page=2&q=a+b", "http://shop.example:8080/items?page=2&q=a+b", ""},
		{"link", "https://cdn.example/p/x?c=%2F", "https://cdn.example/p/x?c=%2F", ""},
		{"link", "//cdn.example/x", "http://cdn.example/x", ""},
		{"link", "/a b/./c/../é?q=x y#frag", "http://shop.example:8080/a%20b/%C3%A9?q=x%20y", ""},
		{"link", " /spaced\n", "http://shop.example:8080/spaced", ""},
		{"link", "https://h.example", "https://h.example/", ""},
		{"link", "https://h.example?x=1", "https://h.example/?x=1", ""},
		{"link with query", "/items?page=2", "http://shop.example:8080/items?page=2&per_page=%2Fitems%3Fpage%3D2", ""},
		{"link with query", "/items", "http://shop.example:8080/items?per_page=%2Fitems", ""},
		{"link on api", "/v1/items?page=3", "https://api.example/v1/items?page=3", ""},
		{"link", "items?page=2", "http://shop.example:8080/", invalid},
		{"link", "", "http://shop.example:8080/", invalid},
		{"link", "null", "http://shop.example:8080/", invalid},
	}
	for _, c := range cases {
		u := newUser(0, map[string]string{"next": c.next})
		got := stepNamed(t, p, c.step).request(u, p.state(u))
		if got.Path != c.path || got.Invalid != c.invalid {
			t.Errorf("%s with next %q:\ngot  %q, invalid %q\nwant %q, invalid %q", c.step, c.next, got.Path, got.Invalid, c.path, c.invalid)
		}
	}
}

// runPages runs one user of doc against a server answering with respond, and checks that it
// failed nothing and that its first requests went to want (request URIs, space separated).
func runPages(t *testing.T, doc string, respond fasthttp.RequestHandler, want string) {
	t.Helper()
	var mu sync.Mutex
	var seen []string
	host := serve(t, func(ctx *fasthttp.RequestCtx) {
		mu.Lock()
		seen = append(seen, string(ctx.RequestURI()))
		mu.Unlock()
		respond(ctx)
	})
	rec := run(t, doc, nil, host, 1, 300*time.Millisecond)
	if _, failed, reasons := rec.counts(); len(failed) > 0 {
		t.Fatalf("failures %v: %v", failed, reasons)
	}
	mu.Lock()
	defer mu.Unlock()
	n := len(strings.Fields(want))
	if got := strings.Join(seen[:min(n, len(seen))], " "); got != want {
		t.Errorf("sent\n%s\nwant\n%s", got, want)
	}
}

// A relative link ("?page=2", "items?page=2") is resolved against the URL of the response it
// was extracted from, after its redirects; pagination ends on the last page's null.
func TestRun_FollowsNextLinks(t *testing.T) {
	doc := `tasks:
  - name: pages
    steps:
      - {name: first, path: /start, extract: {next: {json: $.next}}}
      - loop: {count: 5}
        steps:
          - if: {var: next, not_equals: "null"}
            steps:
              - {name: next, path: "{{ next }}", extract: {next: {json: $.next}}}
`
	runPages(t, doc, func(ctx *fasthttp.RequestCtx) {
		page := string(ctx.QueryArgs().Peek("page"))
		switch {
		case string(ctx.Path()) == "/start":
			ctx.Redirect("/api/v2/items?page=1", 302)
		case page == "1":
			ctx.SetBodyString(`{"next": "items?page=2&q=a b"}`)
		case page == "2":
			ctx.SetBodyString(`{"next": "?page=3"}`)
		case page == "3":
			ctx.SetBodyString(`{"next": "../v2/items?page=4"}`)
		default:
			ctx.SetBodyString(`{"next": null}`)
		}
	}, "/start /api/v2/items?page=1 /api/v2/items?page=2&q=a%20b /api/v2/items?page=3 /api/v2/items?page=4")
}

// linkPages is a flow that starts at first and follows the Link header's next page, five at
// most, until a page has none.
func linkPages(first string) string {
	return `tasks:
  - name: pages
    steps:
      - {name: first, path: ` + first + `, extract: {next: {header: Link, regex: '<([^>]+)>; *rel="next"', default: ""}}}
      - loop: {count: 5}
        steps:
          - if: {var: next}
            steps:
              - {name: next, path: "{{ next }}", extract: {next: {header: Link, regex: '<([^>]+)>; *rel="next"', default: ""}}}
`
}

// GitHub-style pagination: the next page is in the Link header, relative to the page; a regex
// on the header takes it, default: "" ends the pages when the last one has none.
func TestRun_FollowsLinkHeaders(t *testing.T) {
	runPages(t, linkPages("/repos/x/issues"), func(ctx *fasthttp.RequestCtx) {
		switch string(ctx.QueryArgs().Peek("page")) {
		case "":
			ctx.Response.Header.Set("Link", `</repos/x/issues?page=2>; rel="next", </repos/x/issues?page=3>; rel="last"`)
		case "2":
			ctx.Response.Header.Set("Link", `<issues?page=3>; rel="next"`)
		}
		ctx.SetBodyString("[]")
	}, "/repos/x/issues /repos/x/issues?page=2 /repos/x/issues?page=3 /repos/x/issues")
}

// A server that sends a Link field per relation (JAX-RS, Spring) with "next" after "first": the
// regex finds the next page in the second field, as requests' r.links does, instead of ending
// the pages after the first one.
func TestRun_FollowsLinkHeadersOfSeveralFields(t *testing.T) {
	runPages(t, linkPages("/books"), func(ctx *fasthttp.RequestCtx) {
		page := string(ctx.QueryArgs().Peek("page"))
		ctx.Response.Header.Add("Link", `</books>; rel="first"`)
		if page != "3" {
			ctx.Response.Header.Add("Link", `</books?page=`+map[string]string{"": "2", "2": "3"}[page]+`>; rel="next"`)
		}
		ctx.SetBodyString("[]")
	}, "/books /books?page=2 /books?page=3 /books")
}

// A link step whose host is missing or not a URL panicked at load (slicing the origin out of an
// empty base URL) instead of naming the host's mistake; docs/scenario.md's pagination example
// without its host did so under --check.
func TestParse_LinkWithoutAUsableHostNamesTheHost(t *testing.T) {
	t.Setenv("SCENARIO_TEST_EMPTY", "")
	steps := "      - {path: /a, extract: {next: {json: $.next}}}\n      - {%spath: \"{{ next }}\"}\n"
	cases := map[string]struct{ doc, want string }{
		"no host": {"tasks:\n  - steps:\n" + fmt.Sprintf(steps, ""),
			"host: missing; set host in the scenario or pass --target URL"},
		"named host not a URL": {"host: http://127.0.0.1:9\nhosts: {api: \"not a url\"}\ntasks:\n  - steps:\n" + fmt.Sprintf(steps, "host: api, "),
			`line 2: hosts.api: "not a url" is not an http(s) URL; expected e.g. http://127.0.0.1:8080`},
		"named host empty": {"host: http://127.0.0.1:9\nhosts: {api: \"{{ env.SCENARIO_TEST_EMPTY }}\"}\ntasks:\n  - steps:\n" + fmt.Sprintf(steps, "host: api, "),
			`line 2: hosts.api: {{ env.SCENARIO_TEST_EMPTY }} is empty (its environment variable is set to ""); expected a base URL such as https://api.example.com`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, _, _, err := parse([]byte(c.doc), t.TempDir(), "")
			if err == nil || err.Error() != c.want {
				t.Errorf("got  %v\nwant %s", err, c.want)
			}
		})
	}
}

// Relative links in an extracted list (hrefs taken with [*], followed one by one in a loop) are
// resolved against the response they came from, after its redirects, as a single link is: they
// failed unsent as "not a link to follow".
func TestRun_FollowsRelativeLinksOfAList(t *testing.T) {
	doc := `tasks:
  - name: catalog
    steps:
      - {name: index, path: /catalog, extract: {hrefs: {json: "$.links[*].href"}, first: {json: "$.links[0].href"}}}
      - loop: {over: hrefs, as: href}
        steps:
          - {name: link, path: "{{ href }}", query: {from: "{{ loop_index }}"}}
      - {name: first, path: "{{ first }}"}
`
	runPages(t, doc, func(ctx *fasthttp.RequestCtx) {
		switch string(ctx.Path()) {
		case "/catalog":
			ctx.Redirect("/shop/v2/index?page=1", 302)
		case "/shop/v2/index":
			ctx.SetBodyString(`{"links": [{"href": "items/1"}, {"href": "?page=2"}, {"href": "../v1/items/2 b?q=\"x\""}, {"href": "/abs/3"}]}`)
		}
	}, `/catalog /shop/v2/index?page=1 /shop/v2/items/1?from=0 /shop/v2/index?page=2&from=1 /shop/v1/items/2%20b?q=%22x%22&from=2 /abs/3?from=3 /shop/v2/items/1`)
}

func TestResolveRelativeList(t *testing.T) {
	t.Parallel()
	for list, want := range map[string]string{
		`["c", "/d", "https://o.example/e", 3, null, {"f": "g"}, "?p=2"]`: `["https://h.example/a/c","/d","https://o.example/e",3,null,{"f": "g"},"https://h.example/a/b?p=2"]`,
		`["/d", 3]`:   `["/d", 3]`, // nothing relative: as it was
		`"c"`:         `"c"`,       // no list
		`not json`:    `not json`,
		`["é \"q\""]`: `["https://h.example/a/%C3%A9%20%22q%22"]`,
	} {
		if got := resolveRelativeList(list, "https://h.example/a/b?x=1"); got != want {
			t.Errorf("resolveRelativeList(%s) = %s; want %s", list, got, want)
		}
	}
}

// Only the list a loop follows as links is resolved: another loop's element of the same name
// (loop_item, the default) used as data keeps its list as it was, ids and all.
func TestRun_ALinkListDoesNotMakeAnotherLoopsListLinks(t *testing.T) {
	doc := `tasks:
  - name: catalog
    steps:
      - {name: index, path: /catalog, extract: {hrefs: {json: "$.links[*].href"}, ids: {json: "$.ids"}}}
      - loop: {over: hrefs}
        steps: [{name: link, path: "{{ loop_item }}"}]
      - loop: {over: ids}
        steps: [{name: item, path: "/items/{{ loop_item }}"}]
`
	runPages(t, doc, func(ctx *fasthttp.RequestCtx) {
		if string(ctx.Path()) == "/catalog" {
			ctx.SetBodyString(`{"links": [{"href": "a"}], "ids": ["x1", "x2"]}`)
		}
	}, `/catalog /a /items/x1 /items/x2`)
}
