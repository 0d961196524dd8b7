package scenario

import (
	"fmt"
	"log"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/tidwall/gjson"
	"gopkg.in/yaml.v3"

	"locustfleet/worker/check"
	"locustfleet/worker/extract"
	"locustfleet/worker/template"
	"locustfleet/worker/user"
)

// Flow control: a step of a flow may be a block of steps, run several times or only when a
// condition holds:
//
//	- loop: {count: 3}                        # the steps 3 times
//	  steps: [...]
//	- loop: {over: ids, as: id, max: 100}     # once per element of a list a response returned
//	  steps: [...]
//	- if: {var: role, equals: admin}          # when the condition holds; else: when it does not
//	  steps: [...]
//	  else: [...]
//
// Names resolve at load time as everywhere: inside a loop its index (loop_index) and its element
// (as) are variables too; what a block extracts is visible after it (the last value set, or the
// one before the block when its steps did not run).

// DefaultLoopMax bounds the elements a loop over a list runs for when it sets no max.
const DefaultLoopMax = 100

// LoopIndex is the variable holding a loop's index (from 0) inside it.
const LoopIndex = "loop_index"

// defaultLoopItem is the variable holding the element of a loop over a list without as.
const defaultLoopItem = "loop_item"

var (
	loopKeys      = []string{"count", "over", "as", "max"}
	loopBlockKeys = []string{"loop", "steps"}
	ifBlockKeys   = []string{"if", "steps", "else"}
	ifKeys        = append([]string{"var"}, checkConditions...)
)

type (
	// blockSpec is a loop or an if as read.
	blockSpec struct {
		line      int
		count     int        // a loop of count runs; 0: a loop over a list, or an if
		over      *yaml.Node // the list's variable, for a loop over a list
		as        string
		max       int
		cond      *condSpec // an if
		steps     []*stepSpec
		otherwise []*stepSpec // else
	}
	condSpec struct {
		name  *yaml.Node // var
		check check.Check
		args  *checkList
	}

	// block is a compiled loop or if.
	block struct {
		at        string
		count     int
		overVar   string // the list is this variable of u.Vars (an extraction or an enclosing loop's)
		over      *tpl   // else the list is this template's text (a data column)
		as        string
		max       int
		cond      *check.Check
		condVar   *tpl
		condArgs  []*tpl
		steps     *flow
		otherwise *flow
		truncated sync.Once // a list longer than max is logged once
		// idleEnds: a run of the loop that sent nothing and waited for nothing leaves every
		// later run the same (its conditions name neither the loop's index, nor its element, nor
		// a value drawn anew), so the loop ends there (idleRun)
		idleEnds bool
	}
)

// isBlock reports whether a step item is a loop or an if.
func isBlock(n *yaml.Node) bool { return hasKey(n, "loop") || hasKey(n, "if") }

// parseBlock reads a loop or if step; onFailure is the flow's default for the steps inside.
func (c *compiler) parseBlock(n *yaml.Node, at, onFailure string) *stepSpec {
	b := &blockSpec{line: n.Line}
	s := &stepSpec{at: at, line: n.Line, block: b}
	keys, head := loopBlockKeys, "loop"
	if hasKey(n, "if") {
		keys, head = ifBlockKeys, "if"
		if hasKey(n, "loop") {
			c.errorf(n.Line, at, "both loop and if; expected one of them per step (put one inside the other's steps)")
			return nil
		}
	}
	ok := true
	var steps *yaml.Node
	c.eachKey(n, at+".", keys, func(key string, _, v *yaml.Node) {
		field := at + "." + key
		switch key {
		case "loop":
			ok = c.parseLoop(v, field, b) && ok
		case "if":
			b.cond = c.parseIf(v, field)
			ok = b.cond != nil && ok
		case "steps":
			steps = v
			b.steps = c.parseSteps(v, field, onFailure)
			ok = b.steps != nil && ok
		case "else":
			b.otherwise = c.parseSteps(v, field, onFailure)
			ok = b.otherwise != nil && ok
		}
	})
	if steps == nil {
		c.errorf(n.Line, at+".steps", "missing; expected the steps the %s runs, e.g. steps: [{path: /}]", head)
		return nil
	}
	if !ok || len(b.steps) == 0 {
		return nil
	}
	return s
}

