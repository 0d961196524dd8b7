// Package extract takes values out of HTTP responses: a JSON path (a JSONPath subset translated
// once into a gjson path, which looks values up without decoding the body), a header, a cookie
// or a regular expression's group. Everything is compiled once; extraction does not parse again.
package extract

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"

	"locustfleet/worker/headername"
)

// Path is a compiled JSON path.
type Path struct {
	src  string // as written: $.items[0].id
	gj   string // gjson's form: items.0.id; "" for "$", the whole body
	list bool   // it has a [*]: its value is always a list
}

// CompilePath translates a JSONPath of the supported subset: "$", ".key", "[n]" (n >= 0),
// ["key"] or ['key'], and one "[*]": every element of an array, which makes the path's value
// the list of what follows it in each element ($.items[*].id is the list of the items' ids).
// Anything else (more wildcards, slices, filters, recursive descent, negative indexes) is
// rejected.
func CompilePath(src string) (Path, error) {
	if !strings.HasPrefix(src, "$") {
		return Path{}, fmt.Errorf("%q must start with \"$\"; %s", src, pathHelp)
	}
	var parts []string
	wildcard := false
	rest := src[1:]
	for rest != "" {
		switch rest[0] {
		case '.':
			end := strings.IndexAny(rest[1:], ".[")
			if end < 0 {
				end = len(rest) - 1
			}
			key := rest[1 : 1+end]
			if key == "" || key == "*" {
				return Path{}, unsupported(src, rest)
			}
			parts = append(parts, escapeKey(key))
			rest = rest[1+end:]
		case '[':
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				return Path{}, fmt.Errorf("%q: \"[\" has no closing \"]\"; %s", src, pathHelp)
			}
			inner := rest[1:end]
			switch {
			case inner == "*":
				if wildcard {
					return Path{}, fmt.Errorf("%q: a second [*] at %q; expected at most one [*] in a path", src, rest)
				}
				wildcard = true
				parts = append(parts, "#") // gjson's "every element", mapped over what follows
			case len(inner) >= 2 && (inner[0] == '"' || inner[0] == '\'') && inner[len(inner)-1] == inner[0]:
				key := inner[1 : len(inner)-1]
				if key == "" || strings.IndexByte(key, inner[0]) >= 0 {
					return Path{}, unsupported(src, rest)
				}
				parts = append(parts, escapeKey(key))
			default:
				n, err := strconv.Atoi(inner)
				if err != nil || n < 0 || inner[0] == '+' {
					return Path{}, unsupported(src, rest)
				}
				parts = append(parts, strconv.Itoa(n))
			}
			rest = rest[end+1:]
		default:
			return Path{}, unsupported(src, rest)
		}
	}
	if n := len(parts); n > 0 && parts[n-1] == "#" {
		parts = append(parts, "@this") // a trailing [*]: the elements themselves, not their count
	}
	return Path{src: src, gj: strings.Join(parts, "."), list: wildcard}, nil
}

const pathHelp = `expected a JSON path such as $.items[0].id, $["a key"] or $.items[*].id ($, .key, [n], ["key"], [*])`

func unsupported(src, at string) error {
	return fmt.Errorf("%q: unsupported syntax at %q; %s", src, at, pathHelp)
}

// escapeKey makes every ASCII punctuation character of a key literal for gjson, whose paths
// give meaning to ".", "*", "?", "#", "@", "|" and more.
func escapeKey(key string) string {
	var b strings.Builder
	for i := 0; i < len(key); i++ {
		c := key[i]
		if c < 0x80 && !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			b.WriteByte('\\')
		}
		b.WriteByte(c)
	}
	return b.String()
}

// String is the path as written.
func (p Path) String() string { return p.src }

// List reports whether the path has a [*], so that its value is a list.
func (p Path) List() bool { return p.list }

// Lookup finds the path in a JSON body; the result's Exists tells whether it was there.
func (p Path) Lookup(body []byte) gjson.Result {
	if p.gj == "" {
		// "$" is found when the body is JSON at all.
		if !gjson.ValidBytes(body) {
			return gjson.Result{}
		}
		return gjson.ParseBytes(body)
	}
	return gjson.GetBytes(body, p.gj)
}

// Text is a found JSON value as text: a string's contents, other values as their JSON.
func Text(r gjson.Result) string {
	if r.Type == gjson.String {
		return r.Str
	}
	return r.Raw
}

// Null reports whether a JSON extractor finds null in body (not the string "null").
func (e *Extractor) Null(body []byte) bool {
	if e.kind != kindJSON {
		return false
	}
	res := e.path.Lookup(body)
	return res.Exists() && res.Type == gjson.Null
}

