package scenario

import (
	"net/url"
	"strings"

	"github.com/tidwall/gjson"

	"locustfleet/worker/template"
	"locustfleet/worker/urlesc"
	"locustfleet/worker/user"
)

// A path that is a variable alone (path: "{{ next }}") is a link, as a page or an API gives one
// to follow (a "next" page, a Location, an href): its value is URL text, not data. It is sent as
// a redirect's Location is: an absolute URL goes to its own host, a path from / ("/items?page=2")
// and a scheme-relative URL ("//cdn.example/x") are resolved against the origin of the step's
// host; the text is escaped as URL text and its dot segments resolved. A relative link ("?page=2",
// "items?page=2") depends on the page it came from: an extraction into a link variable resolves
// it against that response's URL (resolveRelative), and so does an extraction of a list a loop
// follows link by link (resolveRelativeList). One that is still relative when sent (from a data
// file), and a value that is no link (the last page's null, an extraction
// that never ran), fail the request unsent, with a reason that says so.

// linkPath reports whether a step's path is a link: the whole path is one template.
func linkPath(spec *stepSpec) bool {
	return !spec.literal && strings.HasPrefix(spec.path.Value, "{{")
}

// linkTemplate compiles a link path: the variable's value resolved against the step's host,
// then query: appended with ? or & as the link needs.
func (c *compiler) linkTemplate(spec *stepSpec, host string, resolve func(string) (lookup, error)) *tpl {
	var b template.Builder[*user.User]
	field := spec.at + ".path"
	parts, err := template.Parse(spec.path.Value)
	if err == nil && (len(parts) != 1 || !parts[0].Var) {
		c.errorf(spec.path.Line, field, "%q: a path starting with a variable is a link; expected the variable alone, e.g. \"{{ next }}\" (its value a URL or a path from /), or a path starting with /", urlesc.Redact(spec.path.Value))
		return b.Template()
	}
	if err != nil {
		c.errorf(spec.path.Line, field, "%q: %v", urlesc.Redact(spec.path.Value), err)
		return b.Template()
	}
	fn, err := resolve(parts[0].Text)
	if err != nil {
		if err != errReported {
			c.errorf(spec.path.Line, field, "%v", err)
		}
		return b.Template()
	}
	base := c.base
	if host != "" {
		base = c.hosts[host]
	}
	if base == "" { // no host, or one that is not a URL: that mistake is reported already
		return b.Template()
	}
	origin := base[:authorityEnd(base)]
	reason := "path {{ " + parts[0].Text + " }}: not a link to follow; expected an absolute URL (https://host/items?page=2) or a path from / (/items?page=2): a relative link or an empty value cannot be sent"
	query := len(spec.query) > 0
	values, listed := c.pairValues(spec.query, spec.at, "query", resolve)
	b.Var(func(u *user.User, dst []byte) []byte {
		start := len(dst)
		dst = fn(u, dst)
		link := string(dst[start:])
		dst = dst[:start]
		url, ok := resolveLink(link, origin)
		if !ok {
			if st, isState := u.State.(*userState); isState {
				st.invalid = reason
			}
			url = origin + "/"
		}
		dst = append(dst, url...)
		sep := "?"
		if strings.IndexByte(url, '?') >= 0 {
			sep = "&"
		}
		switch {
		case listed:
			dst = appendPairs(values, u, dst, sep)
		case query:
			dst = append(dst, sep...)
		}
		return dst
	})
	if listed {
		return b.Template()
	}
	c.literalPairs(&b, spec.query, spec.at, "query", "", resolve) // the link's closure wrote "?" or "&"
	return b.Template()
}