func (c *compiler) parseLoop(v *yaml.Node, field string, b *blockSpec) bool {
	const want = "{count: N} or {over: VARIABLE} (with as: and max:)"
	if v.Kind != yaml.MappingNode || len(v.Content) == 0 {
		c.errorf(v.Line, field, "%s; expected %s, the steps in steps:", describe(v), want)
		return false
	}
	ok := true
	var asNode, maxNode *yaml.Node
	c.eachKey(v, field+".", loopKeys, func(key string, _, d *yaml.Node) {
		at := field + "." + key
		switch key {
		case "count":
			b.count = c.count(d, at, "runs of the steps")
			ok = ok && b.count > 0
		case "over":
			var name string
			if !c.check(decodeString(d, at, &name)) {
				ok = false
				return
			}
			b.over = d
		case "as":
			asNode = d
			if !c.check(decodeString(d, at, &b.as)) {
				ok = false
				return
			}
			if !identifier.MatchString(b.as) || builtin(b.as) || b.as == LoopIndex {
				c.errorf(d.Line, at, "%s; expected a variable name (letters, digits and _, not starting with a digit; not a built-in or %s)", describe(d), LoopIndex)
				ok = false
			}
		case "max":
			maxNode = d
			b.max = c.count(d, at, "elements the loop runs for")
			ok = ok && b.max > 0
		}
	})
	switch {
	case b.count > 0 && b.over != nil:
		c.errorf(v.Line, field, "both count and over; expected one of them")
		return false
	case b.count == 0 && b.over == nil:
		if ok {
			c.errorf(v.Line, field, "no count or over; expected %s", want)
		}
		return false
	case b.count > 0 && asNode != nil:
		c.errorf(asNode.Line, field+".as", "given with count; expected as only with over (a loop of count has %s only)", LoopIndex)
		return false
	case b.count > 0 && maxNode != nil:
		c.errorf(maxNode.Line, field+".max", "given with count; expected max only with over (count is the number of runs)")
		return false
	}
	if b.over != nil {
		if b.as == "" {
			b.as = defaultLoopItem
		}
		if b.max == 0 {
			b.max = DefaultLoopMax
		}
	}
	return ok
}

func (c *compiler) parseIf(v *yaml.Node, field string) *condSpec {
	if v.Kind != yaml.MappingNode || !hasKey(v, "var") {
		c.errorf(v.Line, field, "%s; expected a condition on a variable such as {var: token} (set), {var: role, equals: admin} or {var: n, gt: 0}", describe(v))
		return nil
	}
	cond := &condSpec{args: &checkList{}}
	var preds []check.Pred
	ok := true
	var name string
	c.eachKey(v, field+".", ifKeys, func(key string, _, d *yaml.Node) {
		at := field + "." + key
		if key == "var" {
			ok = c.check(decodeString(d, at, &name)) && ok
			cond.name = d
			return
		}
		p, pok := c.condition(key, d, at, cond.args)
		ok = ok && pok
		if pok && p != nil {
			preds = append(preds, *p)
		}
	})
	if !ok {
		return nil
	}
	ch, err := check.Value("var "+name, preds...)
	if err != nil {
		c.errorf(v.Line, field, "%v", err)
		return nil
	}
	cond.check = ch
	return cond
}

// eachSpec calls fn with every step of specs, those inside blocks too.
func eachSpec(specs []*stepSpec, fn func(*stepSpec)) {
	for _, s := range specs {
		fn(s)
		if s.block != nil {
			eachSpec(s.block.steps, fn)
			eachSpec(s.block.otherwise, fn)
		}
	}
}

// flatten is specs with the steps inside their blocks.
func flatten(specs []*stepSpec) []*stepSpec {
	var out []*stepSpec
	eachSpec(specs, func(s *stepSpec) { out = append(out, s) })
	return out
}

