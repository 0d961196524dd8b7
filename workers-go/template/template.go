// Package template renders "{{ name }}" templates. A template is parsed once into literal text
// and variable lookups; rendering appends to a caller's buffer and never parses again, and a
// template without variables is a constant string.
package template

import (
	"errors"
	"fmt"
	"strings"
)

// Lookup appends the value of one variable, as seen from c (a user, say), to dst.
type Lookup[C any] func(c C, dst []byte) []byte

// Part is a piece of a parsed template: literal text, or the name of a variable.
type Part struct {
	Text string
	Var  bool
}

// Parse splits s into literal and variable parts. "{{" opens a variable that "}}" closes; the
// name is trimmed of spaces. A "}}" outside a variable is literal text.
func Parse(s string) ([]Part, error) {
	var parts []Part
	offset := 0
	for {
		i := strings.Index(s, "{{")
		if i < 0 {
			break
		}
		j := strings.Index(s[i+2:], "}}")
		if j < 0 {
			return nil, fmt.Errorf(`"{{" at offset %d has no closing "}}"`, offset+i)
		}
		name := strings.TrimSpace(s[i+2 : i+2+j])
		if name == "" {
			return nil, fmt.Errorf(`empty "{{ }}" at offset %d; expected a variable name`, offset+i)
		}
		if i > 0 {
			parts = append(parts, Part{Text: s[:i]})
		}
		parts = append(parts, Part{Text: name, Var: true})
		s = s[i+2+j+2:]
		offset += i + 2 + j + 2
	}
	if s != "" {
		parts = append(parts, Part{Text: s})
	}
	return parts, nil
}

type piece[C any] struct {
	lit string
	fn  Lookup[C] // nil for a literal
}

// Builder assembles a template from literals and lookups, for callers (such as JSON bodies)
// that produce the structure themselves.
type Builder[C any] struct {
	pieces []piece[C]
}

// Literal appends constant text, merged with a literal just before it.
func (b *Builder[C]) Literal(s string) {
	if s == "" {
		return
	}
	if n := len(b.pieces); n > 0 && b.pieces[n-1].fn == nil {
		b.pieces[n-1].lit += s
		return
	}
	b.pieces = append(b.pieces, piece[C]{lit: s})
}

// Var appends a variable.
func (b *Builder[C]) Var(fn Lookup[C]) {
	b.pieces = append(b.pieces, piece[C]{fn: fn})
}

// Parse appends the parts of template s, resolving each variable with resolve. With esc, literal
// text and variable values alike are escaped by it (literals once, here). A syntax error is
// returned alone; otherwise every variable that does not resolve is reported (errors.Join).
func (b *Builder[C]) Parse(s string, resolve func(name string) (Lookup[C], error), esc func(dst, raw []byte) []byte) error {
	parts, err := Parse(s)
	if err != nil {
		return err
	}
	var errs []error
	for _, p := range parts {
		if !p.Var {
			if esc != nil {
				b.Literal(string(esc(nil, []byte(p.Text))))
			} else {
				b.Literal(p.Text)
			}
			continue
		}
		fn, err := resolve(p.Text)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if esc != nil {
			fn = Escaped(fn, esc)
		}
		b.Var(fn)
	}
	return errors.Join(errs...)
}

// Template returns what was built; the builder may not be used afterwards.
func (b *Builder[C]) Template() *Template[C] {
	t := &Template[C]{pieces: b.pieces}
	t.static = true
	for _, p := range b.pieces {
		if p.fn != nil {
			t.static = false
		}
	}
	if t.static && len(b.pieces) == 1 {
		t.text = b.pieces[0].lit
	}
	return t
}

// Template is a compiled template; it is read-only and safe for concurrent use.
type Template[C any] struct {
	pieces []piece[C]
	static bool
	text   string // the whole text when static
}

// Static returns the text of a template without variables.
func (t *Template[C]) Static() (string, bool) {
	return t.text, t.static
}

// Append renders the template for c onto dst.
func (t *Template[C]) Append(dst []byte, c C) []byte {
	for _, p := range t.pieces {
		if p.fn == nil {
			dst = append(dst, p.lit...)
		} else {
			dst = p.fn(c, dst)
		}
	}
	return dst
}

// Escaped wraps fn so that its value is passed through esc (which appends the escaped form of
// raw to dst), as JSON strings and URL queries need. The value is escaped within dst, without
// allocating: its escaped form is appended after it, then moved into its place.
func Escaped[C any](fn Lookup[C], esc func(dst, raw []byte) []byte) Lookup[C] {
	return func(c C, dst []byte) []byte {
		start := len(dst)
		dst = fn(c, dst)
		end := len(dst)
		// esc reads the value while it appends after it; should dst grow, the value stays
		// readable in the old array.
		dst = esc(dst, dst[start:end])
		n := copy(dst[start:], dst[end:])
		return dst[:start+n]
	}
}

// AppendJSONString appends raw escaped for the inside of a JSON string (without the quotes).
func AppendJSONString(dst, raw []byte) []byte {
	const hex = "0123456789abcdef"
	for _, c := range raw {
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c == '\n':
			dst = append(dst, '\\', 'n')
		case c == '\r':
			dst = append(dst, '\\', 'r')
		case c == '\t':
			dst = append(dst, '\\', 't')
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			dst = append(dst, c)
		}
	}
	return dst
}
