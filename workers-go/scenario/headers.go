package scenario

import (
	"encoding/base64"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"locustfleet/worker/headername"
	"locustfleet/worker/template"
	"locustfleet/worker/user"
)

// Default headers and auth. headers: and auth: at the top of the scenario and on a flow apply to
// every step under them; a step's own headers override them by name (case-insensitive), and a
// header set to null is not sent. A default header whose variables a step cannot see yet (the
// token of the login step itself) is left out of that step: it is sent from the first step that
// can see them.

var (
	authKeys  = []string{"basic"}
	basicKeys = []string{"user", "password"}
)

// requestDefaults are the defaults of the scenario or of a flow: headers (a nil value removes a
// header), auth and, for a flow, its host.
type requestDefaults struct {
	at       string // "" for the scenario, "tasks[N]" for a flow
	headers  []pair
	auth     *authSpec
	hostName string
}

// authSpec is auth: {basic: {user: ..., password: ...}}, both templates.
type authSpec struct {
	line           int
	field          string
	user, password *yaml.Node
}

// requestConfig is what the compiler keeps of hosts:, headers: and auth:.
type requestConfig struct {
	hosts        map[string]string // name -> base URL, when valid
	hostNames    []string          // every name given, valid or not
	defaults     *requestDefaults  // the scenario's
	taskDefaults *requestDefaults  // the flow's whose steps are being read
	allDefaults  []*requestDefaults
	// By the field of a default header: left out of a step that cannot see its variables yet,
	// sent by a step, its mistakes reported.
	hidden, sent, reported map[string]bool
	merged                 map[*yaml.Node]bool // keys a YAML merge brought (expandReferences)
}

// addDefaults registers the defaults of the scenario or of a flow.
func (c *compiler) addDefaults(d *requestDefaults) {
	if c.hidden == nil {
		c.hidden, c.sent, c.reported = map[string]bool{}, map[string]bool{}, map[string]bool{}
	}
	c.allDefaults = append(c.allDefaults, d)
}

// parseDefaults reads the scenario's hosts:, headers: and auth:.
func (c *compiler) parseDefaults(hosts, headers, auth *yaml.Node) {
	if hosts != nil {
		c.parseHosts(hosts)
	}
	d := &requestDefaults{}
	if headers != nil {
		d.headers = c.headerPairs(headers, "headers")
	}
	if auth != nil {
		d.auth = c.parseAuth(auth, "auth")
		c.authWithHeader(d.auth, d.headers, "headers")
	}
	c.defaults = d
	c.addDefaults(d)
}

// headerPairs reads a headers: mapping; a null value means "do not send".
func (c *compiler) headerPairs(v *yaml.Node, field string) []pair {
	if v.Kind != yaml.MappingNode {
		c.errorf(v.Line, field, "%s; expected a mapping of header name to value", describe(v))
		return nil
	}
	var out []pair
	var names []*yaml.Node // the key node of each of out
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, value := v.Content[i], v.Content[i+1]
		at := field + "." + k.Value
		same := slices.IndexFunc(out, func(p pair) bool { return strings.EqualFold(p.name, k.Value) })
		switch {
		case !headername.Valid(k.Value):
			c.errorf(k.Line, at, "not a header name; expected %s", headername.Allowed)
			continue
		case value.Kind != yaml.ScalarNode:
			c.errorf(value.Line, at, "%s; expected a string, or null to send no such header", describe(value))
			continue
		case isBinary(value):
			c.refuseBinary(value, at, headerBinary)
			continue
		case slices.ContainsFunc(framingHeaders, func(name string) bool { return strings.EqualFold(name, k.Value) }):
			// Content-Length was sent as written, without the body it announces (the server waits
			// for it until the request times out), or replaced by the body's; Transfer-Encoding was dropped.
			c.errorf(k.Line, at, "set by the worker from the request's body; expected no %s header", k.Value)
			continue
		case strings.ContainsFunc(value.Value, controlChar):
			// fasthttp sends each line break as a space: the header would not be what was written.
			c.errorf(value.Line, at, "got %q, which holds a line break or control character; expected one line of text", value.Value)
			continue
		case c.envWithControlChar(value, at):
			continue
		case same >= 0:
			// A header written out wins over one a merge key brought, whatever their case, as
			// YAML's own keys do; written twice, it is a mistake.
			switch {
			case c.merged[k]:
			case names[same] != nil && c.merged[names[same]]:
				out[same], names[same] = pair{name: k.Value, value: nullable(value)}, k
			default:
				c.errorf(k.Line, at, "given twice (header names are case-insensitive)")
			}
			continue
		}
		out, names = append(out, pair{name: k.Value, value: nullable(value)}), append(names, k)
	}
	return out
}