// blockStep compiles a block; avail is what is extracted before it, to which it adds what it
// extracts. The loop's own variables are visible inside it only.
func (c *compiler) blockStep(p *program, spec *stepSpec, avail *[]string) *step {
	b := spec.block
	s := &step{index: len(p.steps), name: spec.at}
	p.steps = append(p.steps, s)
	blk := &block{at: spec.at, count: b.count, as: b.as, max: b.max}
	s.block = blk
	resolve := func(name string) (lookup, error) { return c.resolve(name, *avail) }

	inner := slices.Clone(*avail)
	switch {
	case b.cond != nil:
		blk.condVar = c.variable(b.cond.name, spec.at+".if.var", resolve)
		for _, a := range b.cond.args.args {
			var tb template.Builder[*user.User]
			c.template(&tb, a.node, a.field, resolve, nil, false)
			blk.condArgs = append(blk.condArgs, tb.Template())
		}
		blk.cond = &b.cond.check
	case b.over != nil:
		if slices.Contains(*avail, b.over.Value) {
			blk.overVar = b.over.Value
		} else {
			blk.over = c.variable(b.over, spec.at+".loop.over", resolve)
		}
		if at, ok := c.extractedAt[b.as]; ok {
			c.errorf(b.line, spec.at+".loop.as", "%q is also extracted by %s; expected another name for the loop's element", b.as, at)
		} else if slices.Contains(*avail, b.as) {
			c.errorf(b.line, spec.at+".loop.as", "%q is the element of an enclosing loop; expected another name", b.as)
		}
		inner = append(inner, b.as)
		if c.loopItems == nil {
			c.loopItems = map[string]string{}
		}
		c.loopItems[b.as] = spec.at
	}
	if b.cond == nil {
		if at, ok := c.extractedAt[LoopIndex]; ok {
			c.errorf(b.line, spec.at+".loop", "%s is extracted by %s, but a loop's index has that name; expected another name for that extraction", LoopIndex, at)
		}
		if !slices.Contains(inner, LoopIndex) {
			inner = append(inner, LoopIndex)
		}
	}
	blk.steps = c.flow(p, b.steps, &inner)
	blk.idleEnds = b.cond == nil && !runsVary(b.steps, b.as)
	if b.otherwise != nil {
		other := slices.Clone(*avail)
		blk.otherwise = c.flow(p, b.otherwise, &other)
	}
	eachSpec(append(slices.Clone(b.steps), b.otherwise...), func(in *stepSpec) {
		for _, x := range in.extracts {
			if !slices.Contains(*avail, x.name) {
				*avail = append(*avail, x.name)
			}
		}
	})
	return s
}

// outOfLoop explains a loop's variable used outside its loop.
func (c *compiler) outOfLoop(name string) error {
	if name == LoopIndex {
		return fmt.Errorf("{{ %s }} is outside a loop; expected it inside a loop's steps only (the index of the innermost loop)", name)
	}
	if at, ok := c.loopItems[name]; ok {
		return fmt.Errorf("{{ %s }} is the element of the loop at %s; expected it inside that loop's steps only", name, at)
	}
	return nil
}

// variable compiles "{{ name }}" for the variable named by node.
func (c *compiler) variable(node *yaml.Node, field string, resolve func(string) (lookup, error)) *tpl {
	var b template.Builder[*user.User]
	if strings.Contains(node.Value, "{{") { // reported as "{{ {{ ids }} is not defined"
		c.errorf(node.Line, field, "got %q, a template; expected the variable's name alone%s", node.Value, firstVariable(node.Value))
		return b.Template()
	}
	if err := b.Parse("{{ "+node.Value+" }}", resolve, nil); err != nil {
		c.errorf(node.Line, field, "%v", err)
	}
	return b.Template()
}

// firstVariable is ", e.g. NAME" for the first variable of template text (its filters left out),
// as the template parser reads it, or why the parser cannot read the text.
func firstVariable(text string) string {
	parts, err := template.Parse(text)
	if err != nil {
		return fmt.Sprintf(" (%v)", err)
	}
	for _, p := range parts {
		if p.Var {
			name, _ := splitFilters(p.Text)
			return ", e.g. " + name
		}
	}
	return ""
}