// Response is the part of a response that header and cookie extractors read.
type Response interface {
	Header(name string) string
	Cookie(name string) string
}

type kind int

const (
	kindJSON kind = iota
	kindHeader
	kindCookie
	kindRegex
)

// Extractor takes one value out of a response.
type Extractor struct {
	kind kind
	path Path
	name string
	re   *regexp.Regexp // regex: on the body; header, cookie: on their value (Matching)
	miss string         // the failure reason, prepared once
	// noMatch is the failure reason of a header or cookie whose value the regex does not match
	noMatch string
}

// JSON extracts the value at a JSON path.
func JSON(path string) (Extractor, error) {
	p, err := CompilePath(path)
	if err != nil {
		return Extractor{}, err
	}
	return Extractor{kind: kindJSON, path: p, miss: "json " + path + " not found"}, nil
}

// Header extracts a response header's value (its fields joined with ", " when it came in
// several: user.Response.Header); an absent or empty header is a miss.
func Header(name string) (Extractor, error) {
	if !headername.Valid(name) {
		return Extractor{}, fmt.Errorf("%q is not a header name; expected e.g. X-Request-Id (%s)", name, headername.Allowed)
	}
	return Extractor{kind: kindHeader, name: name, miss: "header " + name + " not found"}, nil
}

// Cookie extracts the value of a cookie the response set (or a redirect it followed: Response.Cookie).
func Cookie(name string) (Extractor, error) {
	if name == "" || strings.ContainsAny(name, " =;,\t\r\n") {
		return Extractor{}, fmt.Errorf("%q is not a cookie name; expected e.g. session", name)
	}
	return Extractor{kind: kindCookie, name: name, miss: "cookie " + name + " not found"}, nil
}

// Regex extracts the group of the first match in the body; the expression must have exactly one
// capturing group.
func Regex(expr string) (Extractor, error) {
	re, err := regexp.Compile(expr)
	if err != nil {
		return Extractor{}, fmt.Errorf("%q is not a regular expression: %v", expr, err)
	}
	if re.NumSubexp() != 1 {
		return Extractor{}, fmt.Errorf("%q has %d capturing groups; expected exactly one, around the value, e.g. id=(\\d+)", expr, re.NumSubexp())
	}
	return Extractor{kind: kindRegex, re: re, miss: "regex " + expr + " no match"}, nil
}

// Matching narrows a header or cookie extractor to the group of a regular expression in its
// value: the next page's URL in a Link header (<https://api.example/items?page=2>; rel="next").
func (e Extractor) Matching(expr string) (Extractor, error) {
	if e.kind != kindHeader && e.kind != kindCookie {
		return Extractor{}, fmt.Errorf("regex applies to the value of a header or a cookie; expected it with header: or cookie:, or alone (on the body)")
	}
	r, err := Regex(expr)
	if err != nil {
		return Extractor{}, err
	}
	e.re = r.re
	e.noMatch = e.String() + " no match"
	return e, nil
}

// String is what the extractor takes, e.g. "json $.token", "header X-Request-Id" or
// "header Link regex <([^>]+)>".
func (e *Extractor) String() string {
	var s string
	switch e.kind {
	case kindJSON:
		return "json " + e.path.String()
	case kindHeader:
		s = "header " + e.name
	case kindCookie:
		s = "cookie " + e.name
	default:
		return "regex " + e.re.String()
	}
	if e.re != nil {
		s += " regex " + e.re.String()
	}
	return s
}

// List reports whether every value the extractor finds is a list (a JSON path with [*]).
func (e *Extractor) List() bool { return e.kind == kindJSON && e.path.List() }

// IsJSON reports whether the extractor reads the body as JSON (so that a body that is not JSON
// fails it rather than yield a value from its valid start).
func (e *Extractor) IsJSON() bool { return e.kind == kindJSON }

// Extract returns the value, or ok false and the reason ("json $.a not found").
func (e *Extractor) Extract(body []byte, r Response) (value string, ok bool, reason string) {
	switch e.kind {
	case kindJSON:
		if res := e.path.Lookup(body); res.Exists() {
			return Text(res), true, ""
		}
	case kindHeader:
		value = r.Header(e.name)
	case kindCookie:
		value = r.Cookie(e.name)
	case kindRegex:
		if m := e.re.FindSubmatch(body); m != nil {
			return string(m[1]), true, ""
		}
	}
	if value == "" {
		return "", false, e.miss
	}
	if e.re != nil { // a header or a cookie narrowed by Matching
		m := e.re.FindStringSubmatch(value)
		if m == nil {
			return "", false, e.noMatch
		}
		return m[1], true, ""
	}
	return value, true, ""
}
