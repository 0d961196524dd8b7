package scenario

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"locustfleet/worker/template"
	"locustfleet/worker/urlesc"
	"locustfleet/worker/user"
)

// Bodies besides body: (text) and json: (compile.go): form: (application/x-www-form-urlencoded),
// multipart: (multipart/form-data, fields and files) and body_file: (a file sent as it is).
// Files are read when the scenario is loaded, relative to its folder.

// bodyKeys are the keys of a request that give its body; a request has at most one.
var bodyKeys = []string{"body", "json", "form", "multipart", "body_file"}

var multipartPartKeys = []string{"file", "value", "content_type", "filename"}

// requestParts are the request keys of a step read by this package's files: its host, auth,
// the bodies above, and the defaults of the flow it is in.
type requestParts struct {
	hostName  string
	hostLine  int
	auth      *authSpec
	form      []pair // a field repeated for each value of a list
	multipart []multipartPart
	boundary  string
	bodyFile  []byte
	hasFile   bool
	bodyFiles *rowFiles      // a body_file: path naming data columns: the file of the user's row (rowfiles.go)
	bodyLines map[string]int // form, multipart, body_file -> its line, to report two bodies
	defaults  *requestDefaults
}

// multipartPart is one part: a text field (a template), or bytes (a file read at load time, or a
// !!binary value); a file part has a filename.
type multipartPart struct {
	name        string
	value       *yaml.Node // a text field; nil for bytes
	file        []byte
	filename    string
	fileNameTpl *yaml.Node // filename: as written, a template; nil: filename (a file's base name)
	contentType string
	field       string
	rows        *rowFiles // a file: path naming data columns: the file of the user's row (rowfiles.go)
}

// requestPart reads a request key of this package's files; it reports whether key was one.
func (c *compiler) requestPart(s *stepSpec, key string, v *yaml.Node, field string) bool {
	if slices.Contains(bodyKeys, key) {
		if s.bodyLines == nil {
			s.bodyLines = map[string]int{}
		}
		s.bodyLines[key] = v.Line
	}
	switch key {
	case "host":
		s.hostName, s.hostLine = c.hostName(v, field), v.Line
	case "auth":
		s.auth = c.parseAuth(v, field)
	case "form":
		s.form = c.parseForm(v, field)
	case "multipart":
		s.multipart = c.parseMultipart(v, field)
		s.boundary = newBoundary(s.multipart)
	case "body_file":
		var file string
		switch {
		case !c.check(decodeString(v, field, &file)):
		case strings.Contains(file, "{{"):
			s.bodyFiles, s.hasFile = c.readRowFiles(v, field, file)
		default:
			s.bodyFile, s.hasFile = c.readFile(v, field, file)
		}
	default:
		return false
	}
	return true
}

// finishParts checks what this package's keys need of a request as a whole.
func (c *compiler) finishParts(s *stepSpec) bool {
	ok := true
	lines := map[string]int{}
	maps.Copy(lines, s.bodyLines)
	if s.body != nil {
		lines["body"] = s.body.Line
	}
	if s.json != nil {
		lines["json"] = s.json.Line
	}
	var given []string
	for _, k := range bodyKeys {
		if _, set := lines[k]; set {
			given = append(given, k)
		}
	}
	// body with json alone is reported by finishRequest, as it always was
	if len(given) > 1 && !(len(given) == 2 && given[0] == "body" && given[1] == "json") {
		last := given[len(given)-1]
		c.errorf(lines[last], s.at+"."+last, "given with %s; expected one body: body (text), json, form, multipart or body_file", strings.Join(given[:len(given)-1], " and "))
		ok = false
	}
	if s.hostName != "" && s.path != nil && urlesc.Absolute(s.path.Value) {
		c.errorf(s.hostLine, s.at+".host", "given with an absolute URL in path; expected one of them (host: NAME with a path from /)")
		ok = false
	}
	if s.auth != nil {
		c.authWithHeader(s.auth, s.headers, s.at+".headers")
	}
	if s.multipart != nil {
		for _, h := range s.headers {
			if strings.EqualFold(h.name, "Content-Type") {
				c.errorf(h.value.Line, s.at+".headers."+h.name, "given with multipart; expected none: multipart sets multipart/form-data with its boundary")
				ok = false
			}
		}
	}
	return ok
}