// runBlock runs a loop or an if; it returns as run does.
func (p *program) runBlock(b *block, u *user.User) (failed *step, reason string, stopped bool) {
	st := p.state(u)
	if b.cond != nil {
		st.text = b.condVar.Append(st.text[:0], u)
		in := &st.in
		in.Reset()
		in.Text = st.text
		for len(st.args) < len(b.condArgs) {
			st.args = append(st.args, nil)
		}
		for i, t := range b.condArgs {
			st.args[i] = t.Append(st.args[i][:0], u)
		}
		in.Args = st.args[:len(b.condArgs)]
		switch {
		case b.cond.Passes(in):
			return p.run(b.steps, u)
		case b.otherwise != nil:
			return p.run(b.otherwise, u)
		}
		return nil, "", false
	}

	if u.Vars == nil {
		u.Vars = map[string]string{}
	}
	outer, nested := u.Vars[LoopIndex]
	defer func() {
		if nested {
			u.Vars[LoopIndex] = outer
		} else {
			delete(u.Vars, LoopIndex)
		}
	}()
	if b.count > 0 {
		for i := range b.count {
			if stopping(u) {
				return nil, "", true
			}
			u.Vars[LoopIndex] = strconv.Itoa(i)
			acted := st.acted
			if failed, reason, stopped = p.run(b.steps, u); failed != nil || stopped {
				return failed, reason, stopped
			}
			if st.acted == acted && idleRun(b) {
				return nil, "", false
			}
		}
		return nil, "", false
	}

	list := u.Vars[b.overVar]
	if b.over != nil {
		st.text = b.over.Append(st.text[:0], u)
		list = string(st.text)
	}
	defer delete(u.Vars, b.as)
	elems := gjson.Parse(list)
	if !elems.IsArray() { // nothing to loop over: no list (an extraction that failed), or not a list
		return nil, "", false
	}
	n := 0
	elems.ForEach(func(_, elem gjson.Result) bool {
		if n == b.max {
			b.truncated.Do(func() {
				log.Printf("scenario: %s: the list has more than %d elements; the loop runs for the first %d (loop.max; logged once)", b.at, b.max, b.max)
			})
			return false
		}
		if stopped = stopping(u); stopped {
			return false
		}
		u.Vars[b.as] = extract.Text(elem)
		u.Vars[LoopIndex] = strconv.Itoa(n)
		n++
		acted := st.acted
		failed, reason, stopped = p.run(b.steps, u)
		return failed == nil && !stopped && !(st.acted == acted && idleRun(b))
	})
	return failed, reason, stopped
}

// A loop whose run sends no request and waits for nothing (its if blocks do not hold) costs a
// fraction of a microsecond a run: loop: {count: 1000000000} kept a core busy for minutes, and the
// users sharing it waited for their answers to be read (a longer response time than the target's).

// idleRun is what a loop does after a run that sent nothing and waited for nothing: it reports
// that the loop ends, when every later run would be the same (idleEnds); otherwise the run's
// goroutine lets the others ready to run go first (a condition on loop_index may hold later).
func idleRun(b *block) (ends bool) {
	if b.idleEnds {
		return true
	}
	runtime.Gosched()
	return false
}

// runsVary reports whether the conditions of a loop's steps (its if blocks and the lists of its
// inner loops) name a value that changes from one run to the next by itself: a loop's index,
// the loop's element as, or a built-in drawn anew (random, uuid, the clock).
func runsVary(steps []*stepSpec, as string) bool {
	varies := false
	eachSpec(steps, func(s *stepSpec) {
		b := s.block
		if b == nil {
			return
		}
		var texts []string
		if b.cond != nil {
			texts = append(texts, "{{ "+b.cond.name.Value+" }}")
			for _, a := range b.cond.args.args {
				texts = append(texts, a.node.Value)
			}
		}
		if b.over != nil {
			texts = append(texts, "{{ "+b.over.Value+" }}")
		}
		for _, text := range texts {
			parts, _ := template.Parse(text)
			for _, p := range parts {
				name, _ := splitFilters(p.Text)
				varies = varies || p.Var && (name == LoopIndex || name == as || drawnAnew(name))
			}
		}
	})
	return varies
}

// drawnAnew reports whether a built-in gives another value each time it is used.
func drawnAnew(name string) bool {
	return name == "uuid" || strings.HasPrefix(name, "random") || slices.Contains(clockNames, name)
}

// stopping reports whether u is being stopped, checked before each run of a loop: a loop of
// count: 1000000 went on sending after the test was stopped, and the stop waited for it.
func stopping(u *user.User) bool { return u.Context().Err() != nil }
