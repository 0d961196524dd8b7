package scenario

import (
	"encoding/base64"
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// YAML's !!binary tag (body: !!binary R0lGODlh...) says that a value is bytes, written in base64.
// It was sent as its base64 text. Where a request can carry bytes (body:, a multipart part, a
// form value) the bytes are sent; everywhere else (a JSON body, a header, a path...) it is a
// load-time error naming the field, as Python's yaml + requests would fail there too (JSON has no
// bytes, a header is text).

const binaryTag = "!!binary"

// binaryValue is a !!binary scalar of the document and the field it is at.
type binaryValue struct {
	node  *yaml.Node
	field string
}

// binaryValues lists the !!binary scalars under n (after aliases and merge keys are expanded),
// with the field each is at, as tasks[0].steps[1].headers.X-Sig.
func binaryValues(n *yaml.Node, field string) []binaryValue {
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == binaryTag {
			return []binaryValue{{node: n, field: field}}
		}
	case yaml.MappingNode:
		var out []binaryValue
		for i := 0; i+1 < len(n.Content); i += 2 {
			at := n.Content[i].Value
			if field != "" {
				at = field + "." + at
			}
			out = append(out, binaryValues(n.Content[i+1], at)...)
		}
		return out
	case yaml.SequenceNode:
		var out []binaryValue
		for i, item := range n.Content {
			out = append(out, binaryValues(item, fmt.Sprintf("%s[%d]", field, i))...)
		}
		return out
	}
	return nil
}

// isBinary reports whether n is a !!binary scalar.
func isBinary(n *yaml.Node) bool { return n != nil && n.Kind == yaml.ScalarNode && n.Tag == binaryTag }

// binaryBytes decodes a !!binary value for a field that sends bytes; a value that is not base64
// is reported under field.
func (c *compiler) binaryBytes(n *yaml.Node, field string) ([]byte, bool) {
	c.binaryDone(n)
	// A block scalar (!!binary |) breaks the base64 into lines.
	b, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(n.Value), ""))
	if err != nil {
		c.errorf(n.Line, field, "a !!binary value that is not base64 (%v); expected standard base64 with padding, e.g. !!binary R0lGODlhAQABAAAAACw=", err)
		return nil, false
	}
	return b, true
}

// refuseBinary reports a !!binary value where bytes cannot be sent; expected says what can be.
func (c *compiler) refuseBinary(n *yaml.Node, field, expected string) {
	c.binaryDone(n)
	c.errorf(n.Line, field, "got a !!binary value (bytes); expected %s", expected)
}

func (c *compiler) binaryDone(n *yaml.Node) {
	if c.binariesDone == nil {
		c.binariesDone = map[*yaml.Node]bool{}
	}
	c.binariesDone[n] = true
}

// refuseOtherBinaries reports the !!binary values no field took as bytes or refused already. What
// the field's own reading said of the base64 text (a path "AAEC" must start with "/") is dropped:
// the tag is the mistake.
func (c *compiler) refuseOtherBinaries() {
	for _, b := range c.binaries {
		if c.binariesDone[b.node] {
			continue
		}
		prefix := fmt.Sprintf("line %d: %s: ", b.node.Line, b.field)
		c.errs = slices.DeleteFunc(c.errs, func(err error) bool { return strings.HasPrefix(err.Error(), prefix) })
		c.refuseBinary(b.node, b.field, "text: bytes are sent only as body:, a multipart part, a form value or a query value (to send the base64 text itself, leave out the !!binary tag)")
	}
}

const (
	jsonBinary   = "JSON: JSON has no bytes (send them with body: !!binary and a Content-Type, or leave out the !!binary tag to send the base64 text as a JSON string)"
	headerBinary = "one line of text: a header value is text, not bytes (leave out the !!binary tag to send the base64 text)"
)