// parseForm reads form: {name: value, name: [value, value]}. form: {} is an empty form, what a
// browser posts for a form with no fields (a logout button): its Content-Type and no body.
func (c *compiler) parseForm(v *yaml.Node, field string) []pair {
	form := c.repeatable(v, field, "a mapping of field name to value (or a list of values)", "field")
	if form == nil && v.Kind == yaml.MappingNode {
		return []pair{} // not nil: an empty form is still the step's body
	}
	return form
}

// repeatable reads a mapping of name to value, or to a list of values: the name repeated, as
// requests sends data= and params= given a list (form: and query:).
func (c *compiler) repeatable(v *yaml.Node, field, want, what string) []pair {
	if v.Kind != yaml.MappingNode {
		c.errorf(v.Line, field, "%s; expected %s", describe(v), want)
		return nil
	}
	c.uniqueKeys(v, field, " (a repeated "+what+" is a list: NAME: [a, b])")
	var out []pair
	for i := 0; i+1 < len(v.Content); i += 2 {
		name, value := v.Content[i].Value, v.Content[i+1]
		if value.Kind == yaml.SequenceNode && len(value.Content) == 0 { // it was left out without a word
			c.errorf(value.Line, field+"."+name, "%s; expected a string, or a list of strings for a repeated %s", describe(value), what)
			continue
		}
		for _, item := range oneOrMany(value) {
			if item.Kind != yaml.ScalarNode || item.Tag == "!!null" {
				c.errorf(item.Line, field+"."+name, "%s; expected a string, or a list of strings for a repeated %s", describe(item), what)
				continue
			}
			out = append(out, pair{name: name, value: item})
		}
	}
	return out
}

// parseMultipart reads multipart: {name: text | {file: PATH, content_type: T, filename: F} |
// {value: text, content_type: T} | a list of those}, reading the files now.
func (c *compiler) parseMultipart(v *yaml.Node, field string) []multipartPart {
	if v.Kind != yaml.MappingNode || len(v.Content) == 0 {
		c.errorf(v.Line, field, "%s; expected a mapping of part name to a text, {file: PATH} or {value: TEXT}", describe(v))
		return nil
	}
	c.uniqueKeys(v, field, " (parts of one name are a list: NAME: [a, b])")
	var out []multipartPart
	for i := 0; i+1 < len(v.Content); i += 2 {
		name, value := v.Content[i].Value, v.Content[i+1]
		at := field + "." + name
		if value.Kind == yaml.SequenceNode && len(value.Content) == 0 { // the part was left out without a word
			c.errorf(value.Line, at, "%s; expected a text, {file: PATH} or {value: TEXT}, or a list of them", describe(value))
			continue
		}
		for _, item := range oneOrMany(value) {
			switch {
			case isBinary(item): // a field of bytes, as requests sends data={"f": b"..."}
				if raw, ok := c.binaryBytes(item, at); ok {
					out = append(out, multipartPart{name: name, file: raw, field: at})
				}
			case item.Kind == yaml.ScalarNode && item.Tag != "!!null":
				out = append(out, multipartPart{name: name, value: item, field: at})
			case item.Kind == yaml.MappingNode:
				if p, ok := c.multipartItem(item, name, at); ok {
					out = append(out, p)
				}
			default:
				c.errorf(item.Line, at, "%s; expected a text, {file: PATH, content_type: TYPE, filename: NAME} or {value: TEXT, content_type: TYPE}", describe(item))
			}
		}
	}
	return out
}

