package scenario

import (
	"testing"

	"locustfleet/worker/user"
)

// An extraction with default: never fails its request: the variable holds the default when the
// response lacks the value, or is not JSON (a 401's HTML page), so an if: block can act on it.
func TestStep_ExtractDefault(t *testing.T) {
	doc := `host: http://a
tasks:
  - name: flow
    steps:
      - name: page
        path: /items
        extract:
          next: {json: $.next, default: ""}
          expired: {header: WWW-Authenticate, default: none}
          code: {regex: 'code=(\d+)', default: }
          strict: {json: $.n}
`
	p := compileDoc(t, doc, nil)
	page := stepNamed(t, p, "page")
	cases := []struct {
		body, want string
		vars       map[string]string
	}{
		{`{"next": "/items?page=2", "n": 1}`, "", map[string]string{"next": "/items?page=2", "expired": "none", "code": "", "strict": "1"}},
		{`{"n": 2}`, "", map[string]string{"next": "", "expired": "none", "code": "", "strict": "2"}},
		{`<html>code=401</html>`, "extract strict: json $.n: the body is not valid JSON", map[string]string{"next": "", "expired": "none", "code": "401"}},
	}
	for _, c := range cases {
		u := newUser(0, map[string]string{"next": "old"})
		if got := page.verify(u, &user.Response{Status: 200, Body: []byte(c.body)}); got != c.want {
			t.Errorf("body %s: reason %q, want %q", c.body, got, c.want)
		}
		for name, want := range c.vars {
			if u.Vars[name] != want {
				t.Errorf("body %s: %s = %q, want %q", c.body, name, u.Vars[name], want)
			}
		}
	}
}

// A JSON null takes the default, as a missing value does: with {json: $.next, default: ""}, the
// last page's "next": null left the text null in next, so that if: {var: next} went on to a
// request that could not be sent. Without a default, null is still the text null; the string
// "null" is text, never the default.
func TestStep_ExtractDefault_JSONNull(t *testing.T) {
	doc := `host: http://a
tasks:
  - name: page
    path: /items
    extract: {next: {json: $.next, default: ""}, word: {json: $.word, default: none}, plain: {json: $.next}, ids: {json: "$.items[*].id", default: "[]"}}
`
	p := compileDoc(t, doc, nil)
	page := stepNamed(t, p, "page")
	cases := []struct {
		body string
		vars map[string]string
	}{
		{`{"next": null, "word": "null", "items": [{"id": null}]}`, map[string]string{"next": "", "word": "null", "plain": "null", "ids": "[null]"}},
		{`{"next": "/p2", "word": null, "items": null}`, map[string]string{"next": "/p2", "word": "none", "plain": "/p2", "ids": "[]"}},
	}
	for _, c := range cases {
		u := newUser(0, nil)
		if got := page.verify(u, &user.Response{Status: 200, Body: []byte(c.body)}); got != "" {
			t.Errorf("body %s: failed: %s", c.body, got)
		}
		for name, want := range c.vars {
			if u.Vars[name] != want {
				t.Errorf("body %s: %s = %q, want %q", c.body, name, u.Vars[name], want)
			}
		}
	}
}