// resolveLink makes link an absolute URL as it is sent (escaped as URL text, without fragment,
// dot segments resolved), resolved against origin (scheme://host[:port]); ok is false for a
// link that is not an absolute URL, a scheme-relative URL or a path from /.
func resolveLink(link, origin string) (url string, ok bool) {
	link = strings.TrimSpace(link) // as browsers trim an href
	switch {
	case urlesc.Absolute(link):
		url = urlesc.LowerScheme(link)
	case strings.HasPrefix(link, "//"):
		url = origin[:strings.Index(origin, "//")] + link
	case strings.HasPrefix(link, "/"):
		url = origin + link
	default:
		return "", false
	}
	url = urlesc.Clean(url)
	pathAt := authorityEnd(url)
	if pathAt == len(url) || url[pathAt] != '/' {
		url = url[:pathAt] + "/" + url[pathAt:] // https://host and https://host?x: requests sends / and /?x
	}
	end := len(url)
	if q := strings.IndexByte(url[pathAt:], '?'); q >= 0 {
		end = pathAt + q
	}
	if path, clean := url[pathAt:end], urlesc.RemoveDotSegments(url[pathAt:end]); clean != path {
		url = url[:pathAt] + clean + url[end:]
	}
	return url, true
}

// noteLink records the variable of a link path, so that its extractions resolve a relative
// value against the response it came from (the page that holds the link, as a browser does).
func (c *compiler) noteLink(path string) {
	name := linkVariable(path)
	if name == "" {
		return // reported when the path is compiled
	}
	if c.linkVars == nil {
		c.linkVars = map[string]bool{}
	}
	c.linkVars[name] = true
}

// linkVariable is the variable of a link path ("{{ next }}" and "{{ action | htmldecode }}":
// next, action); "" for another path.
func linkVariable(path string) string {
	parts, err := template.Parse(path)
	if err != nil || len(parts) != 1 || !parts[0].Var {
		return ""
	}
	name, _ := splitFilters(parts[0].Text)
	return name
}

// noteLinkLists records the variables a loop goes over whose element (as:) is the link path of a
// step inside that loop, so that their extractions resolve each relative element as a single
// link's extraction does: hrefs extracted with $.links[*].href and followed one by one. Another
// loop's element of the same name (loop_item, the default) is no link for it: a list of ids is
// not made into URLs.
func (c *compiler) noteLinkLists(specs []*stepSpec) {
	eachSpec(specs, func(s *stepSpec) {
		b := s.block
		if b == nil || b.over == nil {
			return
		}
		eachSpec(b.steps, func(in *stepSpec) {
			if in.block == nil && in.path != nil && linkPath(in) && linkVariable(in.path.Value) == b.as {
				if c.linkLists == nil {
					c.linkLists = map[string]bool{}
				}
				c.linkLists[b.over.Value] = true
			}
		})
	})
}

// resolveRelativeList resolves the relative links of a JSON list (its string elements) against
// page, the URL of the response it was extracted from; anything else is returned as it is.
func resolveRelativeList(list, page string) string {
	elems := gjson.Parse(list)
	if !elems.IsArray() {
		return list
	}
	var texts []string
	changed := false
	elems.ForEach(func(_, elem gjson.Result) bool {
		text := elem.Raw
		if elem.Type == gjson.String {
			if link := resolveRelative(elem.Str, page); link != elem.Str {
				text = `"` + string(template.AppendJSONString(nil, []byte(link))) + `"`
				changed = true
			}
		}
		texts = append(texts, text)
		return true
	})
	if !changed {
		return list
	}
	return "[" + strings.Join(texts, ",") + "]"
}

// resolveRelative resolves a relative link ("?page=2", "items?page=2", "../b") against page, the
// URL of the response it was extracted from; anything else is returned as it is.
func resolveRelative(link, page string) string {
	trimmed := strings.TrimSpace(link)
	if trimmed == "" || trimmed == "null" || urlesc.Absolute(trimmed) || strings.HasPrefix(trimmed, "/") {
		return link
	}
	base, err := url.Parse(page)
	if err != nil || base.Host == "" {
		return link
	}
	ref, err := url.Parse(urlesc.Clean(trimmed))
	if err != nil || ref.Scheme != "" {
		return link // "mailto:x", "javascript:..." are not links to request: left to fail when sent
	}
	return base.ResolveReference(ref).String()
}
