package scenario

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

var topKeys = []string{"host", "requests"}
var requestKeys = []string{"name", "method", "path", "weight", "expect_status", "headers", "body", "timeout"}

// Load reads a scenario file (YAML, or JSON, which is YAML too) and applies target, which
// overrides the file's host when it is not empty.
func Load(path, target string) (*Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read scenario file %q: %v", path, errors.Unwrap(err))
	}
	sc, err := Parse(data, target)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return sc, nil
}

// Parse validates a scenario document. Errors name the field path, the value and what was expected.
func Parse(data []byte, target string) (*Scenario, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("not valid YAML or JSON: %v", err)
	}
	if len(doc.Content) == 0 {
		return nil, errors.New("empty document; expected a mapping with host and requests")
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: the document must be a mapping with host and requests", root.Line)
	}
	sc := &Scenario{}
	host := ""
	var requests *yaml.Node
	err := eachKey(root, "", topKeys, func(key string, v *yaml.Node) error {
		switch key {
		case "host":
			return decodeString(v, "host", &host)
		case "requests":
			requests = v
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if requests == nil || requests.Kind != yaml.SequenceNode || len(requests.Content) == 0 {
		return nil, errors.New("requests: missing or empty; expected a list of at least one request")
	}
	for i, n := range requests.Content {
		r, err := parseRequest(n, fmt.Sprintf("requests[%d]", i))
		if err != nil {
			return nil, err
		}
		sc.Requests = append(sc.Requests, r)
	}
	if target != "" {
		err = sc.SetHost(target, "--target")
	} else {
		err = sc.SetHost(host, "host")
	}
	if err != nil {
		return nil, err
	}
	return sc, nil
}

func parseRequest(n *yaml.Node, at string) (Request, error) {
	r := Request{Method: "GET", Weight: 1, Timeout: DefaultTimeout}
	if n.Kind != yaml.MappingNode {
		return r, fmt.Errorf("line %d: %s: expected a mapping with %s", n.Line, at, strings.Join(requestKeys, ", "))
	}
	err := eachKey(n, at+".", requestKeys, func(key string, v *yaml.Node) error {
		field := at + "." + key
		switch key {
		case "name":
			return decodeString(v, field, &r.Name)
		case "method":
			var m string
			if err := decodeString(v, field, &m); err != nil {
				return err
			}
			r.Method = strings.ToUpper(m)
			if !slices.Contains(Methods, r.Method) {
				return fmt.Errorf("line %d: %s: %q is not an HTTP method; expected one of %s", v.Line, field, m, strings.Join(Methods, ", "))
			}
		case "path":
			if err := decodeString(v, field, &r.Path); err != nil {
				return err
			}
			if !strings.HasPrefix(r.Path, "/") {
				return fmt.Errorf("line %d: %s: %q must start with \"/\"", v.Line, field, r.Path)
			}
		case "weight":
			w, err := strconv.Atoi(v.Value)
			if v.Kind != yaml.ScalarNode || err != nil || w <= 0 {
				return fmt.Errorf("line %d: %s: %s; expected a whole number > 0", v.Line, field, describe(v))
			}
			r.Weight = w
		case "expect_status":
			codes, err := parseStatuses(v, field)
			if err != nil {
				return err
			}
			r.ExpectStatus = codes
		case "headers":
			if v.Kind != yaml.MappingNode {
				return fmt.Errorf("line %d: %s: %s; expected a mapping of header name to value", v.Line, field, describe(v))
			}
			for i := 0; i < len(v.Content); i += 2 {
				name, value := v.Content[i].Value, v.Content[i+1]
				if value.Kind != yaml.ScalarNode {
					return fmt.Errorf("line %d: %s.%s: %s; expected a string", value.Line, field, name, describe(value))
				}
				r.Headers = append(r.Headers, Header{Name: name, Value: value.Value})
			}
		case "body":
			return decodeString(v, field, &r.Body)
		case "timeout":
			d, err := time.ParseDuration(v.Value)
			if v.Kind != yaml.ScalarNode || err != nil || d <= 0 {
				return fmt.Errorf("line %d: %s: %s; expected a positive duration such as 500ms, 5s or 1m", v.Line, field, describe(v))
			}
			r.Timeout = d
		}
		return nil
	})
	if err != nil {
		return r, err
	}
	if r.Path == "" {
		return r, fmt.Errorf("line %d: %s.path: missing; expected a path such as /", n.Line, at)
	}
	if r.Name == "" {
		r.Name = r.Path
	}
	return r, nil
}

func parseStatuses(v *yaml.Node, field string) ([]int, error) {
	items := []*yaml.Node{v}
	if v.Kind == yaml.SequenceNode {
		if len(v.Content) == 0 {
			return nil, fmt.Errorf("line %d: %s: empty list; expected a status from 100 to 599 or a list of them", v.Line, field)
		}
		items = v.Content
	}
	codes := make([]int, 0, len(items))
	for _, it := range items {
		c, err := strconv.Atoi(it.Value)
		if it.Kind != yaml.ScalarNode || err != nil || c < 100 || c > 599 {
			return nil, fmt.Errorf("line %d: %s: %s; expected a status from 100 to 599 or a list of them", it.Line, field, describe(it))
		}
		codes = append(codes, c)
	}
	return codes, nil
}

// eachKey walks a mapping, rejecting keys outside allowed and repeated keys.
func eachKey(m *yaml.Node, prefix string, allowed []string, fn func(key string, v *yaml.Node) error) error {
	seen := map[string]bool{}
	for i := 0; i < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if !slices.Contains(allowed, k.Value) {
			return fmt.Errorf("line %d: %s%s: unknown key; expected one of %s", k.Line, prefix, k.Value, strings.Join(allowed, ", "))
		}
		if seen[k.Value] {
			return fmt.Errorf("line %d: %s%s: given twice", k.Line, prefix, k.Value)
		}
		seen[k.Value] = true
		if err := fn(k.Value, v); err != nil {
			return err
		}
	}
	return nil
}

func decodeString(v *yaml.Node, field string, out *string) error {
	if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
		return fmt.Errorf("line %d: %s: %s; expected a string", v.Line, field, describe(v))
	}
	*out = v.Value
	return nil
}

// describe renders a node for error messages: its value when scalar, its kind otherwise.
func describe(v *yaml.Node) string {
	switch v.Kind {
	case yaml.ScalarNode:
		return fmt.Sprintf("got %q", v.Value)
	case yaml.SequenceNode:
		return "got a list"
	case yaml.MappingNode:
		return "got a mapping"
	}
	return "got nothing"
}
