package scenario

import (
	"strings"

	"locustfleet/worker/template"
	"locustfleet/worker/urlesc"
	"locustfleet/worker/user"
)

// The URL of a step is escaped exactly once, as Python's requests sends it: text written in path
// keeps its meaning (/ ? & = stay, a valid %XX stays, a space or a non-ASCII letter is escaped),
// a value put in by a template is data (escaped whole, so that it stays one path segment or one
// query value), and a fragment (#...) is not sent. It is all decided here, at load time: literal
// text is escaped once, and a value costs one escaping pass when rendered.

type zone int

const (
	pathZone zone = iota
	queryZone
	fragmentZone
)

// urlPiece is a piece of a path template in one zone of the URL.
type urlPiece struct {
	zone  zone
	text  string // literal text, or the expression of a variable
	isVar bool
}

// urlTemplate compiles a step's URL: the named host's base URL or the absolute URL's origin,
// then path and query (with query: appended). A path relative to the scenario's host stays
// relative: the session puts the host in front.
func (c *compiler) urlTemplate(spec *stepSpec, resolve func(string) (lookup, error)) *tpl {
	var b template.Builder[*user.User]
	field := spec.at + ".path"
	text := spec.path.Value
	host := spec.hostName
	if host == "" && spec.defaults != nil && !urlesc.Absolute(text) {
		host = spec.defaults.hostName
	}
	if linkPath(spec) {
		return c.linkTemplate(spec, host, resolve)
	}
	if !urlesc.Absolute(text) && !strings.HasPrefix(text, "/") { // the single-request list's "{{" is text
		c.errorf(spec.path.Line, field, "%q must start with \"/\" or be an absolute URL (http:// or https://)", urlesc.Redact(text))
		return b.Template()
	}
	switch {
	case urlesc.Absolute(text):
		end := authorityEnd(text)
		b.Literal(urlesc.LowerScheme(text[:end])) // HTTP://host is sent to http://host
		text = text[end:]
	case host != "":
		b.Literal(c.hosts[host])
	}
	parts := []template.Part{{Text: text}}
	if !spec.literal {
		var err error
		if parts, err = template.Parse(text); err != nil {
			c.errorf(spec.path.Line, field, "%q: %v", urlesc.Redact(spec.path.Value), err)
			return b.Template()
		}
	}
	pieces := splitZones(parts)
	if len(pieces) == 0 || pieces[0].zone != pathZone {
		b.Literal("/") // an absolute URL without a path: requests sends "/"
	}
	hasQuery := false
	for _, p := range pieces {
		if p.zone == queryZone && (p.isVar || p.text != "") {
			hasQuery = true
		}
	}
	queryOpened := false
	for _, p := range pieces {
		switch {
		case p.zone == fragmentZone:
			continue
		case p.zone == queryZone && !hasQuery:
			continue
		case p.zone == queryZone && !queryOpened:
			b.Literal("?")
			queryOpened = true
		}
		if !p.isVar {
			b.Literal(string(urlesc.AppendText(nil, []byte(p.text))))
			continue
		}
		esc := urlesc.AppendComponent
		if p.zone == queryZone {
			esc = urlesc.AppendQuery
		}
		valueOf := resolve
		if where, ok := c.lists[p.text]; ok && plainVariable(p.text) && c.loopItems[p.text] == "" {
			c.errorf(spec.path.Line, field, "{{ %s }} is always a list (extracted by %s); %s", p.text, where, strings.TrimPrefix(pathListReason(p.text), "path: {{ "+p.text+" }} is a list; "))
			continue
		}
		if plainVariable(p.text) {
			valueOf = func(expr string) (lookup, error) {
				fn, err := resolve(expr)
				if err != nil {
					return nil, err
				}
				return refuseList(fn, pathListReason(expr)), nil
			}
		}
		c.urlValue(&b, p.text, spec.path.Line, field, valueOf, esc)
	}
	sep := "?"
	if hasQuery {
		sep = "&"
	}
	if values, ok := c.pairValues(spec.query, spec.at, "query", resolve); ok {
		b.Var(func(u *user.User, dst []byte) []byte { return appendPairs(values, u, dst, sep) })
		return b.Template()
	}
	c.literalPairs(&b, spec.query, spec.at, "query", sep, resolve)
	return b.Template()
}

