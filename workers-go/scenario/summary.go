package scenario

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"locustfleet/worker/data"
	"locustfleet/worker/urlesc"
	"locustfleet/worker/user"
)

// Describe loads a scenario as Load does and also returns a short summary of what it holds, for
// `worker --check`: the host, the model, the data files, the tasks and their steps, the request
// rows Locust will show, the checks.
func Describe(path, target string) (*user.Class, string, error) {
	class, err := Load(path, target)
	if err != nil {
		return nil, "", err
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, "", err
	}
	p, host, _, err := parse(raw, filepath.Dir(path), target)
	if err != nil {
		return nil, "", err
	}
	var root yaml.Node
	_ = yaml.Unmarshal(raw, &root)
	top := map[string]*yaml.Node{}
	if len(root.Content) > 0 {
		for i := 0; i+1 < len(root.Content[0].Content); i += 2 {
			top[root.Content[0].Content[i].Value] = root.Content[0].Content[i+1]
		}
	}
	return class, p.summary(path, host, target != "", top), nil
}

func (p *program) summary(path, host string, fromTarget bool, top map[string]*yaml.Node) string {
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	line("%s: OK", path)
	if fromTarget {
		host += " (--target)"
	}
	line("  host: %s", urlesc.Redact(host)) // printed on terminals and in CI logs
	switch {
	case p.arrival != nil:
		line("  model: open, arrival %s", flowYAML(top["arrival"]))
	case top["wait"] != nil:
		line("  model: closed, wait %s", flowYAML(top["wait"]))
	default:
		line("  model: closed, no wait")
	}
	for _, s := range p.sources {
		mode := map[data.Mode]string{data.Cycle: "cycle", data.Unique: "unique", data.Random: "random"}[s.mode]
		line("  data: %s (%s: %d rows; columns %s; mode %s)", s.name, s.table.File, len(s.table.Rows),
			strings.Join(s.table.Columns, ", "), mode)
	}
	if p.onStart != nil {
		line("  on_start: %s", describeFlow(p.onStart))
	}
	line("  tasks: %d", len(p.tasks))
	for _, t := range p.tasks {
		line("    %s: weight %d, %s", t.name, t.weight, describeFlow(t.flow))
	}
	if p.on401 != nil {
		line("  on_401: %s, then the request again", describeFlow(p.on401))
	}
	if p.onStop != nil {
		line("  on_stop: %s", describeFlow(p.onStop))
	}
	var rows []string
	fatal, soft := 0, 0
	for _, s := range p.steps {
		if s.isThink() || s.block != nil {
			continue
		}
		if row := s.method + " " + s.name; !slices.Contains(rows, row) {
			rows = append(rows, row)
		}
		if s.checks != nil {
			fatal, soft = fatal+len(s.checks.fatal), soft+len(s.checks.soft)
		}
	}
	line("  requests (Locust's rows): %s", strings.Join(rows, ", "))
	line("  checks: %d fatal, %d non-fatal", fatal, soft)
	return b.String()
}

// describeFlow counts a flow's steps: "3 steps (2 requests, 1 think)", "1 request".
func describeFlow(f *flow) string {
	var requests, thinks, loops, ifs int
	var count func(f *flow)
	count = func(f *flow) {
		for _, s := range f.steps {
			switch {
			case s.block != nil && s.block.cond != nil:
				ifs++
				count(s.block.steps)
				if s.block.otherwise != nil {
					count(s.block.otherwise)
				}
			case s.block != nil:
				loops++
				count(s.block.steps)
			case s.isThink():
				thinks++
			default:
				requests++
			}
		}
	}
	count(f)
	if len(f.steps) == 1 && requests == 1 {
		return "1 request"
	}
	var parts []string
	for _, n := range []struct {
		n    int
		what string
	}{{requests, "request"}, {thinks, "think"}, {loops, "loop"}, {ifs, "if"}} {
		switch {
		case n.n == 1:
			parts = append(parts, "1 "+n.what)
		case n.n > 1:
			parts = append(parts, fmt.Sprintf("%d %ss", n.n, n.what))
		}
	}
	steps := "steps"
	if len(f.steps) == 1 {
		steps = "step"
	}
	return fmt.Sprintf("%d %s (%s)", len(f.steps), steps, strings.Join(parts, ", "))
}

// flowYAML is a node in YAML's flow style on one line, without comments: {between: [100ms, 300ms]}.
func flowYAML(n *yaml.Node) string {
	if n == nil {
		return ""
	}
	out, err := yaml.Marshal(bare(n))
	if err != nil {
		return describe(n)
	}
	return strings.TrimSpace(string(out))
}

// bare is a copy of n in flow style without comments.
func bare(n *yaml.Node) *yaml.Node {
	c := &yaml.Node{Kind: n.Kind, Tag: n.Tag, Value: n.Value, Style: n.Style | yaml.FlowStyle}
	for _, child := range n.Content {
		c.Content = append(c.Content, bare(child))
	}
	return c
}
