package urlesc

import "testing"

// The wants are what Python's requests 2.34 sends: urllib.parse.quote(v, safe="") for a value in
// a path segment, quote_plus(v) for a query value (params=), and requests.Request(url).prepare()
// for text written in a URL.

func TestAppendComponent_AndQuery(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, raw, component, query string
	}{
		{"plain", "plain", "plain", "plain"},
		{"space", "a b", "a%20b", "a+b"},
		{"plus", "a+b", "a%2Bb", "a%2Bb"},
		{"ampersand and equals", "a&b=c", "a%26b%3Dc", "a%26b%3Dc"},
		{"hash", "#frag", "%23frag", "%23frag"},
		{"question mark", "q?x", "q%3Fx", "q%3Fx"},
		{"lone percent", "100%", "100%25", "100%25"},
		{"already escaped is data", "%41%2f", "%2541%252f", "%2541%252f"},
		{"escaped percent", "%25", "%2525", "%2525"},
		{"non-ASCII", "é中", "%C3%A9%E4%B8%AD", "%C3%A9%E4%B8%AD"},
		{"slash", "a/b", "a%2Fb", "a%2Fb"},
		{"dots", "..", "..", ".."},
		{"unreserved", "~-._", "~-._", "~-._"},
		{"sub-delims", "!$'()*,;:@", "%21%24%27%28%29%2A%2C%3B%3A%40", "%21%24%27%28%29%2A%2C%3B%3A%40"},
		{"unsafe", `"<>\^` + "`{|}", "%22%3C%3E%5C%5E%60%7B%7C%7D", "%22%3C%3E%5C%5E%60%7B%7C%7D"},
		{"controls", "\t\n", "%09%0A", "%09%0A"},
		{"empty", "", "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if got := string(AppendComponent(nil, []byte(c.raw))); got != c.component {
				t.Errorf("AppendComponent(%q) = %q; want %q", c.raw, got, c.component)
			}
			if got := string(AppendQuery(nil, []byte(c.raw))); got != c.query {
				t.Errorf("AppendQuery(%q) = %q; want %q", c.raw, got, c.query)
			}
		})
	}
}

func TestAppendText_AndNeedsText(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, raw, want string
	}{
		{"space", "/a b", "/a%20b"},
		{"non-ASCII", "/é", "/%C3%A9"},
		{"escapes: unreserved decoded, others upper case", "/%41%2f%2F%7e", "/A%2F%2F~"},
		{"lone percent", "/100%", "/100%25"},
		{"percent without hex", "/%zz", "/%25zz"},
		{"percent at the end", "/a%2", "/a%252"},
		{"unsafe", "/a|b{c}", "/a%7Cb%7Bc%7D"},
		{"query keeps its structure", "/x?q=a b&c=d", "/x?q=a%20b&c=d"},
		{"plus and escaped space stay", "/?a=%20+", "/?a=%20+"},
		{"reserved stay", "/a;b=c,d:e@f!$'()*+", "/a;b=c,d:e@f!$'()*+"},
		{"brackets", "/[x]", "/%5Bx%5D"},
		{"delete", "/\x7f", "/%7F"},
		{"clean", "/items/12?page=2", "/items/12?page=2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if got := string(AppendText(nil, []byte(c.raw))); got != c.want {
				t.Errorf("AppendText(%q) = %q; want %q", c.raw, got, c.want)
			}
			if got, want := NeedsText(c.raw), c.raw != c.want; got != want {
				t.Errorf("NeedsText(%q) = %v; want %v", c.raw, got, want)
			}
		})
	}
}