func (c *compiler) multipartItem(item *yaml.Node, name, at string) (multipartPart, bool) {
	p := multipartPart{name: name, field: at}
	var file string
	var fileNode *yaml.Node
	ok := true
	c.eachKey(item, at+".", multipartPartKeys, func(key string, _, n *yaml.Node) {
		switch key {
		case "file":
			fileNode = n
			if !isBinary(n) { // the file's bytes written out: read below
				ok = c.check(decodeString(n, at+".file", &file)) && ok
			}
		case "value":
			if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
				c.errorf(n.Line, at+".value", "%s; expected a string", describe(n))
				ok = false
			}
			p.value = n
		case "content_type":
			ok = c.check(decodeString(n, at+".content_type", &p.contentType)) && ok
			switch {
			case strings.ContainsFunc(p.contentType, controlChar): // written into the part's header lines as it is
				c.errorf(n.Line, at+".content_type", "got %q, which holds a line break or control character; expected a media type such as application/json", p.contentType)
				ok = false
			case strings.Contains(p.contentType, "{{"): // it was sent as written, braces and all
				c.errorf(n.Line, at+".content_type", "got %q, a template; expected a media type written out, such as application/pdf (content_type is not a template)", p.contentType)
				ok = false
			}
		case "filename":
			ok = c.check(decodeString(n, at+".filename", &p.filename)) && ok
			p.fileNameTpl = n
		}
	})
	switch {
	case fileNode != nil && p.value != nil:
		c.errorf(item.Line, at, "both file and value; expected one of them")
		return p, false
	case fileNode == nil && p.value == nil:
		c.errorf(item.Line, at, "neither file nor value; expected {file: PATH} or {value: TEXT}")
		return p, false
	case p.value != nil && p.filename != "":
		c.errorf(item.Line, at+".filename", "given with value; expected filename only with file")
		return p, false
	case !ok:
		return p, false
	case isBinary(p.value): // bytes in a field of its own Content-Type
		p.file, ok = c.binaryBytes(p.value, at+".value")
		p.value = nil
		return p, ok
	case isBinary(fileNode): // a file's bytes written out: named after its part, as requests names one
		if p.file, ok = c.binaryBytes(fileNode, at+".file"); !ok {
			return p, false
		}
		if p.filename == "" {
			p.filename = name
		}
		if p.contentType == "" {
			p.contentType = "application/octet-stream"
		}
	case fileNode != nil && strings.Contains(file, "{{"):
		if p.rows, ok = c.readRowFiles(fileNode, at+".file", file); !ok {
			return p, false
		}
		if p.contentType == "" {
			p.contentType = "application/octet-stream"
		}
	case fileNode != nil:
		content, read := c.readFile(fileNode, at+".file", file)
		if !read {
			return p, false
		}
		p.file = content
		if p.filename == "" {
			p.filename = filepath.Base(file)
		}
		if p.contentType == "" {
			p.contentType = "application/octet-stream"
		}
	}
	return p, true
}

// readFile reads a file named in the scenario, relative to its folder.
func (c *compiler) readFile(n *yaml.Node, field, file string) ([]byte, bool) {
	content, err := os.ReadFile(c.path(file))
	if err != nil {
		var pathErr *os.PathError
		if errors.As(err, &pathErr) {
			err = pathErr.Err
		}
		c.errorf(n.Line, field, "cannot read %q: %v; expected a readable file, relative to the scenario's folder", file, err)
		return nil, false
	}
	return content, true
}

// newBoundary is a random multipart boundary that none of the files contains.
func newBoundary(parts []multipartPart) string {
	for {
		var b [16]byte
		_, _ = rand.Read(b[:])
		boundary := "locust-fleet-" + hex.EncodeToString(b[:])
		inFile := func(p multipartPart) bool {
			return bytes.Contains(p.file, []byte(boundary)) ||
				p.rows != nil && slices.ContainsFunc(p.rows.files, func(f []byte) bool { return bytes.Contains(f, []byte(boundary)) })
		}
		if !slices.ContainsFunc(parts, inFile) {
			return boundary
		}
	}
}

// bodyType is the Content-Type a step's body implies ("" when it implies none).
func bodyType(spec *stepSpec) string {
	switch {
	case spec.json != nil:
		return "application/json"
	case spec.form != nil:
		return "application/x-www-form-urlencoded"
	case spec.multipart != nil:
		return "multipart/form-data; boundary=" + spec.boundary
	}
	return ""
}

