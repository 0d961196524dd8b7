package scenario

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// expandReferences replaces YAML aliases (*name) by what their anchors (&name) hold and merge
// keys (<<: *defaults, <<: [*a, *b]) by the keys they bring, so that the rest of the compiler
// sees plain mappings and lists. A key written in the mapping wins over a merged one, and an
// earlier merged mapping over a later one, as YAML's merge key says. Merged and aliased nodes
// keep their own line numbers: an error in them names the line where they are written. Top-level
// keys starting with "x-" are dropped, as Docker Compose does: a place to keep anchors. merged
// holds the key nodes that came from a merge.
func expandReferences(doc *yaml.Node) (merged map[*yaml.Node]bool, errs []error) {
	e := &expander{done: map[*yaml.Node]bool{}, open: map[*yaml.Node]bool{}, merged: map[*yaml.Node]bool{}}
	if len(doc.Content) == 0 {
		return e.merged, nil
	}
	top := e.expand(doc.Content[0])
	doc.Content[0] = top
	if top.Kind == yaml.MappingNode {
		kept := top.Content[:0]
		for i := 0; i+1 < len(top.Content); i += 2 {
			if !strings.HasPrefix(top.Content[i].Value, "x-") {
				kept = append(kept, top.Content[i], top.Content[i+1])
			}
		}
		top.Content = kept
	}
	return e.merged, e.errs
}

type expander struct {
	done map[*yaml.Node]bool // expanded already (an anchor used several times is expanded once)
	open map[*yaml.Node]bool // being expanded: met again, it contains itself
	// merged are the key nodes a merge brought into some mapping
	merged map[*yaml.Node]bool
	errs   []error
}

func (e *expander) expand(n *yaml.Node) *yaml.Node {
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			return n
		}
		return e.expand(n.Alias)
	}
	if e.done[n] {
		return n
	}
	if e.open[n] {
		e.errs = append(e.errs, lineError(n.Line, "an alias refers to the value that contains it; expected a value that does not contain itself"))
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Line: n.Line, Column: n.Column}
	}
	e.open[n] = true
	defer func() { delete(e.open, n); e.done[n] = true }()
	switch n.Kind {
	case yaml.SequenceNode, yaml.DocumentNode:
		for i, item := range n.Content {
			n.Content[i] = e.expand(item)
		}
	case yaml.MappingNode:
		e.mapping(n)
	}
	return n
}

// mapping expands a mapping's values and its merge keys, in place; merged keys take the place
// of the merge key.
func (e *expander) mapping(n *yaml.Node) {
	var out []*yaml.Node
	written := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; !isMerge(k) {
			written[k.Value] = true
		}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], e.expand(n.Content[i+1])
		if !isMerge(k) {
			out = append(out, k, v)
			continue
		}
		sources := []*yaml.Node{v}
		if v.Kind == yaml.SequenceNode {
			sources = v.Content
		}
		for _, src := range sources {
			src = e.expand(src)
			if src.Kind != yaml.MappingNode {
				e.errs = append(e.errs, lineError(src.Line, "<<: %s; expected a mapping or a list of mappings to merge (e.g. <<: *defaults)", describe(src)))
				continue
			}
			for j := 0; j+1 < len(src.Content); j += 2 {
				if key := src.Content[j].Value; !written[key] {
					written[key] = true
					e.merged[src.Content[j]] = true
					out = append(out, src.Content[j], src.Content[j+1])
				}
			}
		}
	}
	n.Content = out
}

func lineError(line int, format string, args ...any) error {
	return fmt.Errorf("line %d: "+format, append([]any{line}, args...)...)
}

func isMerge(k *yaml.Node) bool {
	return k.Kind == yaml.ScalarNode && k.Value == "<<" && (k.Tag == "!!merge" || k.Tag == "")
}