// envWithControlChar reports (and refuses) an environment variable in a header value whose value
// holds a line break, as a secret read from a file often does at its end: fasthttp would send
// it as a space, and the server refuse the credential.
func (c *compiler) envWithControlChar(value *yaml.Node, field string) bool {
	parts, err := template.Parse(value.Value)
	if err != nil {
		return false // reported where the value is compiled
	}
	for _, p := range parts {
		if !p.Var {
			continue
		}
		if text, isConst, err := c.constant(p.Text); err == nil && isConst && strings.ContainsFunc(text, controlChar) {
			c.errorf(value.Line, field, "{{ %s }}: the environment variable's value holds a line break or control character; expected one line of text (a value read from a file keeps its last line break)", p.Text)
			return true
		}
	}
	return false
}

// framingHeaders say where a request's body ends; the worker writes them.
var framingHeaders = []string{"Content-Length", "Transfer-Encoding"}

// controlChar reports an ASCII control character other than tab, which a header value cannot hold.
func controlChar(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f }

// nullable is a header's value node, nil for null (the header is not sent).
func nullable(v *yaml.Node) *yaml.Node {
	if v.Tag == "!!null" {
		return nil
	}
	return v
}

// parseAuth reads auth: {basic: {user: U, password: P}}.
func (c *compiler) parseAuth(v *yaml.Node, field string) *authSpec {
	if v.Kind != yaml.MappingNode || len(v.Content) != 2 || v.Content[0].Value != "basic" {
		c.errorf(v.Line, field, "%s; expected {basic: {user: USER, password: PASSWORD}}", describe(v))
		return nil
	}
	basic := v.Content[1]
	at := field + ".basic"
	if basic.Kind != yaml.MappingNode {
		c.errorf(basic.Line, at, "%s; expected a mapping with user and password", describe(basic))
		return nil
	}
	a := &authSpec{line: v.Line, field: field}
	c.eachKey(basic, at+".", basicKeys, func(key string, _, n *yaml.Node) {
		if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
			c.errorf(n.Line, at+"."+key, "%s; expected a string", describe(n))
			return
		}
		if key == "user" {
			a.user = n
		} else {
			a.password = n
		}
	})
	if a.user == nil || a.password == nil {
		if hasKey(basic, "user") && hasKey(basic, "password") {
			return nil // reported
		}
		c.errorf(basic.Line, at, "missing user or password; expected {user: USER, password: PASSWORD}")
		return nil
	}
	if strings.Contains(a.user.Value, ":") && !strings.Contains(a.user.Value, "{{") {
		c.errorf(a.user.Line, at+".user", "%q has a colon; expected a user name without one (HTTP Basic separates user and password by it)", a.user.Value)
		return nil
	}
	return a
}

// authWithHeader reports auth given with an Authorization header on the same level.
func (c *compiler) authWithHeader(a *authSpec, headers []pair, field string) {
	if a == nil {
		return
	}
	for _, h := range headers {
		if strings.EqualFold(h.name, "Authorization") {
			c.errorf(a.line, a.field, "given with %s.%s; expected one of them", field, h.name)
		}
	}
}

// header entries while a step's headers are merged.
type headerEntry struct {
	name    string
	value   *yaml.Node // nil: removed
	auth    *authSpec
	field   string // where it was written
	own     bool   // the step's own, not a default
	removed bool
}

// stepHeaders merges the scenario's, the flow's and the step's headers (and auth) and compiles
// them; contentType is what the step's body implies ("" for none). noAcceptEncoding: the step
// removes the worker's own Accept-Encoding.
func (c *compiler) stepHeaders(spec *stepSpec, avail []string, resolve func(string) (lookup, error), contentType string) (headers []header, noAcceptEncoding bool) {
	var entries []headerEntry
	put := func(e headerEntry) {
		for i := range entries {
			if strings.EqualFold(entries[i].name, e.name) {
				entries[i] = e
				return
			}
		}
		entries = append(entries, e)
	}
	levels := []*requestDefaults{c.defaults}
	if spec.defaults != nil {
		levels = append(levels, spec.defaults)
	}
	for _, d := range levels {
		if d == nil {
			continue
		}
		if d.auth != nil {
			put(headerEntry{name: "Authorization", auth: d.auth, field: d.auth.field})
		}
		for _, h := range d.headers {
			put(headerEntry{name: h.name, value: h.value, field: prefixed(d.at, "headers."+h.name), removed: h.value == nil})
		}
	}
	if spec.auth != nil {
		put(headerEntry{name: "Authorization", auth: spec.auth, field: spec.auth.field, own: true})
	}
	ownType := false
	for _, h := range spec.headers {
		put(headerEntry{name: h.name, value: h.value, field: spec.at + ".headers." + h.name, own: true, removed: h.value == nil})
		ownType = ownType || strings.EqualFold(h.name, "Content-Type")
	}
	if contentType != "" && !ownType {
		put(headerEntry{name: "Content-Type", value: &yaml.Node{Kind: yaml.ScalarNode, Value: contentType}, own: true})
	}

	for _, e := range entries {
		if e.removed {
			if strings.EqualFold(e.name, "Accept-Encoding") {
				noAcceptEncoding = true
			}
			continue
		}
		if !e.own && !c.visible(e, avail) {
			c.hidden[e.field] = true
			continue // sent from the first step that can see its variables
		}
		var b template.Builder[*user.User]
		before := len(c.errs)
		switch {
		case e.auth != nil:
			c.basicAuth(&b, e.auth, resolve)
		case spec.literal && e.own:
			b.Literal(e.value.Value) // the single-request list sends strings as written
		default:
			c.text(&b, e.value, e.field, resolve, nil, false)
		}
		if !e.own {
			c.sent[e.field] = true
			if c.reported[e.field] {
				c.errs = c.errs[:before] // a default's mistakes are reported once, not per step
			} else if len(c.errs) > before {
				c.reported[e.field] = true
			}
		}
		headers = append(headers, header{name: e.name, value: b.Template()})
	}
	return headers, noAcceptEncoding
}