// formValue compiles the value of name in a form: or query: (section) of the step at at, escaped
// as requests escapes data= and params= values: a template, or the bytes of a !!binary value
// (requests sends data={"f": b"..."} and params={"f": b"..."} so). "{{ v | json }}" is v's JSON
// text as one value: an extracted list sent as it is, not as the name repeated (listvalues.go).
func (c *compiler) formValue(b *template.Builder[*user.User], v *yaml.Node, at, section, name string, resolve func(string) (lookup, error)) {
	field := at + "." + section + "." + name
	if isBinary(v) {
		raw, _ := c.binaryBytes(v, field)
		b.Literal(string(urlesc.AppendQuery(nil, raw)))
		return
	}
	if c.typedValue(b, v, field, section+"."+name, []string{"json"}, resolve, urlesc.AppendQuery) {
		return
	}
	c.text(b, v, field, resolve, urlesc.AppendQuery, true)
}

// literalPairs compiles the name=value pairs of a query: or form: (section) that no value may
// send as a list (pairValues said so) into b, as text: the first after first ("?", "&" or ""),
// the others after "&".
func (c *compiler) literalPairs(b *template.Builder[*user.User], pairs []pair, at, section, first string, resolve func(string) (lookup, error)) {
	sep := first
	for _, p := range pairs {
		b.Literal(sep + string(urlesc.AppendQuery(nil, []byte(p.name))) + "=")
		c.formValue(b, p.value, at, section, p.name, resolve)
		sep = "&"
	}
}

// partsBody compiles form:, multipart: or body_file: into b; it reports whether the step has
// one of them.
func (c *compiler) partsBody(b *template.Builder[*user.User], spec *stepSpec, resolve func(string) (lookup, error)) bool {
	switch {
	case spec.form != nil:
		if values, ok := c.pairValues(spec.form, spec.at, "form", resolve); ok {
			b.Var(func(u *user.User, dst []byte) []byte { return appendPairs(values, u, dst, "") })
			break
		}
		c.literalPairs(b, spec.form, spec.at, "form", "", resolve)
	case spec.multipart != nil:
		for _, p := range spec.multipart {
			if p.value != nil && listVariable(p.value) != "" {
				c.listPart(b, spec.boundary, p, resolve)
				continue
			}
			b.Literal("--" + spec.boundary + "\r\nContent-Disposition: form-data; name=\"" + quoteParam(p.name) + "\"")
			switch {
			case p.fileNameTpl != nil: // a template: "{{ accounts.user }}.pdf" was sent as written
				b.Literal("; filename=\"")
				c.text(b, p.fileNameTpl, p.field+".filename", resolve, appendQuotedParam, false)
				b.Literal("\"")
			case p.filename != "":
				b.Literal("; filename=\"" + quoteParam(p.filename) + "\"")
			case p.rows != nil:
				rows := p.rows
				b.Literal("; filename=\"")
				b.Var(func(u *user.User, dst []byte) []byte { return append(dst, rows.names[rows.row(u)]...) })
				b.Literal("\"")
			}
			b.Literal("\r\n")
			if p.contentType != "" {
				b.Literal("Content-Type: " + p.contentType + "\r\n")
			}
			b.Literal("\r\n")
			switch {
			case p.value != nil && c.typedValue(b, p.value, p.field, "multipart."+p.name, []string{"json"}, resolve, nil):
			case p.value != nil:
				c.text(b, p.value, p.field, resolve, nil, false)
			case p.rows != nil:
				rows := p.rows
				b.Var(func(u *user.User, dst []byte) []byte { return append(dst, rows.files[rows.row(u)]...) })
			default:
				b.Literal(string(p.file))
			}
			b.Literal("\r\n")
		}
		b.Literal("--" + spec.boundary + "--\r\n")
	case spec.bodyFiles != nil:
		rows := spec.bodyFiles
		b.Var(func(u *user.User, dst []byte) []byte { return append(dst, rows.files[rows.row(u)]...) })
	case spec.hasFile:
		b.Literal(string(spec.bodyFile))
	default:
		return false
	}
	return true
}

