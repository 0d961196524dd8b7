package scenario

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"locustfleet/worker/user"
)

// A query: or form: value that is a variable alone holding a JSON list is sent as requests sends
// params={"id": [101, 103]}: the name repeated per element. It was sent as one value, the list's
// JSON text (id=%5B101%2C103%5D).
func TestStep_Request_ListValues(t *testing.T) {
	doc := `host: http://a
on_start:
  - {name: seed, path: /seed, extract: {ids: {json: $.ids}, none: {json: $.none}, tags: {json: $.tags}, mixed: {json: $.mixed}, word: {json: $.word}, id: {json: $.id}, next: {json: $.next}, objects: {json: $.objects}}}
tasks:
  - name: cases
    steps:
      - {name: list, path: /items, query: {id: "{{ ids }}"}}
      - {name: list between others, path: /items, query: {a: 1, id: "{{ ids }}", b: "x y"}}
      - {name: empty list first, path: /items, query: {id: "{{ none }}", b: 2}}
      - {name: empty list alone, path: /items, query: {id: "{{ none }}"}}
      - {name: empty list after a path query, path: "/items?x=1", query: {id: "{{ none }}"}}
      - {name: two empty lists around a value, path: /items, query: {a: "{{ none }}", b: 2, c: "{{ none }}"}}
      - {name: elements escaped, path: /items, query: {"t g": "{{ tags }}"}}
      - {name: numbers booleans and null, path: /items, query: {v: "{{ mixed }}"}}
      - {name: text with a bracket, path: /items, query: {q: "{{ word }}"}}
      - {name: one value, path: /items, query: {id: "{{ id }}", n: "{{ user_id }}"}}
      - {name: list as its JSON text, path: /items, query: {id: "{{ ids | json }}"}}
      - {name: list inside a longer value, path: /items, query: {id: "ids {{ ids }}"}}
      - {name: list with a filter, path: /items, query: {id: "{{ ids | urlencode }}"}}
      - {name: link, path: "{{ next }}", query: {id: "{{ ids }}", b: 2}}
      - {name: link and an empty list, path: "{{ next }}", query: {id: "{{ none }}"}}
      - {name: form, method: POST, path: /f, form: {id: "{{ ids }}", a: 1}}
      - {name: form of an empty list, method: POST, path: /f, form: {id: "{{ none }}", a: 1}}
      - {name: form of only an empty list, method: POST, path: /f, form: {id: "{{ none }}"}}
      - {name: form as JSON text, method: POST, path: /f, form: {id: "{{ ids | json }}"}}
      - {name: objects, path: /items, query: {o: "{{ objects }}"}}
      - {name: objects in a form, method: POST, path: /f, form: {o: "{{ objects }}"}}
      - {name: not JSON, path: /items, query: {w: "{{ word | json }}"}}
`
	p := compileDoc(t, doc, nil)
	u := newUser(7, map[string]string{"ids": "[101,103]", "none": "[]", "tags": `["a b", "c&d", "é", "[x]"]`,
		"mixed": `[1.0, true, null, "x"]`, "word": "[draft] report", "id": "42", "next": "/items?page=2",
		"objects": `[1, {"a": 1}]`})
	p.pick(u)
	st := p.state(u)
	objects := "{{ objects }} is a list with an object or a list in it; expected strings, numbers or booleans, each sent as o=VALUE ({{ objects | json }} sends the list's JSON text as one value)"
	cases := []struct{ step, path, body, invalid string }{
		{step: "list", path: "/items?id=101&id=103"},
		{step: "list between others", path: "/items?a=1&id=101&id=103&b=x+y"},
		{step: "empty list first", path: "/items?b=2"},
		{step: "empty list alone", path: "/items"},
		{step: "empty list after a path query", path: "/items?x=1"},
		{step: "two empty lists around a value", path: "/items?b=2"},
		{step: "elements escaped", path: "/items?t+g=a+b&t+g=c%26d&t+g=%C3%A9&t+g=%5Bx%5D"},
		{step: "numbers booleans and null", path: "/items?v=1.0&v=true&v=x"},
		{step: "text with a bracket", path: "/items?q=%5Bdraft%5D+report"},
		{step: "one value", path: "/items?id=42&n=7"},
		{step: "list as its JSON text", path: "/items?id=%5B101%2C103%5D"},
		{step: "list inside a longer value", path: "/items?id=ids+%5B101%2C103%5D"},
		{step: "list with a filter", path: "/items?id=%5B101%2C103%5D"},
		{step: "link", path: "http://a/items?page=2&id=101&id=103&b=2"},
		{step: "link and an empty list", path: "http://a/items?page=2"},
		{step: "form", path: "/f", body: "id=101&id=103&a=1"},
		{step: "form of an empty list", path: "/f", body: "a=1"},
		{step: "form of only an empty list", path: "/f", body: ""},
		{step: "form as JSON text", path: "/f", body: "id=%5B101%2C103%5D"},
		{step: "objects", path: "/items?o=1", invalid: "query.o: " + objects},
		{step: "objects in a form", path: "/f", body: "o=1", invalid: "form.o: " + objects},
		{step: "not JSON", path: "/items?w=", invalid: "query.w: {{ word | json }} is not JSON"},
	}
	for _, tc := range cases {
		req := stepNamed(t, p, tc.step).request(u, st)
		if req.Path != tc.path || string(req.Body) != tc.body || req.Invalid != tc.invalid {
			t.Errorf("%s: path %q, body %q, invalid %q; want %q, %q, %q", tc.step, req.Path, req.Body, req.Invalid, tc.path, tc.body, tc.invalid)
		}
	}
	if req := stepNamed(t, p, "form of only an empty list").request(u, st); !strings.Contains(headerValue(req.Headers, "Content-Type"), "application/x-www-form-urlencoded") {
		t.Errorf("an empty form's headers %v; want its Content-Type, as requests sends data={\"id\": []}", req.Headers)
	}
}

