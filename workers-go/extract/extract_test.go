package extract

import (
	"testing"

	"locustfleet/worker/headername"
)

func TestCompilePath(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, in, want, err string }{
		{"root", "$", "", ""},
		{"key", "$.token", "token", ""},
		{"nested", "$.a.b.c", "a.b.c", ""},
		{"index", "$.items[0].id", "items.0.id", ""},
		{"index at root", "$[2]", "2", ""},
		{"nested indexes", "$.m[1][0]", "m.1.0", ""},
		{"bracketed key", `$["a key"].b`, `a\ key.b`, ""},
		{"single-quoted key", `$['x.y']`, `x\.y`, ""},
		{"gjson specials escaped", "$.a#b.c@d", `a\#b.c\@d`, ""},
		{"no dollar", "items[0]", "", `"items[0]" must start with "$"; ` + pathHelp},
		{"wildcard", "$.items[*].id", "items.#.id", ""},
		{"trailing wildcard", "$.items[*]", "items.#.@this", ""},
		{"wildcard at root", "$[*].id", "#.id", ""},
		{"wildcard then index", "$.m[*][0]", "m.#.0", ""},
		{"two wildcards", "$.a[*].b[*]", "", `"$.a[*].b[*]": a second [*] at "[*]"; expected at most one [*] in a path`},
		{"dot wildcard", "$.items.*", "", `"$.items.*": unsupported syntax at ".*"; ` + pathHelp},
		{"recursive descent", "$..id", "", `"$..id": unsupported syntax at "..id"; ` + pathHelp},
		{"negative index", "$.a[-1]", "", `"$.a[-1]": unsupported syntax at "[-1]"; ` + pathHelp},
		{"slice", "$.a[0:2]", "", `"$.a[0:2]": unsupported syntax at "[0:2]"; ` + pathHelp},
		{"filter", "$.a[?(@.x)]", "", `"$.a[?(@.x)]": unsupported syntax at "[?(@.x)]"; ` + pathHelp},
		{"unclosed bracket", "$.a[0", "", `"$.a[0": "[" has no closing "]"; ` + pathHelp},
		{"trailing dot", "$.a.", "", `"$.a.": unsupported syntax at "."; ` + pathHelp},
		{"text after root", "$a", "", `"$a": unsupported syntax at "a"; ` + pathHelp},
		{"empty bracketed key", `$[""]`, "", `"$[\"\"]": unsupported syntax at "[\"\"]"; ` + pathHelp},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := CompilePath(tc.in)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("got error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("CompilePath: %v", err)
			}
			if got.gj != tc.want || got.String() != tc.in {
				t.Errorf("got %q (%q), want %q", got.gj, got.String(), tc.want)
			}
		})
	}
}

const body = `{"token":"t0k","n":3,"ok":true,"none":null,"items":[{"id":7},{"id":"x\"y"}],
"a key":{"b":1},"x.y":"dot","a#b":{"c@d":"odd"},"obj":{"k":[1,2]}}`

