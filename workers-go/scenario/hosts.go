package scenario

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"locustfleet/worker/baseurl"
	"locustfleet/worker/template"
	"locustfleet/worker/urlesc"
)

// Several hosts: hosts: names base URLs (hosts: {idp: https://login.example}), a step or a flow
// names one (host: idp), and a path may be an absolute URL. The base URLs are known at load
// time: their text may hold {{ env.NAME }} and nothing else that varies.

// constantText renders a template whose every variable is a constant (an environment variable),
// reporting anything else under field; ok is false when it could not.
func (c *compiler) constantText(n *yaml.Node, field string) (string, bool) {
	parts, err := template.Parse(n.Value)
	if err != nil {
		c.errorf(n.Line, field, "%q: %v", urlesc.Redact(n.Value), err)
		return "", false
	}
	var b strings.Builder
	ok := true
	for _, p := range parts {
		if !p.Var {
			b.WriteString(p.Text)
			continue
		}
		text, isConst, err := c.constant(p.Text)
		switch {
		case err != nil:
			c.errorf(n.Line, field, "%v", err)
			ok = false
		case !isConst:
			c.errorf(n.Line, field, "{{ %s }} varies per user; expected a base URL known when the worker starts (written out, or {{ env.NAME }})", p.Text)
			ok = false
		default:
			b.WriteString(text)
		}
	}
	return b.String(), ok
}

// emptyBase describes a base URL that is empty as written, or once its environment variables are
// read: "missing" would send the reader looking for a key they wrote.
func emptyBase(raw string) string {
	if raw == "" {
		return "empty"
	}
	return raw + " is empty (its environment variable is set to \"\")"
}

// parseHosts reads hosts:, a mapping of name to base URL.
func (c *compiler) parseHosts(v *yaml.Node) {
	if v.Kind != yaml.MappingNode || len(v.Content) == 0 {
		what := describe(v)
		if v.Kind == yaml.MappingNode {
			what = "empty"
		}
		c.errorf(v.Line, "hosts", "%s; expected a mapping of name to base URL, such as {api: https://api.example.com}", what)
		return
	}
	c.hosts = map[string]string{}
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, n := v.Content[i], v.Content[i+1]
		field := "hosts." + k.Value
		switch {
		case !identifier.MatchString(k.Value):
			c.errorf(k.Line, field, "not a host name; expected letters, digits and _, not starting with a digit")
			continue
		case slices.Contains(c.hostNames, k.Value):
			c.errorf(k.Line, field, "given twice")
			continue
		}
		c.hostNames = append(c.hostNames, k.Value)
		var raw string
		if !c.check(decodeString(n, field, &raw)) {
			continue
		}
		text, ok := c.constantText(n, field)
		if !ok {
			continue
		}
		if text == "" {
			c.errorf(n.Line, field, "%s; expected a base URL such as https://api.example.com", emptyBase(raw))
			continue
		}
		base, err := baseURL(text, field)
		if err != nil {
			c.errs = append(c.errs, fmt.Errorf("line %d: %w", n.Line, err))
			continue
		}
		c.hosts[k.Value] = urlesc.Clean(base)
	}
}

// hostName reads a step's or a flow's host: NAME.
func (c *compiler) hostName(v *yaml.Node, field string) string {
	var name string
	if !c.check(decodeString(v, field, &name)) {
		return ""
	}
	if !slices.Contains(c.hostNames, name) {
		names := "none: hosts: is not set"
		if len(c.hostNames) > 0 {
			names = "one of " + strings.Join(c.hostNames, ", ")
		}
		c.errorf(v.Line, field, "%q is not a named host; expected a name from hosts: (%s)", name, names)
		return ""
	}
	return name
}

// checkPath reads a step's path: a path from the host (starting with /) or an absolute URL whose
// scheme and host are written out.
func (c *compiler) checkPath(v *yaml.Node, field string) bool {
	p := v.Value
	if !urlesc.Absolute(p) {
		if strings.HasPrefix(p, "{{") {
			c.noteLink(p)
			return true
		}
		if !strings.HasPrefix(p, "/") {
			c.errorf(v.Line, field, "%q must start with \"/\" or be an absolute URL (http:// or https://)", p)
			return false
		}
		return true
	}
	end := authorityEnd(p)
	authority := p[:end]
	if strings.Contains(authority, "{{") {
		c.errorf(v.Line, field, "%q: the host of an absolute URL holds a template; expected it written out, or a named host (hosts: and host:)", urlesc.Redact(p))
		return false
	}
	u, err := url.Parse(authority)
	if err != nil || u.Host == "" || u.Hostname() == "" {
		c.errorf(v.Line, field, "%q is not a valid absolute URL; expected e.g. https://api.example.com/items", urlesc.Redact(p))
		return false
	}
	if err := baseurl.Authority(u); err != nil {
		c.errorf(v.Line, field, "%q: %v", urlesc.Redact(p), err)
		return false
	}
	return true
}

// authorityEnd is the index where an absolute URL's path, query or fragment begins.
func authorityEnd(rawURL string) int {
	i := strings.Index(rawURL, "://") + 3
	if j := strings.IndexAny(rawURL[i:], "/?#"); j >= 0 {
		return i + j
	}
	return len(rawURL)
}
