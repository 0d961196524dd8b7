package scenario

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"locustfleet/worker/data"
	"locustfleet/worker/extract"
	"locustfleet/worker/template"
	"locustfleet/worker/user"
)

type (
	lookup = template.Lookup[*user.User]
	tpl    = template.Template[*user.User]
)

// compiler gathers a scenario's mistakes (all of them, not only the first) while it turns the
// YAML into specs and the specs into a program.
type compiler struct {
	requestConfig
	dir         string
	base        string          // the scenario's base URL (host: or --target): the origin of links (links.go)
	linkVars    map[string]bool // variables a step's path is alone: links (links.go)
	linkLists   map[string]bool // variables a loop goes over whose element is a link (links.go)
	errs        []error
	sources     []*source
	byName      map[string]int    // data name -> index in sources
	failed      map[string]bool   // data names whose file did not load: references are not reported again
	extractedAt map[string]string // variable -> the first step that extracts it
	lists       map[string]string // variable -> the [*] path every extraction of it takes: always a list
	fleet       bool              // a template uses user_id

	loopItems    map[string]string // a loop's element variable -> the loop (visible inside it only)
	visitorsLine int               // the line of arrival.session: task; 0: a session per user

	binaries     []binaryValue       // the document's !!binary values (binary.go)
	binariesDone map[*yaml.Node]bool // those sent as bytes or refused with their own reason
}

type source struct {
	name  string
	table *data.Table
	mode  data.Mode
}

// The specs are the scenario as read, before templates are compiled; compiling needs to know
// every variable any step extracts.
type (
	pair struct {
		name  string
		value *yaml.Node
	}
	extractSpec struct {
		name string
		ex   extract.Extractor
		def  *string // default: the value when the response has none (extractoptions.go)
	}
	stepSpec struct {
		at        string
		line      int
		think     time.Duration
		thinkFrom *yaml.Node // think: a template ("{{ retry_after }}"), rendered when it runs
		name      string
		method    string
		path      *yaml.Node
		query     []pair
		headers   []pair
		body      *yaml.Node
		json      *yaml.Node
		timeout   time.Duration
		expect    []int
		extracts  []extractSpec
		checks    *checkList
		cont      bool // on_failure: continue
		// follow_redirects: false; true cannot undo the scenario's http.follow_redirects: false
		noRedirects bool
		literal     bool // the single-request list: strings are sent as written, not templates

		block *blockSpec // a loop or an if: the step is its steps
		requestParts
	}
	taskSpec struct {
		at, name string
		weight   int
		steps    []*stepSpec
	}
)

var errReported = errors.New("reported already")

func (c *compiler) errorf(line int, field, format string, args ...any) {
	c.errs = append(c.errs, fmt.Errorf("line %d: %s: %s", line, field, fmt.Sprintf(format, args...)))
}

// check records err, if any, and reports whether there was none.
func (c *compiler) check(err error) bool {
	if err != nil {
		c.errs = append(c.errs, err)
		return false
	}
	return true
}

// err is every mistake, one a line, in the order of the lines they are on.
func (c *compiler) err() error {
	if len(c.errs) == 0 {
		return nil
	}
	lineOf := func(e error) int {
		var n int
		fmt.Sscanf(e.Error(), "line %d:", &n)
		return n
	}
	sort.SliceStable(c.errs, func(i, j int) bool { return lineOf(c.errs[i]) < lineOf(c.errs[j]) })
	texts := make([]string, len(c.errs))
	for i, e := range c.errs {
		texts[i] = e.Error()
	}
	return errors.New(strings.Join(texts, "\n"))
}