// quoteParam escapes a name for a quoted Content-Disposition parameter as browsers (and urllib3)
// do: '"' as %22, CR and LF as %0D and %0A.
func quoteParam(s string) string { return string(appendQuotedParam(nil, []byte(s))) }

// appendQuotedParam appends raw escaped as quoteParam says.
func appendQuotedParam(dst, raw []byte) []byte {
	for _, c := range raw {
		switch c {
		case '"':
			dst = append(dst, "%22"...)
		case '\r':
			dst = append(dst, "%0D"...)
		case '\n':
			dst = append(dst, "%0A"...)
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// typedJSON adds a json: string that is exactly one {{ expr | number }}, {{ expr | bool }} or
// {{ expr | json }} as the JSON value itself (not a string); it reports whether n was one. The
// value is checked when the request is made: one that is not what the filter says makes the
// request fail, unsent, with a reason.
func (c *compiler) typedJSON(b *template.Builder[*user.User], n *yaml.Node, field string, resolve func(string) (lookup, error)) bool {
	return c.typedValue(b, n, field, jsonField(field), jsonFilters, resolve, nil)
}

// typedValue adds a string that is exactly one {{ expr | KIND }}, KIND one of kinds, as its value
// checked to be of that kind when the request is made (escaped by esc, if any); it reports
// whether n was one. A value that is not of its kind makes the request fail, unsent, with a
// reason naming shown, the field as the step writes it ("json.count", "query.id").
func (c *compiler) typedValue(b *template.Builder[*user.User], n *yaml.Node, field, shown string, kinds []string,
	resolve func(string) (lookup, error), esc func(dst, raw []byte) []byte) bool {
	if n.Tag != "!!str" {
		return false
	}
	parts, err := template.Parse(n.Value)
	if err != nil || len(parts) != 1 || !parts[0].Var {
		return false
	}
	expr := parts[0].Text
	kind := lastFilter(expr)
	if !slices.Contains(kinds, kind) {
		return false
	}
	inner := strings.TrimSpace(expr[:strings.LastIndexByte(expr, '|')])
	if _, filters := splitFilters(expr); checkFilters(expr, filters) != nil {
		return false // reported when resolved as a string
	}
	fn, err := resolve(inner)
	if err != nil {
		if err != errReported {
			c.errorf(n.Line, field, "%v", err)
		}
		return true
	}
	reason := shown + ": {{ " + expr + " }} is not " + map[string]string{
		"number": "a JSON number", "bool": "true or false", "json": "JSON"}[kind]
	valid := map[string]func([]byte) bool{"number": validNumber, "bool": validBool, "json": json.Valid}[kind]
	b.Var(func(u *user.User, dst []byte) []byte {
		start := len(dst)
		dst = fn(u, dst)
		if valid(dst[start:]) {
			if esc != nil {
				dst = escapeTail(dst, start, esc)
			}
			return dst
		}
		if st, ok := u.State.(*userState); ok {
			st.invalid = reason
		}
		if esc != nil { // not sent: what stands in does not matter
			return dst[:start]
		}
		return append(dst[:start], "null"...)
	})
	return true
}

// jsonField is the part of field from "json" on: "json.count".
func jsonField(field string) string {
	if i := strings.LastIndex(field, ".json"); i >= 0 {
		return field[i+1:]
	}
	return field
}

func validBool(b []byte) bool { return string(b) == "true" || string(b) == "false" }

// validNumber reports whether b is a JSON number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
func validNumber(b []byte) bool {
	i := 0
	digits := func() int {
		start := i
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
		return i - start
	}
	if i < len(b) && b[i] == '-' {
		i++
	}
	if i < len(b) && b[i] == '0' {
		i++
	} else if digits() == 0 {
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(b)
}

// oneOrMany is a field's values: the items of a list, or the one value given alone.
func oneOrMany(v *yaml.Node) []*yaml.Node {
	if v.Kind == yaml.SequenceNode {
		return v.Content
	}
	return []*yaml.Node{v}
}