func TestPath_Lookup(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, path, want string
		found            bool
	}{
		{"string", "$.token", "t0k", true},
		{"number", "$.n", "3", true},
		{"bool", "$.ok", "true", true},
		{"null exists", "$.none", "null", true},
		{"nested index", "$.items[0].id", "7", true},
		{"escaped string", "$.items[1].id", `x"y`, true},
		{"bracketed key", `$["a key"].b`, "1", true},
		{"dotted key", `$["x.y"]`, "dot", true},
		{"special characters", "$.a#b.c@d", "odd", true},
		{"object as JSON", "$.obj", `{"k":[1,2]}`, true},
		{"missing key", "$.nope", "", false},
		{"index out of range", "$.items[5].id", "", false},
		{"missing nested", "$.items[0].name", "", false},
		{"every element's key", "$.items[*].id", `[7,"x\"y"]`, true},
		{"every element", "$.obj.k[*]", "[1,2]", true},
		{"no element has the key", "$.items[*].name", "[]", true},
		{"wildcard on an object", "$.obj[*]", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, err := CompilePath(tc.path)
			if err != nil {
				t.Fatal(err)
			}
			r := p.Lookup([]byte(body))
			if r.Exists() != tc.found {
				t.Fatalf("found: got %v, want %v", r.Exists(), tc.found)
			}
			if got := Text(r); tc.found && got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
	root, _ := CompilePath("$")
	if got := Text(root.Lookup([]byte(`[1,2]`))); got != "[1,2]" {
		t.Errorf("$: got %q, want the whole body", got)
	}
	if root.Lookup([]byte("not json")).Exists() {
		t.Error("$ of a body that is not JSON: found, want not found")
	}
}

// response is a fixed set of headers and cookies.
type response struct{ headers, cookies map[string]string }

func (r response) Header(name string) string { return r.headers[name] }
func (r response) Cookie(name string) string { return r.cookies[name] }

func TestExtractor_Extract(t *testing.T) {
	t.Parallel()
	resp := response{
		headers: map[string]string{"X-Token": "h1", "Link": `<https://api.example/items?page=1>; rel="prev", </items?page=3>; rel="next"`},
		cookies: map[string]string{"sid": "c1"},
	}
	must := func(e Extractor, err error) Extractor {
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	cases := []struct {
		name   string
		ex     Extractor
		body   string
		want   string
		reason string
	}{
		{"json", must(JSON("$.items[0].id")), body, "7", ""},
		{"json missing", must(JSON("$.items[9].id")), body, "", "json $.items[9].id not found"},
		{"json body not JSON", must(JSON("$.a")), "<html>", "", "json $.a not found"},
		{"header", must(Header("X-Token")), "", "h1", ""},
		{"header missing", must(Header("X-Other")), "", "", "header X-Other not found"},
		{"cookie", must(Cookie("sid")), "", "c1", ""},
		{"cookie missing", must(Cookie("other")), "", "", "cookie other not found"},
		{"regex", must(Regex(`id=(\d+)`)), "a id=42 b id=7", "42", ""},
		{"regex no match", must(Regex(`id=(\d+)`)), "nothing", "", `regex id=(\d+) no match`},
		{"header regex", must(must(Header("Link")).Matching(`<([^>]+)>; *rel="next"`)), "", "/items?page=3", ""},
		{"header regex no match", must(must(Header("Link")).Matching(`<([^>]+)>; *rel="last"`)), "", "",
			`header Link regex <([^>]+)>; *rel="last" no match`},
		{"header regex header missing", must(must(Header("X-Link")).Matching(`<([^>]+)>`)), "", "", "header X-Link not found"},
		{"cookie regex", must(must(Cookie("sid")).Matching(`c(\d)`)), "", "1", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, ok, reason := tc.ex.Extract([]byte(tc.body), resp)
			if got != tc.want || reason != tc.reason || ok != (tc.reason == "") {
				t.Errorf("got (%q, %v, %q), want (%q, %q)", got, ok, reason, tc.want, tc.reason)
			}
		})
	}
}

func TestExtractor_Errors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		make func() (Extractor, error)
		want string
	}{
		{"json path", func() (Extractor, error) { return JSON("$.a[0:1]") }, `"$.a[0:1]": unsupported syntax at "[0:1]"; ` + pathHelp},
		{"header name", func() (Extractor, error) { return Header("X Token") }, `"X Token" is not a header name; expected e.g. X-Request-Id (` + headername.Allowed + `)`},
		// Taken before: only space, colon and line breaks were refused.
		{"header name not a token", func() (Extractor, error) { return Header("X(Token)") }, `"X(Token)" is not a header name; expected e.g. X-Request-Id (` + headername.Allowed + `)`},
		{"header name not ASCII", func() (Extractor, error) { return Header("Tökén") }, `"Tökén" is not a header name; expected e.g. X-Request-Id (` + headername.Allowed + `)`},
		{"empty header", func() (Extractor, error) { return Header("") }, `"" is not a header name; expected e.g. X-Request-Id (` + headername.Allowed + `)`},
		{"cookie name", func() (Extractor, error) { return Cookie("a=b") }, `"a=b" is not a cookie name; expected e.g. session`},
		{"regex syntax", func() (Extractor, error) { return Regex("id=(") },
			"\"id=(\" is not a regular expression: error parsing regexp: missing closing ): `id=(`"},
		{"regex no group", func() (Extractor, error) { return Regex(`id=\d+`) },
			`"id=\\d+" has 0 capturing groups; expected exactly one, around the value, e.g. id=(\d+)`},
		{"regex two groups", func() (Extractor, error) { return Regex(`(a)(b)`) },
			`"(a)(b)" has 2 capturing groups; expected exactly one, around the value, e.g. id=(\d+)`},
		{"header regex no group", func() (Extractor, error) { h, _ := Header("Link"); return h.Matching(`<.*>`) },
			`"<.*>" has 0 capturing groups; expected exactly one, around the value, e.g. id=(\d+)`},
		{"json regex", func() (Extractor, error) { j, _ := JSON("$.a"); return j.Matching(`(a)`) },
			"regex applies to the value of a header or a cookie; expected it with header: or cookie:, or alone (on the body)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := tc.make()
			if err == nil || err.Error() != tc.want {
				t.Errorf("got %v\nwant %q", err, tc.want)
			}
		})
	}
}

func BenchmarkExtractor_JSON(b *testing.B) {
	ex, err := JSON("$.items[1].id")
	if err != nil {
		b.Fatal(err)
	}
	data := []byte(body)
	b.ReportAllocs()
	for b.Loop() {
		if _, ok, _ := ex.Extract(data, nil); !ok {
			b.Fatal("not found")
		}
	}
}

func BenchmarkExtractor_Regex(b *testing.B) {
	ex, err := Regex(`"id":(\d+)`)
	if err != nil {
		b.Fatal(err)
	}
	data := []byte(body)
	b.ReportAllocs()
	for b.Loop() {
		if _, ok, _ := ex.Extract(data, nil); !ok {
			b.Fatal("not found")
		}
	}
}