func TestClean(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, raw, want string
	}{
		{"relative", "/a b?q=é", "/a%20b?q=%C3%A9"},
		{"absolute", "http://h:8080/a b", "http://h:8080/a%20b"},
		{"fragment dropped", "http://h/a#b c", "http://h/a"},
		{"clean fragment dropped", "/a?b=1#top", "/a?b=1"},
		{"IPv6 host kept", "http://[::1]:80/x y", "http://[::1]:80/x%20y"},
		{"user information kept", "http://u:p%40ss@h/p", "http://u:p%40ss@h/p"},
		{"no path", "http://h", "http://h"},
		{"clean", "https://h/a?b=c", "https://h/a?b=c"},
		{"a URL in the query of a path", "/go?to=http://x/a b", "/go?to=http://x/a%20b"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if got := Clean(c.raw); got != c.want {
				t.Errorf("Clean(%q) = %q; want %q", c.raw, got, c.want)
			}
		})
	}
}

func TestClean_ACleanURLCostsNoAllocation(t *testing.T) {
	if allocs := testing.AllocsPerRun(100, func() { Clean("http://h/items/12?page=2") }); allocs != 0 {
		t.Errorf("Clean of a clean URL allocates %v times; want 0", allocs)
	}
}

func TestRedact(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, raw, want string
	}{
		{"password", "http://user:s3cret@h:8080/p?q=1", "http://user:xxxxx@h:8080/p?q=1"},
		{"password with @", "https://user:p@ss@h", "https://user:xxxxx@h"},
		{"user only", "http://user@h/", "http://user@h/"},
		{"no user information", "http://h/p@x", "http://h/p@x"},
		{"not a URL", "user:pass@h", "user:pass@h"},
		{"a path with a URL in its query", "/go?to=http://u:p@h", "/go?to=http://u:p@h"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if got := Redact(c.raw); got != c.want {
				t.Errorf("Redact(%q) = %q; want %q", c.raw, got, c.want)
			}
		})
	}
	text := `host: "http://a:b@h/x" is not valid; nor is https://c:d@i`
	if got, want := RedactText(text), `host: "http://a:xxxxx@h/x" is not valid; nor is https://c:xxxxx@i`; got != want {
		t.Errorf("RedactText = %q; want %q", got, want)
	}
}

func TestRemoveDotSegments(t *testing.T) {
	t.Parallel()
	cases := []struct{ raw, want string }{
		{"/a/../b/./c", "/b/c"},
		{"/a/b/..", "/a/"},
		{"/a/./", "/a/"},
		{"/..", "/"},
		{"/a/..", "/"},
		{"/a.b/c..d", "/a.b/c..d"},
		{"/", "/"},
	}
	for _, c := range cases {
		if got := RemoveDotSegments(c.raw); got != c.want {
			t.Errorf("RemoveDotSegments(%q) = %q; want %q", c.raw, got, c.want)
		}
	}
}

func TestLowerScheme(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"HTTP://Host/A": "http://Host/A", // only the scheme: a path is case-sensitive
		"hTTpS://h":     "https://h",
		"http://h/x":    "http://h/x",
		"/HTTP://x":     "/HTTP://x",
		"ftp://h":       "ftp://h",
		"HTTPX://h":     "HTTPX://h",
		"HTTP:/missing": "HTTP:/missing",
	}
	for in, want := range cases {
		if got := LowerScheme(in); got != want {
			t.Errorf("LowerScheme(%q) = %q; want %q", in, got, want)
		}
		abs := want != in || in == "http://h/x"
		if got := Absolute(in); got != abs {
			t.Errorf("Absolute(%q) = %v; want %v", in, got, abs)
		}
		if got, gotAbs := LowerAbsolute(in); got != want || gotAbs != abs {
			t.Errorf("LowerAbsolute(%q) = %q, %v; want %q, %v", in, got, gotAbs, want, abs)
		}
	}
}

func TestAppendDecoded(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]string{
		"a%20b%2Fc%2f%C3%A9": "a b/c/é",
		"a+b":                "a+b", // not a space: decodeURIComponent, unquote
		"100%":               "100%",
		"%zz%4":              "%zz%4",
		"%3D%3D":             "==",
		"":                   "",
	} {
		if got := string(AppendDecoded(nil, []byte(raw))); got != want {
			t.Errorf("AppendDecoded(%q) = %q; want %q", raw, got, want)
		}
	}
}
