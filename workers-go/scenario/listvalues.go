package scenario

import (
	"strings"

	"github.com/tidwall/gjson"
	"gopkg.in/yaml.v3"

	"locustfleet/worker/template"
	"locustfleet/worker/urlesc"
	"locustfleet/worker/user"
)

// A query: or form: value that is one variable alone ("{{ ids }}") holding a JSON list (an
// extracted [101, 103], a JSON lines column holding one) is sent as requests sends
// params={"id": [101, 103]}: the name repeated, once per element (id=101&id=103), as APIs that
// take repeated parameters expect. It was sent as one value, the list's JSON text
// (id=%5B101%2C103%5D). An empty list sends no name at all, a null element is left out (requests
// leaves out None), and an element that is an object or a list fails the request unsent: it has
// no one text to send. "{{ ids | json }}" still sends the JSON text as one value.
//
// Whether a value is a list is known only when it is rendered, so a query: or form: with such a
// value is rendered by one lookup that writes every name=value with its separator (appendPairs):
// one whose list is empty writes nothing, not even its "&". The others keep their literal
// text; a query: or form: without such a value is compiled as before, static parts shared.

// pairValue is one name=value of a query: or form: rendered by appendPairs.
type pairValue struct {
	prefix string // the name escaped, then "="
	fixed  *tpl   // the escaped value, when it is not a variable alone
	list   lookup // the raw value of a variable alone, which may hold a list
	reason string // why a list of the variable's cannot be sent
}

// listVariable is the variable of a query: or form: value that is one variable alone, without a
// filter ("{{ ids }}"), which may hold a list; "" for any other value (text, several parts, a
// filter, bytes, an environment variable or another built-in, which are never lists).
func listVariable(n *yaml.Node) string {
	if isBinary(n) || n.Tag != "!!str" {
		return ""
	}
	parts, err := template.Parse(n.Value)
	if err != nil || len(parts) != 1 || !parts[0].Var || !plainVariable(parts[0].Text) {
		return ""
	}
	return parts[0].Text
}

// plainVariable reports whether a template expression is a variable alone, which may hold a
// list: not a filter, an environment variable or another built-in.
func plainVariable(expr string) bool {
	return !strings.ContainsAny(expr, "|(") && !strings.HasPrefix(expr, "env.") && !builtin(expr)
}

// refuseList makes a path's variable alone that holds a JSON list fail the request unsent with
// reason: a path has one place for one value, and the list's JSON text escaped into it
// (/items/%5B101%2C103%5D) is a request no API expects. The list repeats its name in query:.
func refuseList(fn lookup, reason string) lookup {
	return func(u *user.User, dst []byte) []byte {
		start := len(dst)
		dst = fn(u, dst)
		if len(dst) > start && dst[start] == '[' && jsonList(dst[start:]) {
			if st, ok := u.State.(*userState); ok {
				st.invalid = reason
			}
		}
		return dst
	}
}

// pathListReason is why a path's {{ name }} holding a list is not sent.
func pathListReason(name string) string {
	return "path: {{ " + name + " }} is a list; expected one value in a path: one element (extract it with [0]), " +
		"a loop over the list (loop: {over: " + name + ", as: NAME}), or query: {NAME: \"{{ " + name + " }}\"} (NAME=VALUE per element)"
}

// pairValues compiles the name=value pairs of a query: or form: (section, "query" or "form")
// for appendPairs; ok is false when no value may hold a list, for the caller to compile them as
// literal text and values.
func (c *compiler) pairValues(pairs []pair, at, section string, resolve func(string) (lookup, error)) (values []pairValue, ok bool) {
	for _, p := range pairs {
		if listVariable(p.value) != "" {
			ok = true
		}
	}
	if !ok {
		return nil, false
	}
	for _, p := range pairs {
		v := pairValue{prefix: string(urlesc.AppendQuery(nil, []byte(p.name))) + "="}
		field := at + "." + section + "." + p.name
		if name := listVariable(p.value); name != "" {
			fn, err := resolve(name)
			if err != nil {
				if err != errReported {
					c.errorf(p.value.Line, field, "%v", err)
				}
				continue
			}
			v.list = fn
			v.reason = section + "." + p.name + ": {{ " + name + " }} is a list with an object or a list in it; expected strings, numbers or booleans, each sent as " +
				p.name + "=VALUE ({{ " + name + " | json }} sends the list's JSON text as one value)"
		} else {
			var b template.Builder[*user.User]
			c.formValue(&b, p.value, at, section, p.name, resolve)
			v.fixed = b.Template()
		}
		values = append(values, v)
	}
	return values, true
}

