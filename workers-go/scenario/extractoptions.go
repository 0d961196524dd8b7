package scenario

import (
	"gopkg.in/yaml.v3"

	"locustfleet/worker/extract"
)

// An extraction takes options beside its kind:
//
//   - default: TEXT, what its variable holds when the response has no such value (or a JSON null):
//     {json: $.next, default: ""}. It then never fails its request, so that a step can take an
//     answer that may lack it (the last page without "next", a 401 with a WWW-Authenticate
//     header that a 200 lacks) and an if: block can act on it, as Gatling's withDefault and
//     JMeter's "Default Value" do.
//   - regex: RE beside header: or cookie:, the group of RE in that value: the next page's URL in
//     a Link header, {header: Link, regex: '<([^>]+)>; *rel="next"'}, as Gatling's headerRegex.

type extractOpts struct {
	def   *string    // nil: no default
	match *yaml.Node // the regex narrowing a header or a cookie
}

// extractOptions takes the options out of an extraction's mapping: the rest is read as an
// extraction of one kind.
func (c *compiler) extractOptions(e *yaml.Node, at string) (rest *yaml.Node, opts extractOpts) {
	if e.Kind != yaml.MappingNode {
		return e, opts
	}
	valueKind := false
	for i := 0; i+1 < len(e.Content); i += 2 {
		valueKind = valueKind || e.Content[i].Value == "header" || e.Content[i].Value == "cookie"
	}
	without := *e
	without.Content = nil
	for i := 0; i+1 < len(e.Content); i += 2 {
		k, v := e.Content[i], e.Content[i+1]
		switch {
		case k.Value == "default":
			text := v.Value
			switch {
			case v.Tag == "!!null":
				text = "" // default: with nothing after it
			case v.Kind != yaml.ScalarNode:
				c.errorf(v.Line, at+".default", "%s; expected a text: the variable's value when the response has none (e.g. default: \"\")", describe(v))
			}
			opts.def = &text
		case k.Value == "regex" && valueKind:
			opts.match = v
		default:
			without.Content = append(without.Content, k, v)
		}
	}
	return &without, opts
}

// refine applies the options that change the extractor (a regex on a header's or a cookie's
// value); ok is false when one is wrong (reported).
func (c *compiler) refine(ex extract.Extractor, opts extractOpts, at string) (extract.Extractor, bool) {
	if opts.match == nil {
		return ex, true
	}
	var expr string
	if !c.check(decodeString(opts.match, at+".regex", &expr)) {
		return ex, false
	}
	narrowed, err := ex.Matching(expr)
	if err != nil {
		c.errorf(opts.match.Line, at+".regex", "%v", err)
		return ex, false
	}
	return narrowed, true
}
