package scenario

import (
	"fmt"
	"regexp"
	"strconv"
)

// yaml.v3 reports the line of a scanner error from 1 but the line of a parser error from 0 (the
// line where the enclosing mapping or list starts, else of the problem): a flow mapping with an
// unquoted "$.a[0]" on line 18 was reported on line 17. These are its parser's messages (its
// scanner's are other words).
var yamlParserProblems = map[string]string{
	"did not find expected <stream-start>":   "",
	"did not find expected <document start>": "",
	"found undefined tag handle":             "",
	"did not find expected node content":     "",
	"did not find expected '-' indicator":    "; expected the items of a list indented alike, each starting with \"- \"",
	"did not find expected key":              "; expected the keys of a mapping indented alike",
	"did not find expected ',' or ']'":       "; expected a [ ] list closed with ], and values in it holding [ ] { } , or # quoted (e.g. \"$.items[0].id\")",
	"did not find expected ',' or '}'":       "; expected a { } mapping closed with }, and values in it holding [ ] { } , or # quoted (e.g. \"$.items[0].id\")",
	"found duplicate %YAML directive":        "",
	"found incompatible YAML document":       "",
	"found duplicate %TAG directive":         "",
}

var yamlErrorLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// yamlSyntaxError is err (of yaml.Unmarshal) with a parser error's line counted from 1, as
// every other line of a scenario's errors is, and what the usual causes are.
func yamlSyntaxError(err error) error {
	m := yamlErrorLine.FindStringSubmatch(err.Error())
	if m == nil {
		return fmt.Errorf("not valid YAML or JSON: %v", err)
	}
	line, _ := strconv.Atoi(m[1])
	hint, parser := yamlParserProblems[m[2]]
	if parser {
		line++
	}
	return fmt.Errorf("not valid YAML or JSON: line %d: %s%s", line, m[2], hint)
}