// compile turns specs into a program. Variables extracted by on_start are available to every
// task and on_stop; within a flow, a step sees what earlier steps extracted.
func (c *compiler) compile(onStart []*stepSpec, tasks []*taskSpec, onStop, on401 []*stepSpec) *program {
	c.extractedAt = map[string]string{}
	all := slices.Concat(onStart, onStop, on401)
	for _, t := range tasks {
		all = append(all, t.steps...)
	}
	c.lists = map[string]string{}
	notList := map[string]bool{}
	for _, s := range flatten(all) {
		for _, x := range s.extracts {
			if _, ok := c.extractedAt[x.name]; !ok {
				c.extractedAt[x.name] = s.at
			}
			if x.ex.List() && !notList[x.name] {
				c.lists[x.name] = x.ex.String() + " at " + s.at
			} else {
				notList[x.name] = true
				delete(c.lists, x.name)
			}
		}
	}
	c.noteLinkLists(all)
	p := &program{sources: c.sources}
	var started []string
	if onStart != nil {
		p.onStart = c.flow(p, onStart, &started)
	}
	firstTaskStep := len(p.steps)
	for _, t := range tasks {
		avail := slices.Clone(started)
		p.tasks = append(p.tasks, task{name: t.name, weight: t.weight, flow: c.flow(p, t.steps, &avail)})
	}
	if onStop != nil {
		avail := slices.Clone(started)
		p.onStop = c.flow(p, onStop, &avail)
	}
	if on401 != nil {
		c.compileOn401(p, on401, started, firstTaskStep)
	}
	p.fleet = c.fleet
	p.perTask = c.visitorsLine > 0
	c.checkVisitors()
	for _, s := range c.sources {
		if s.mode == data.Unique {
			p.fleet = true
		}
	}
	return p
}

func (c *compiler) flow(p *program, specs []*stepSpec, avail *[]string) *flow {
	f := &flow{}
	for _, spec := range specs {
		if spec.block != nil {
			f.steps = append(f.steps, c.blockStep(p, spec, avail))
			continue
		}
		f.steps = append(f.steps, c.step(p, spec, *avail))
		for _, x := range spec.extracts {
			if !slices.Contains(*avail, x.name) {
				*avail = append(*avail, x.name)
			}
		}
	}
	return f
}

func (c *compiler) step(p *program, spec *stepSpec, avail []string) *step {
	s := &step{index: len(p.steps), think: spec.think, method: spec.method, name: spec.name,
		timeout: spec.timeout, expect: spec.expect, cont: spec.cont,
		noRedirects: spec.noRedirects}
	p.steps = append(p.steps, s)
	if spec.think > 0 {
		return s
	}
	resolve := func(name string) (lookup, error) { return c.resolve(name, avail) }
	if spec.thinkFrom != nil {
		var b template.Builder[*user.User]
		c.template(&b, spec.thinkFrom, spec.at+".think", resolve, nil, false)
		s.thinkFrom, s.thinkAt = b.Template(), spec.at+".think"
		return s
	}

	s.path = c.urlTemplate(spec, resolve)
	headers, noAcceptEncoding := c.stepHeaders(spec, avail, resolve, bodyType(spec))
	s.setHeaders(headers)
	s.noAcceptEncoding = noAcceptEncoding

	var body template.Builder[*user.User]
	switch {
	case isBinary(spec.body):
		if raw, ok := c.binaryBytes(spec.body, spec.at+".body"); ok {
			body.Literal(string(raw)) // bytes, sent as they are: not a template
		}
		s.setBody(body.Template())
	case spec.body != nil:
		c.template(&body, spec.body, spec.at+".body", resolve, nil, spec.literal)
		s.setBody(body.Template())
	case spec.json != nil:
		c.jsonTemplate(&body, spec.json, spec.at+".json", resolve)
		s.setBody(body.Template())
	case c.partsBody(&body, spec, resolve):
		s.setBody(body.Template())
	}
	for _, x := range spec.extracts {
		s.extracts = append(s.extracts, extraction{name: x.name, prefix: "extract " + x.name + ": ", ex: x.ex,
			link: c.linkVars[x.name], links: c.linkLists[x.name], def: x.def})
	}
	s.checks = c.compileChecks(p, spec, resolve)
	return s
}

