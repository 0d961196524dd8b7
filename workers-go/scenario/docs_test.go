package scenario

import (
	"os"
	"strings"
	"testing"
)

// TestDocs_ExamplesCompile compiles the YAML examples of docs/scenario.md's checks, flow control
// and session sections, each completed into a scenario as a user would use it.
func TestDocs_ExamplesCompile(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("../../docs/scenario.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	// the first ```yaml block after a heading
	block := func(heading string) string {
		at := strings.Index(doc, "\n"+heading+"\n")
		if at < 0 {
			t.Fatalf("docs/scenario.md: no heading %q", heading)
		}
		rest := doc[at:]
		start := strings.Index(rest, "```yaml\n") + len("```yaml\n")
		return rest[start : start+strings.Index(rest[start:], "```")]
	}
	// the ```yaml block holding marker
	blockWith := func(marker string) string {
		at := strings.Index(doc, marker)
		if at < 0 {
			t.Fatalf("docs/scenario.md: no %q", marker)
		}
		start := strings.LastIndex(doc[:at], "```yaml\n") + len("```yaml\n")
		return doc[start : at+strings.Index(doc[at:], "```")]
	}
	indent := func(text, prefix string) string {
		return prefix + strings.ReplaceAll(strings.TrimRight(text, "\n"), "\n", "\n"+prefix)
	}
	const host = "host: http://127.0.0.1:9\n"
	cases := map[string]string{
		"checks": host + "on_start:\n  - {path: /i, extract: {item: {json: $.id}}}\ntasks:\n  - path: /\n" +
			indent(block("## Checks"), "    ") + "\n",
		"non-fatal checks": host + "tasks:\n  - steps:\n" + indent(block("### Non-fatal checks"), "    ") + "\n",
		"flow control":     host + block("## Flow control: loops and conditions"),
		"session":          host + block("### Every task a new visitor: session"),
		"links":            host + block("### Following links: pagination"),
		"token refresh":    host + blockWith("path: /api/refresh"),
		"html form": host + "data: {accounts: {csv: accounts.csv}}\ntasks:\n  - steps:\n" +
			indent(blockWith("path: \"{{ action | htmldecode }}\""), "    ") + "\n",
	}
	for name, scenario := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if _, err := Parse([]byte(scenario), files(t, map[string]string{"accounts.csv": "user,password\na,pw-a\n"}), ""); err != nil {
				t.Errorf("%v\n%s", err, scenario)
			}
		})
	}
}