// A variable alone in query: that holds no list costs what it cost before: nothing more than
// the same value written in the path.
func TestStep_Request_AValueThatIsNoListAllocatesNothingMore(t *testing.T) {
	p := compileDoc(t, `host: http://a
on_start:
  - {path: /seed, extract: {id: {json: $.id}}}
tasks:
  - {name: in the path, path: "/items?id={{ id }}&n=3"}
  - {name: in query, path: /items, query: {id: "{{ id }}", n: 3}}
`, nil)
	u := newUser(0, map[string]string{"id": "42"})
	p.pick(u)
	st := p.state(u)
	allocs := map[string]float64{}
	for _, name := range []string{"in the path", "in query"} {
		s := stepNamed(t, p, name)
		if req := s.request(u, st); req.Path != "/items?id=42&n=3" {
			t.Fatalf("%s: path %q", name, req.Path)
		}
		allocs[name] = testing.AllocsPerRun(100, func() { s.request(u, st) })
	}
	if allocs["in query"] != allocs["in the path"] {
		t.Errorf("allocations per request %v; want the same", allocs)
	}
}

// The typed filters stay where they were: number and bool in a query are load-time errors, and so
// is json inside a longer value.
func TestParse_TypedFiltersInAQuery(t *testing.T) {
	for value, want := range map[string]string{
		`"{{ user_id | number }}"`:        "tasks[0].query.a: {{ user_id | number }}: number gives a json: value its JSON type; expected it as the whole of a string in json:",
		`"x{{ user_id | json }}"`:         "tasks[0].query.a: {{ user_id | json }}: json gives a json: value its JSON type; expected it as the whole of a string in json:, or of a query:, form: or multipart: value (the JSON text as one value)",
		`"{{ user_id | json | base64 }}"`: "json must be the last filter",
	} {
		_, _, _, err := parse([]byte("host: http://a\ntasks:\n  - {path: /, query: {a: "+value+"}}\n"), t.TempDir(), "")
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("query a: %s: got %v; want an error with %q", value, err, want)
		}
	}
}

// What the target receives: every /items request carries id=101 and id=103 as two values of one
// parameter, the form its two fields, and the count of what it served is the count recorded.
func TestRun_AListIsSentAsARepeatedParameter(t *testing.T) {
	var mu sync.Mutex
	var items, forms int
	var wrong []string
	host := serve(t, func(ctx *fasthttp.RequestCtx) {
		mu.Lock()
		defer mu.Unlock()
		switch string(ctx.Path()) {
		case "/ids":
			ctx.SetBodyString(`{"ids": [101, 103], "none": []}`)
		case "/items":
			items++
			if got := ctx.QueryArgs().PeekMulti("id"); len(got) != 2 || string(got[0]) != "101" || string(got[1]) != "103" || ctx.QueryArgs().Has("none") {
				wrong = append(wrong, string(ctx.RequestURI()))
			}
		case "/f":
			forms++
			if got := string(ctx.PostBody()); got != "id=101&id=103" {
				wrong = append(wrong, got)
			}
		}
	})
	doc := `tasks:
  - name: ids
    steps:
      - {name: ids, path: /ids, extract: {ids: {json: $.ids}, none: {json: $.none}}}
      - {name: items, path: /items, query: {id: "{{ ids }}", none: "{{ none }}"}}
      - {name: form, method: POST, path: /f, form: {id: "{{ ids }}", none: "{{ none }}"}}
`
	rec := run(t, doc, nil, host, 2, 300*time.Millisecond)
	ok, failed, _ := rec.counts()
	mu.Lock()
	defer mu.Unlock()
	if len(wrong) > 0 {
		t.Errorf("the target received %q; want id=101&id=103 and no none", wrong[:min(3, len(wrong))])
	}
	if items == 0 || ok["GET items"] != items || ok["POST form"] != forms || len(failed) != 0 {
		t.Errorf("served %d items, %d forms; recorded successes %v, failures %v; want them equal, none failed", items, forms, ok, failed)
	}
}