// template adds the template in node to b, reporting its mistakes under field. esc escapes
// literals and values alike; literal sends the text as written.
func (c *compiler) template(b *template.Builder[*user.User], node *yaml.Node, field string,
	resolve func(string) (lookup, error), esc func(dst, raw []byte) []byte, literal bool) {
	if literal {
		if esc != nil {
			b.Literal(string(esc(nil, []byte(node.Value))))
		} else {
			b.Literal(node.Value)
		}
		return
	}
	err := b.Parse(node.Value, resolve, esc)
	if err == nil {
		return
	}
	var joined interface{ Unwrap() []error }
	if !errors.As(err, &joined) {
		c.errorf(node.Line, field, "%q: %v", node.Value, err)
		return
	}
	for _, e := range joined.Unwrap() {
		if e != errReported {
			c.errorf(node.Line, field, "%v", e)
		}
	}
}

// jsonTemplate adds the JSON encoding of a YAML value to b: every string is a template
// (rendered, then escaped), numbers, booleans and null keep their type.
func (c *compiler) jsonTemplate(b *template.Builder[*user.User], n *yaml.Node, field string, resolve func(string) (lookup, error)) {
	switch n.Kind {
	case yaml.AliasNode:
		c.jsonTemplate(b, n.Alias, field, resolve)
	case yaml.MappingNode:
		b.Literal("{")
		seen := map[string]bool{}
		for i := 0; i < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind == yaml.AliasNode {
				k = k.Alias
			}
			if k.Kind != yaml.ScalarNode {
				// YAML allows a list or a mapping as a key ("? [1, 2]"); it was sent as "".
				c.errorf(k.Line, field, "a key that is %s; expected text: a JSON object's keys are strings", strings.TrimPrefix(describe(k), "got "))
				continue
			}
			if seen[k.Value] {
				// Both were sent, and servers keep the first or the last as they please.
				c.errorf(k.Line, field+"."+k.Value, "given twice; expected each key of a JSON object once")
			}
			seen[k.Value] = true
			if i > 0 {
				b.Literal(",")
			}
			key, _ := json.Marshal(k.Value)
			b.Literal(string(key) + ":")
			c.jsonTemplate(b, n.Content[i+1], field+"."+k.Value, resolve)
		}
		b.Literal("}")
	case yaml.SequenceNode:
		b.Literal("[")
		for i, item := range n.Content {
			if i > 0 {
				b.Literal(",")
			}
			c.jsonTemplate(b, item, fmt.Sprintf("%s[%d]", field, i), resolve)
		}
		b.Literal("]")
	default:
		if text, isNumber, err := jsonNumberText(n, "to send the text"); isNumber {
			if err != nil {
				c.errorf(n.Line, field, "%v", err)
				return
			}
			b.Literal(text)
			return
		}
		switch n.Tag {
		case binaryTag:
			c.refuseBinary(n, field, jsonBinary)
		case "!!bool", "!!null":
			var v any
			_ = n.Decode(&v)
			text, _ := json.Marshal(v) // true, false or null, however YAML spelled it (True, ~)
			b.Literal(string(text))
		default:
			if c.typedJSON(b, n, field, resolve) {
				return
			}
			b.Literal(`"`)
			c.template(b, n, field, resolve, template.AppendJSONString, false)
			b.Literal(`"`)
		}
	}
}

var randomCall = regexp.MustCompile(`^random\(\s*(-?\d+)\s*,\s*(-?\d+)\s*\)$`)

// builtin reports whether name is a built-in variable (which no extraction may shadow).
func builtin(name string) bool {
	return name == "user_id" || name == "iteration" || name == "uuid" || name == "random" || slices.Contains(clockNames, name)
}

