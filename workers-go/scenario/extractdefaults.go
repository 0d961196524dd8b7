package scenario

import "gopkg.in/yaml.v3"

// An extraction may say what its variable holds when the response has no such value:
// {json: $.next, default: ""}. It then never fails its request, so that a step can take an
// answer that may lack it (the last page without "next", a 401 with a WWW-Authenticate header
// that a 200 lacks) and an if: block can act on it, as Gatling's withDefault and JMeter's
// "Default Value" do.

// extractDefault takes default: TEXT out of an extraction's mapping: the rest is read as an
// extraction without it. def is nil when none is given.
func (c *compiler) extractDefault(e *yaml.Node, at string) (rest *yaml.Node, def *string) {
	if e.Kind != yaml.MappingNode {
		return e, nil
	}
	for i := 0; i+1 < len(e.Content); i += 2 {
		if e.Content[i].Value != "default" {
			continue
		}
		v := e.Content[i+1]
		text := v.Value
		switch {
		case v.Tag == "!!null":
			text = "" // default: with nothing after it
		case v.Kind != yaml.ScalarNode:
			c.errorf(v.Line, at+".default", "%s; expected a text: the variable's value when the response has none (e.g. default: \"\")", describe(v))
		}
		without := *e
		without.Content = append(append([]*yaml.Node{}, e.Content[:i]...), e.Content[i+2:]...)
		return &without, &text
	}
	return e, nil
}
