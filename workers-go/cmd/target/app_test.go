package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestAppServesThePageItsAssetsAndCountsThem(t *testing.T) {
	do := serve(t)
	cases := []struct {
		name, method, path string
		wantStatus         int
		wantType, wantBody string
	}{
		{"page", "GET", "/app/", 200, "text/html", `<script src="/app/app.js">`},
		{"script", "GET", "/app/app.js", 200, "javascript", "fetch(\"/login\""},
		{"style", "GET", "/app/app.css", 200, "text/css", "font-family"},
		{"image", "GET", "/app/logo.svg", 200, "image/svg+xml", "<svg"},
		{"missing", "GET", "/app/nope.js", 404, "", "no such file"},
		{"not a read", "POST", "/app/", 404, "", "no such file"},
	}
	for _, c := range cases {
		status, body, header := do(c.method, c.path, "")
		if status != c.wantStatus || !strings.Contains(string(header.ContentType()), c.wantType) ||
			!strings.Contains(body, c.wantBody) {
			t.Errorf("%s: %s %s: got %d %q %.60q; want %d, a type with %q, a body with %q",
				c.name, c.method, c.path, status, header.ContentType(), body, c.wantStatus, c.wantType, c.wantBody)
		}
	}
	_, body, _ := do("GET", "/_counts", "")
	var got map[string]int
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"GET /app/": 1, "GET /app/app.js": 1, "GET /app/app.css": 1, "GET /app/logo.svg": 1,
		"GET /app/nope.js": 1, "POST /app/": 1}
	for key, n := range want {
		if got[key] != n {
			t.Errorf("counts[%q] = %d; want %d (all: %v)", key, got[key], n, got)
		}
	}
}