// resolve turns a variable name into how it is looked up; avail is what has been extracted
// before the step.
func (c *compiler) resolve(name string, avail []string) (lookup, error) {
	if fn, ok, err := c.function(name, avail); ok {
		return fn, err
	}
	switch name {
	case "user_id":
		c.fleet = true
		return userID, nil
	case "iteration":
		return iteration, nil
	case "uuid":
		return newUUID, nil
	}
	if strings.HasPrefix(name, "random(") {
		return randomInt(name)
	}
	if src, col, ok := strings.Cut(name, "."); ok {
		if c.failed[src] {
			return nil, errReported
		}
		if i, ok := c.byName[src]; ok {
			return c.column(name, i, col)
		}
	}
	if slices.Contains(avail, name) {
		return extracted(name), nil
	}
	if at, ok := c.extractedAt[name]; ok {
		return nil, fmt.Errorf("{{ %s }} is not extracted before this step (%s extracts it); expected it extracted in on_start or in an earlier step of this flow", name, at)
	}
	if err := c.outOfLoop(name); err != nil {
		return nil, err
	}
	var kinds []string
	if len(avail) > 0 {
		kinds = append(kinds, "an extracted value ("+strings.Join(avail, ", ")+")")
	}
	var cols []string
	for _, s := range c.sources {
		for _, col := range s.table.Columns {
			cols = append(cols, s.name+"."+col)
		}
	}
	if len(cols) > 0 {
		kinds = append(kinds, "a data column ("+strings.Join(cols, ", ")+")")
	}
	kinds = append(kinds, "a built-in ("+builtinNames+")")
	expected := kinds[len(kinds)-1]
	if len(kinds) > 1 {
		expected = strings.Join(kinds[:len(kinds)-1], ", ") + " or " + expected
	}
	return nil, fmt.Errorf("{{ %s }} is not defined; expected %s", name, expected)
}

func (c *compiler) column(name string, src int, col string) (lookup, error) {
	t := c.sources[src].table
	ci := t.Column(col)
	if ci < 0 {
		return nil, fmt.Errorf("{{ %s }}: %s has no column %q; expected one of %s", name, t.File, col, strings.Join(t.Columns, ", "))
	}
	return func(u *user.User, dst []byte) []byte {
		return append(dst, t.Rows[u.State.(*userState).rows[src]][ci]...)
	}, nil
}

func randomInt(name string) (lookup, error) {
	m := randomCall.FindStringSubmatch(name)
	if m == nil {
		return nil, fmt.Errorf("{{ %s }} is not a valid random call; expected random(a, b) with whole numbers a <= b, e.g. random(1, 100)", name)
	}
	lo, err1 := strconv.ParseInt(m[1], 10, 64)
	hi, err2 := strconv.ParseInt(m[2], 10, 64)
	switch {
	case err1 != nil || err2 != nil:
		return nil, fmt.Errorf("{{ %s }}: a bound beyond 64 bits; expected random(a, b) with whole numbers from %d to %d", name, int64(math.MinInt64), int64(math.MaxInt64))
	case lo > hi:
		return nil, fmt.Errorf("{{ %s }}: bounds out of order; expected random(a, b) with whole numbers a <= b, e.g. random(1, 100)", name)
	}
	// The span is counted in uint64, so that any a <= b works: random(0, 9223372036854775807)
	// was refused, its span (b - a + 1) beyond an int64. The whole int64 range wraps to 0.
	span := uint64(hi) - uint64(lo) + 1
	return func(u *user.User, dst []byte) []byte {
		var r uint64
		if span == 0 {
			r = u.Rand.Uint64()
		} else {
			r = u.Rand.Uint64N(span)
		}
		return strconv.AppendInt(dst, int64(uint64(lo)+r), 10)
	}, nil
}

func extracted(name string) lookup {
	return func(u *user.User, dst []byte) []byte { return append(dst, u.Vars[name]...) }
}

func userID(u *user.User, dst []byte) []byte { return strconv.AppendInt(dst, u.Number, 10) }

func iteration(u *user.User, dst []byte) []byte { return strconv.AppendInt(dst, u.Iteration, 10) }

// newUUID appends a random (version 4) UUID drawn from the user's random source.
func newUUID(u *user.User, dst []byte) []byte {
	const hex = "0123456789abcdef"
	var b [16]byte
	a, z := u.Rand.Uint64(), u.Rand.Uint64()
	for i := range 8 {
		b[i], b[8+i] = byte(a>>(8*i)), byte(z>>(8*i))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	for i, c := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			dst = append(dst, '-')
		}
		dst = append(dst, hex[c>>4], hex[c&0xf])
	}
	return dst
}