// headerValue is the value of the header name among headers ("" without one).
func headerValue(headers []user.Header, name string) string {
	for _, h := range headers {
		if strings.EqualFold(h.Name, name) {
			return h.Value
		}
	}
	return ""
}

// A path has one place for one value: a variable alone in it holding a JSON list fails the
// request unsent, naming the variable and the ways to send a list. The list's JSON text was
// escaped into the path (/items/%5B101%2C103%5D), a request no API expects.
func TestStep_Request_AListInAPathIsRefused(t *testing.T) {
	p := compileDoc(t, `host: http://a
on_start:
  - {name: seed, path: /seed, extract: {ids: {json: $.ids}, word: {json: $.word}, id: {json: $.id}}}
tasks:
  - name: cases
    steps:
      - {name: segment, path: "/items/{{ ids }}"}
      - {name: query in the path, path: "/items?id={{ ids }}"}
      - {name: text with a bracket, path: "/items/{{ word }}"}
      - {name: one value, path: "/items/{{ id }}"}
      - {name: urlencoded on purpose, path: "/items/{{ ids | urlencode }}"}
      - {name: inside a longer segment, path: "/items/x{{ ids }}"}
`, nil)
	u := newUser(0, map[string]string{"ids": "[101,103]", "word": "[draft] report", "id": "42"})
	p.pick(u)
	st := p.state(u)
	refused := "path: {{ ids }} is a list; expected one value in a path: one element (extract it with [0]), a loop over the list (loop: {over: ids, as: NAME}), or query: {NAME: \"{{ ids }}\"} (NAME=VALUE per element)"
	for _, tc := range []struct{ step, path, invalid string }{
		{"segment", "/items/%5B101%2C103%5D", refused},
		{"query in the path", "/items?id=%5B101%2C103%5D", refused},
		{"inside a longer segment", "/items/x%5B101%2C103%5D", refused},
		{"text with a bracket", "/items/%5Bdraft%5D%20report", ""},
		{"one value", "/items/42", ""},
		{"urlencoded on purpose", "/items/%5B101%2C103%5D", ""},
	} {
		req := stepNamed(t, p, tc.step).request(u, st)
		if req.Path != tc.path || req.Invalid != tc.invalid {
			t.Errorf("%s: path %q, invalid %q; want %q, %q", tc.step, req.Path, req.Invalid, tc.path, tc.invalid)
		}
	}
}