// splitZones cuts a path template's literal text where the query ('?') and the fragment ('#')
// begin, and resolves the dot segments of a path written out whole (/a/./b/../c is /a/c, as
// requests sends it).
func splitZones(parts []template.Part) []urlPiece {
	var pieces []urlPiece
	z := pathZone
	for _, p := range parts {
		if p.Var {
			pieces = append(pieces, urlPiece{zone: z, text: p.Text, isVar: true})
			continue
		}
		text := p.Text
		for text != "" {
			cut := -1
			switch z {
			case pathZone:
				cut = strings.IndexAny(text, "?#")
			case queryZone:
				cut = strings.IndexByte(text, '#')
			}
			if cut < 0 {
				pieces = append(pieces, urlPiece{zone: z, text: text})
				break
			}
			if cut > 0 {
				pieces = append(pieces, urlPiece{zone: z, text: text[:cut]})
			}
			if text[cut] == '?' {
				z = queryZone
			} else {
				z = fragmentZone
			}
			// the delimiter opens the zone: a zone entry with no text marks it
			pieces = append(pieces, urlPiece{zone: z})
			text = text[cut+1:]
		}
	}
	var path strings.Builder
	literal := true
	n := 0
	for _, p := range pieces {
		if p.zone != pathZone {
			break
		}
		literal = literal && !p.isVar
		path.WriteString(p.text)
		n++
	}
	if literal && n > 0 {
		resolved := urlPiece{zone: pathZone, text: urlesc.RemoveDotSegments(path.String())}
		pieces = append([]urlPiece{resolved}, pieces[n:]...)
	}
	return pieces
}

// urlValue adds a value to a URL: escaped by esc, unless its last filter is urlencode (escaped
// already: not twice). An environment variable is escaped once, now.
func (c *compiler) urlValue(b *template.Builder[*user.User], expr string, line int, field string,
	resolve func(string) (lookup, error), esc func(dst, raw []byte) []byte) {
	if lastFilter(expr) == "urlencode" {
		esc = nil
	}
	if text, ok, err := c.constant(expr); ok {
		if err != nil {
			c.errorf(line, field, "%v", err)
			return
		}
		b.Literal(escapeText(esc, text))
		return
	}
	fn, err := resolve(expr)
	if err != nil {
		if err != errReported {
			c.errorf(line, field, "%v", err)
		}
		return
	}
	if esc != nil {
		fn = urlEscaped(fn, esc)
	}
	b.Var(fn)
}

// urlEscaped is template.Escaped for URL values: most (ids, tokens, numbers) need no escaping,
// and cost only a scan.
func urlEscaped(fn lookup, esc func(dst, raw []byte) []byte) lookup {
	return func(u *user.User, dst []byte) []byte {
		start := len(dst)
		return escapeTail(fn(u, dst), start, esc)
	}
}

// escapeTail escapes by esc the value dst holds from start, in place.
func escapeTail(dst []byte, start int, esc func(dst, raw []byte) []byte) []byte {
	if urlesc.Unreserved(dst[start:]) {
		return dst
	}
	end := len(dst)
	dst = esc(dst, dst[start:end]) // as template.Escaped: appended after the value, then moved
	n := copy(dst[start:], dst[end:])
	return dst[:start+n]
}

func escapeText(esc func(dst, raw []byte) []byte, text string) string {
	if esc == nil {
		return text
	}
	return string(esc(nil, []byte(text)))
}

// defaultName is the name Locust shows for a step without name: its path template as written
// (a URL's password hidden), followed by the named host it goes to.
func (c *compiler) defaultName(spec *stepSpec) string {
	name := urlesc.Redact(spec.path.Value)
	host := spec.hostName
	if host == "" && spec.defaults != nil {
		host = spec.defaults.hostName
	}
	if host != "" && !urlesc.Absolute(spec.path.Value) {
		name += " (" + host + ")"
	}
	return name
}