// visible reports whether a step that can see avail sees every variable of a default header:
// one that a later step extracts is not visible yet. Unknown names count as visible, so that
// compiling the header reports them.
func (c *compiler) visible(e headerEntry, avail []string) bool {
	nodes := []*yaml.Node{e.value}
	if e.auth != nil {
		nodes = []*yaml.Node{e.auth.user, e.auth.password}
	}
	for _, n := range nodes {
		parts, err := template.Parse(n.Value)
		if err != nil {
			return true
		}
		for _, p := range parts {
			name, _ := splitFilters(p.Text)
			if _, extracted := c.extractedAt[name]; p.Var && extracted && !slices.Contains(avail, name) {
				return false
			}
		}
	}
	return true
}

// basicAuth adds "Basic base64(user:password)" to b: a constant when both are.
func (c *compiler) basicAuth(b *template.Builder[*user.User], a *authSpec, resolve func(string) (lookup, error)) {
	var ub, pb template.Builder[*user.User]
	c.text(&ub, a.user, a.field+".basic.user", resolve, nil, false)
	c.text(&pb, a.password, a.field+".basic.password", resolve, nil, false)
	userTpl, passTpl := ub.Template(), pb.Template()
	b.Literal("Basic ")
	u, uStatic := userTpl.Static()
	p, pStatic := passTpl.Static()
	if uStatic && pStatic {
		b.Literal(base64.StdEncoding.EncodeToString([]byte(u + ":" + p)))
		return
	}
	b.Var(func(usr *user.User, dst []byte) []byte {
		var small [128]byte
		raw := userTpl.Append(small[:0], usr)
		raw = append(raw, ':')
		raw = passTpl.Append(raw, usr)
		return base64.StdEncoding.AppendEncode(dst, raw)
	})
}

// checkDefaultsSent reports a default header that no step sends because every step that would
// comes before the extraction of one of its variables.
func (c *compiler) checkDefaultsSent() {
	unsent := func(field string) bool { return c.hidden[field] && !c.sent[field] }
	for _, d := range c.allDefaults {
		for _, h := range d.headers {
			if field := prefixed(d.at, "headers."+h.name); unsent(field) {
				c.errorf(h.value.Line, field, "no step sends it: each comes before the extraction of a variable it uses; expected a variable extracted in on_start or earlier in the flow")
			}
		}
		if a := d.auth; a != nil && unsent(a.field) {
			c.errorf(a.line, a.field, "no step sends it: each comes before the extraction of a variable it uses; expected a variable extracted in on_start or earlier in the flow")
		}
	}
}

// text adds a template to b with its constants folded in: literal text and values escaped by
// esc; with url, a value whose last filter is urlencode is not escaped again.
func (c *compiler) text(b *template.Builder[*user.User], n *yaml.Node, field string,
	resolve func(string) (lookup, error), esc func(dst, raw []byte) []byte, url bool) {
	parts, err := template.Parse(n.Value)
	if err != nil {
		c.errorf(n.Line, field, "%q: %v", n.Value, err)
		return
	}
	for _, p := range parts {
		if !p.Var {
			b.Literal(escapeText(esc, p.Text))
			continue
		}
		if url {
			c.urlValue(b, p.Text, n.Line, field, resolve, esc)
			continue
		}
		if text, ok, err := c.constant(p.Text); ok {
			if err != nil {
				c.errorf(n.Line, field, "%v", err)
				continue
			}
			b.Literal(escapeText(esc, text))
			continue
		}
		fn, err := resolve(p.Text)
		if err != nil {
			if err != errReported {
				c.errorf(n.Line, field, "%v", err)
			}
			continue
		}
		if esc != nil {
			fn = template.Escaped(fn, esc)
		}
		b.Var(fn)
	}
}

// prefixed is field under at ("tasks[0].headers.X"), or field alone at the top.
func prefixed(at, field string) string {
	if at == "" {
		return field
	}
	return at + "." + field
}