// appendPairs appends the pairs for u, the first after sep ("?", "&" or ""), the others after
// "&"; a value holding a list is its name=element once per element, an empty list nothing.
func appendPairs(values []pairValue, u *user.User, dst []byte, sep string) []byte {
	for i := range values {
		v := &values[i]
		at := len(dst)
		dst = append(dst, sep...)
		dst = append(dst, v.prefix...)
		start := len(dst)
		if v.fixed != nil {
			dst = v.fixed.Append(dst, u)
			sep = "&"
			continue
		}
		dst = v.list(u, dst)
		if !jsonList(dst[start:]) {
			dst = escapeTail(dst, start, urlesc.AppendQuery)
			sep = "&"
			continue
		}
		var wrote bool
		if dst, wrote = v.appendElements(u, dst, at, start, sep); wrote {
			sep = "&"
		}
	}
	return dst
}

// jsonList reports whether a value is a JSON list (not text that starts with "[").
func jsonList(b []byte) bool {
	return len(b) > 0 && b[0] == '[' && gjson.ValidBytes(b)
}

// appendElements replaces what v wrote from at (sep, its name, the list from start) with
// sep name=element per element of the list; wrote is false when it wrote nothing.
func (v *pairValue) appendElements(u *user.User, dst []byte, at, start int, sep string) (_ []byte, wrote bool) {
	end := len(dst)
	gjson.ParseBytes(dst[start:end]).ForEach(func(_, elem gjson.Result) bool {
		switch elem.Type {
		case gjson.Null: // requests leaves out None
			return true
		case gjson.JSON:
			if st, ok := u.State.(*userState); ok {
				st.invalid = v.reason
			}
			return false
		}
		dst = append(dst, sep...)
		dst = append(dst, v.prefix...)
		text := elem.Raw
		if elem.Type == gjson.String {
			text = elem.Str
		}
		dst = urlesc.AppendQuery(dst, []byte(text))
		sep, wrote = "&", true
		return true
	})
	n := copy(dst[at:], dst[end:])
	return dst[:at+n], wrote
}

// listPart compiles a multipart: text part that is a variable alone: one part, or, when the
// variable holds a JSON list, one part of the name per element, as a browser sends a <select
// multiple> or several checkboxes of one name (and requests sends data={"tag": ["a", "b"]}). An
// empty list sends no part, a null element is left out, and an object or list element fails the
// request unsent, as in query: and form:.
func (c *compiler) listPart(b *template.Builder[*user.User], boundary string, p multipartPart, resolve func(string) (lookup, error)) {
	name := listVariable(p.value)
	fn, err := resolve(name)
	if err != nil {
		if err != errReported {
			c.errorf(p.value.Line, p.field, "%v", err)
		}
		return
	}
	head := "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + quoteParam(p.name) + "\"\r\n"
	if p.contentType != "" {
		head += "Content-Type: " + p.contentType + "\r\n"
	}
	head += "\r\n"
	reason := "multipart." + p.name + ": {{ " + name + " }} is a list with an object or a list in it; expected strings, numbers or booleans, each sent as a part named " +
		p.name + " ({{ " + name + " | json }} sends the list's JSON text as one part)"
	b.Var(func(u *user.User, dst []byte) []byte {
		at := len(dst)
		dst = append(dst, head...)
		start := len(dst)
		dst = fn(u, dst)
		if !jsonList(dst[start:]) {
			return append(dst, "\r\n"...)
		}
		end := len(dst)
		gjson.ParseBytes(dst[start:end]).ForEach(func(_, elem gjson.Result) bool {
			switch elem.Type {
			case gjson.Null:
				return true
			case gjson.JSON:
				if st, ok := u.State.(*userState); ok {
					st.invalid = reason
				}
				return false
			}
			dst = append(dst, head...)
			if elem.Type == gjson.String {
				dst = append(dst, elem.Str...)
			} else {
				dst = append(dst, elem.Raw...)
			}
			dst = append(dst, "\r\n"...)
			return true
		})
		n := copy(dst[at:], dst[end:])
		return dst[:at+n]
	})
}