// A multipart: text part that is a variable alone holding a list is the part repeated per
// element, as a browser posts a <select multiple>; it was one part holding the JSON text.
func TestStep_Request_AListInAMultipartFieldRepeatsThePart(t *testing.T) {
	p := compileDoc(t, `host: http://a
on_start:
  - {name: seed, path: /seed, extract: {tags: {json: $.tags}, none: {json: $.none}, objects: {json: $.objects}, word: {json: $.word}}}
tasks:
  - name: cases
    steps:
      - {name: list, method: POST, path: /u, multipart: {tag: "{{ tags }}", title: "{{ word }}"}}
      - {name: empty list, method: POST, path: /u, multipart: {tag: "{{ none }}", title: t}}
      - {name: typed part, method: POST, path: /u, multipart: {tag: {value: "{{ tags }}", content_type: text/plain}}}
      - {name: as its JSON text, method: POST, path: /u, multipart: {tag: "{{ tags | json }}"}}
      - {name: objects, method: POST, path: /u, multipart: {o: "{{ objects }}"}}
`, nil)
	u := newUser(0, map[string]string{"tags": `["a b", 2, null, "é"]`, "none": "[]", "objects": `[1, {"a": 1}]`, "word": "[draft] report"})
	p.pick(u)
	st := p.state(u)
	type part struct{ name, contentType, value string }
	for _, tc := range []struct {
		step    string
		parts   []part
		invalid string
	}{
		{"list", []part{{"tag", "", "a b"}, {"tag", "", "2"}, {"tag", "", "é"}, {"title", "", "[draft] report"}}, ""},
		{"empty list", []part{{"title", "", "t"}}, ""},
		{"typed part", []part{{"tag", "text/plain", "a b"}, {"tag", "text/plain", "2"}, {"tag", "text/plain", "é"}}, ""},
		{"as its JSON text", []part{{"tag", "", `["a b", 2, null, "é"]`}}, ""},
		{"objects", []part{{"o", "", "1"}}, "multipart.o: {{ objects }} is a list with an object or a list in it; expected strings, numbers or booleans, each sent as a part named o ({{ objects | json }} sends the list's JSON text as one part)"},
	} {
		req := stepNamed(t, p, tc.step).request(u, st)
		_, params, err := mime.ParseMediaType(headerValue(req.Headers, "Content-Type"))
		if err != nil {
			t.Fatalf("%s: %v", tc.step, err)
		}
		var got []part
		r := multipart.NewReader(bytes.NewReader(req.Body), params["boundary"])
		for {
			pt, err := r.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v in %q", tc.step, err, req.Body)
			}
			value, _ := io.ReadAll(pt)
			got = append(got, part{pt.FormName(), pt.Header.Get("Content-Type"), string(value)})
		}
		if !slices.Equal(got, tc.parts) || req.Invalid != tc.invalid {
			t.Errorf("%s: parts %q, invalid %q; want %q, %q", tc.step, got, req.Invalid, tc.parts, tc.invalid)
		}
	}
}

// What the target receives: a path with a list is never sent, and its failure is counted under
// the step with the reason; the multipart parts arrive repeated.
func TestRun_AListInAPathIsNotSentAndMultipartRepeats(t *testing.T) {
	var mu sync.Mutex
	var items, uploads int
	var wrong []string
	host := serve(t, func(ctx *fasthttp.RequestCtx) {
		mu.Lock()
		defer mu.Unlock()
		switch path := string(ctx.Path()); {
		case path == "/ids":
			ctx.SetBodyString(`{"ids": [101, 103]}`)
		case path == "/u":
			uploads++
			form, err := ctx.MultipartForm()
			if err != nil || !slices.Equal(form.Value["id"], []string{"101", "103"}) {
				wrong = append(wrong, string(ctx.PostBody()))
			}
		default:
			items++
		}
	})
	doc := `tasks:
  - name: ids
    steps:
      - {name: ids, path: /ids, extract: {ids: {json: $.ids}}}
      - {name: item, path: "/items/{{ ids }}", on_failure: continue}
      - {name: upload, method: POST, path: /u, multipart: {id: "{{ ids }}"}}
`
	rec := run(t, doc, nil, host, 2, 300*time.Millisecond)
	ok, failed, _ := rec.counts()
	mu.Lock()
	defer mu.Unlock()
	if items != 0 || len(wrong) > 0 {
		t.Errorf("the target served %d item requests and got the uploads %q; want none, and id 101 and 103 as two parts", items, wrong)
	}
	if uploads == 0 || ok["POST upload"] != uploads || failed["GET item"] == 0 || ok["GET item"] != 0 {
		t.Errorf("served %d uploads; recorded successes %v, failures %v; want the uploads counted, every item failed", uploads, ok, failed)
	}
}

// A variable every extraction of which is a [*] path is always a list: in a path it is refused at
// load time, naming the extraction; one that may hold something else is judged per request.
func TestParse_AVariableAlwaysAListInAPath(t *testing.T) {
	doc := `host: http://a
tasks:
  - name: t
    steps:
      - {name: ids, path: /items, extract: {ids: {json: "$.items[*].id"}, maybe: {json: "$.items[*].id"}}}
      - {name: other, path: /other, extract: {maybe: {json: $.one}}}
      - {name: item, path: "/items/{{ ids }}"}
      - {name: maybe, path: "/items/{{ maybe }}"}
      - {name: query, path: /items, query: {id: "{{ ids }}"}}
`
	_, _, _, err := parse([]byte(doc), t.TempDir(), "")
	want := `line 7: tasks[0].steps[2].path: {{ ids }} is always a list (extracted by json $.items[*].id at tasks[0].steps[0]); expected one value in a path: one element (extract it with [0]), a loop over the list (loop: {over: ids, as: NAME}), or query: {NAME: "{{ ids }}"} (NAME=VALUE per element)`
	if err == nil || !strings.Contains(err.Error(), want) || strings.Count(err.Error(), "\n") != 0 {
		t.Errorf("got %v; want only %q", err, want)
	}
}
