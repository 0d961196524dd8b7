package scenario

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"locustfleet/worker/check"
	"locustfleet/worker/checkstats"
	"locustfleet/worker/template"
	"locustfleet/worker/user"
)

// A check item names one subject (what is checked) and, for json and header, conditions beside
// it; status, body_length and length hold their conditions in their value.
var (
	checkSubjects   = []string{"json", "header", "status", "body_length", "body_contains", "regex", "max_ms"}
	checkConditions = []string{"equals", "not_equals", "lt", "lte", "gt", "gte", "in", "contains", "regex", "length", "exists"}
	// numberConditions are those of a number: status, body_length, length.
	numberConditions = []string{"equals", "not_equals", "lt", "lte", "gt", "gte", "in"}
)

const checkHelp = "json, header, status, body_length, body_contains, regex, max_ms"

type (
	// checkList is a step's checks as read: compiled but for their templates, which need the
	// variables available at the step. Templates are numbered across the step's checks.
	checkList struct {
		checks []checkSpec
		args   []argSpec
	}
	checkSpec struct {
		check check.Check
		fatal bool
		name  string // a non-fatal check's name in the checks summary
		at    string // its field, "tasks[0].check[1]"
		line  int
	}
	argSpec struct {
		node  *yaml.Node
		field string
	}

	// stepChecks are a step's compiled checks.
	stepChecks struct {
		fatal []check.Check
		soft  []softCheck
		args  []*tpl            // the templates of the checks' expected values, rendered once per response
		tally *checkstats.Tally // counts soft
	}
	softCheck struct {
		check check.Check
		tally int // index in the program's tally
	}
)

func (c *compiler) parseChecks(v *yaml.Node, field string) *checkList {
	if v.Kind != yaml.SequenceNode || len(v.Content) == 0 {
		c.errorf(v.Line, field, "%s; expected a list of checks such as - json: $.id, - status: 200, - body_contains: TEXT, - max_ms: 500", describe(v))
		return nil
	}
	list := &checkList{}
	names := map[string]bool{}
	for i, n := range v.Content {
		at := fmt.Sprintf("%s[%d]", field, i)
		if n.Kind != yaml.MappingNode {
			c.errorf(n.Line, at, "%s; expected a mapping with one of %s", describe(n), checkHelp)
			continue
		}
		spec, ok := c.parseCheck(n, at, list)
		if !ok {
			continue
		}
		spec.at, spec.line = at, n.Line
		if !spec.fatal {
			if names[spec.name] {
				c.errorf(n.Line, at, "%q given twice in this step's non-fatal checks; expected each once (or a name: of its own)", spec.name)
				continue
			}
			names[spec.name] = true
		}
		list.checks = append(list.checks, spec)
	}
	return list
}

// checkStatusesExpected refuses a status check whose every status the step's expect_status (by
// default: a status below 400) fails first: the request failed as "unexpected status" before the
// check judged it, on every response.
func (c *compiler) checkStatusesExpected(s *stepSpec) {
	if s.checks == nil {
		return
	}
	expected := func(code int) bool { return code < 400 }
	expectation, suggested := "expect_status (not set: a status below 400)", []int{200}
	if s.expect != nil {
		expected = func(code int) bool { return slices.Contains(s.expect, code) }
		expectation, suggested = "expect_status: "+statusList(s.expect), s.expect
	}
	for _, cs := range s.checks.checks {
		codes, ok := cs.check.StatusCodes()
		if !ok || slices.ContainsFunc(codes, expected) {
			continue
		}
		c.errorf(cs.line, cs.at+".status", "%s: %s fails every such response first (an unexpected status); expected the checked statuses in expect_status too, e.g. expect_status: %s",
			strings.TrimPrefix(cs.check.String(), "status "), expectation, statusList(append(slices.Clone(suggested), codes...)))
	}
}

// statusList writes statuses as YAML does: [200, 404].
func statusList(codes []int) string {
	texts := make([]string, len(codes))
	for i, code := range codes {
		texts[i] = strconv.Itoa(code)
	}
	return "[" + strings.Join(texts, ", ") + "]"
}

// parseCheck reads one check item; its templates are added to list.
func (c *compiler) parseCheck(n *yaml.Node, at string, list *checkList) (checkSpec, bool) {
	keys := map[string]*yaml.Node{}
	lines := map[string]int{}
	var order []string
	c.eachKey(n, at+".", checkKeys, func(key string, k, v *yaml.Node) {
		keys[key], lines[key] = v, k.Line
		order = append(order, key)
	})
	subject := ""
	bad := false
	for _, key := range order {
		isSubject := slices.Contains(checkSubjects, key)
		if key == "regex" && (keys["json"] != nil || keys["header"] != nil) {
			isSubject = false // a condition on the value
		}
		if !isSubject {
			continue
		}
		if subject != "" {
			c.errorf(lines[key], at+"."+key, "given with %s; expected one check per list item", subject)
			bad = true
			continue
		}
		subject = key
	}
	if bad {
		return checkSpec{}, false
	}
	if subject == "" {
		c.errorf(n.Line, at, "no check; expected one of %s", checkHelp)
		return checkSpec{}, false
	}
	spec := checkSpec{fatal: true}
	if v := keys["fatal"]; v != nil {
		fatal, ok := c.boolean(v, at+".fatal")
		if !ok {
			return checkSpec{}, false
		}
		spec.fatal = fatal
	}
	if v := keys["name"]; v != nil {
		if !c.check(decodeString(v, at+".name", &spec.name)) {
			return checkSpec{}, false
		}
		if spec.name == "" {
			c.errorf(v.Line, at+".name", "empty; expected the check's name in the checks summary")
			return checkSpec{}, false
		}
		if spec.fatal {
			c.errorf(v.Line, at+".name", "%s given to a fatal check; expected name only with fatal: false (it names the check in the checks summary; a fatal check's failures are Locust's, named by their reason)", describe(v))
			return checkSpec{}, false
		}
	}

	if v := keys["exists"]; v != nil && v.Value == "false" {
		for _, key := range order {
			if key != "exists" && key != subject && slices.Contains(checkConditions, key) {
				c.errorf(v.Line, at+".exists", "false given with %s; expected exists: false alone (the value must not be there)", key)
				return checkSpec{}, false
			}
		}
	}
	var preds []check.Pred
	ok := true
	for _, key := range order {
		v := keys[key]
		field := at + "." + key
		switch {
		case key == subject || key == "fatal" || key == "name":
		case !slices.Contains(checkConditions, key):
		case subject == "status" || subject == "body_length":
			c.errorf(lines[key], field, "given with %s; expected the conditions inside %s, e.g. %s: {%s: 400}", subject, subject, subject, strings.Replace(key, "regex", "lt", 1))
			ok = false
		case subject != "json" && subject != "header":
			c.errorf(lines[key], field, "given with %s; expected %s only with json or header", subject, key)
			ok = false
		default:
			p, pok := c.condition(key, v, field, list)
			ok = ok && pok
			if pok && p != nil {
				preds = append(preds, *p)
			}
		}
	}
	if !ok {
		return checkSpec{}, false
	}

	arg := keys[subject]
	field := at + "." + subject
	var err error
	switch subject {
	case "json", "header":
		var text string
		if !c.check(decodeString(arg, field, &text)) {
			return checkSpec{}, false
		}
		if subject == "json" {
			spec.check, err = check.JSONPath(text, preds...)
		} else {
			spec.check, err = check.Header(text, preds...)
		}
	case "status", "body_length":
		preds, pok := c.numberConditions(arg, field, list)
		if !pok {
			return checkSpec{}, false
		}
		if subject == "status" {
			spec.check, err = check.Status(preds...)
		} else {
			spec.check, err = check.BodyLength(preds...)
		}
	case "body_contains":
		var text string
		if !c.check(decodeString(arg, field, &text)) {
			return checkSpec{}, false
		}
		o, _ := c.operand(arg, field, list)
		spec.check, err = check.BodyContainsOperand(o)
	case "regex":
		var text string
		if !c.check(decodeString(arg, field, &text)) {
			return checkSpec{}, false
		}
		spec.check, err = check.Regex(text)
	case "max_ms":
		ms, convErr := strconv.Atoi(arg.Value)
		if arg.Kind != yaml.ScalarNode || convErr != nil || ms <= 0 {
			c.errorf(arg.Line, field, "%s; expected a whole number of milliseconds > 0", describe(arg))
			return checkSpec{}, false
		}
		spec.check, err = check.MaxMillis(ms)
	}
	if err != nil {
		c.errorf(arg.Line, field, "%v", err)
		return checkSpec{}, false
	}
	if spec.name == "" {
		spec.name = spec.check.String()
	}
	return spec, true
}

// condition reads one condition beside json or header; exists: true adds none.
func (c *compiler) condition(key string, v *yaml.Node, field string, list *checkList) (*check.Pred, bool) {
	var p check.Pred
	var err error
	switch key {
	case "equals", "not_equals", "contains", "lt", "lte", "gt", "gte":
		o, ok := c.operand(v, field, list)
		if !ok {
			return nil, false
		}
		switch key {
		case "equals":
			p = check.Equals(o)
		case "not_equals":
			p = check.NotEquals(o)
		case "contains":
			p, err = check.Contains(o)
		default:
			p, err = check.Compare(key, o)
		}
	case "in":
		ops, ok := c.operandList(v, field, list)
		if !ok {
			return nil, false
		}
		p, err = check.In(ops)
	case "regex":
		var text string
		if !c.check(decodeString(v, field, &text)) {
			return nil, false
		}
		p, err = check.Matches(text)
	case "length":
		preds, ok := c.numberConditions(v, field, list)
		if !ok {
			return nil, false
		}
		p, err = check.Length(preds...)
	case "exists":
		exists, ok := c.boolean(v, field)
		if !ok || exists {
			return nil, ok
		}
		p = check.Absent()
	}
	if err != nil {
		c.errorf(v.Line, field, "%v", err)
		return nil, false
	}
	return &p, true
}

// numberConditions reads the conditions on a number: N (equals), [N, M] (one of them) or a
// mapping such as {gte: 200, lt: 300}.
func (c *compiler) numberConditions(v *yaml.Node, field string, list *checkList) ([]check.Pred, bool) {
	const want = "a number, a list of numbers or conditions such as {gte: 200, lt: 300} (equals, not_equals, lt, lte, gt, gte, in)"
	var preds []check.Pred
	ok := true
	add := func(p check.Pred, err error, n *yaml.Node, at string) {
		if err != nil {
			c.errorf(n.Line, at, "%v", err)
			ok = false
			return
		}
		preds = append(preds, p)
	}
	switch v.Kind {
	case yaml.ScalarNode:
		o, oke := c.operand(v, field, list)
		if !oke {
			return nil, false
		}
		add(check.Equals(o), nil, v, field)
	case yaml.SequenceNode:
		ops, oke := c.operandList(v, field, list)
		if !oke {
			return nil, false
		}
		p, err := check.In(ops)
		add(p, err, v, field)
	case yaml.MappingNode:
		if len(v.Content) == 0 {
			c.errorf(v.Line, field, "empty mapping; expected %s", want)
			return nil, false
		}
		c.eachKey(v, field+".", numberConditions, func(key string, _, n *yaml.Node) {
			at := field + "." + key
			if key == "in" {
				ops, oke := c.operandList(n, at, list)
				if !oke {
					ok = false
					return
				}
				p, err := check.In(ops)
				add(p, err, n, at)
				return
			}
			o, oke := c.operand(n, at, list)
			if !oke {
				ok = false
				return
			}
			switch key {
			case "equals":
				add(check.Equals(o), nil, n, at)
			case "not_equals":
				add(check.NotEquals(o), nil, n, at)
			default:
				p, err := check.Compare(key, o)
				add(p, err, n, at)
			}
		})
		if len(preds) == 0 {
			ok = false
		}
	default:
		c.errorf(v.Line, field, "%s; expected %s", describe(v), want)
		return nil, false
	}
	return preds, ok
}

// operand reads an expected value: a string (a template when it holds "{{"), a number, true,
// false or null.
func (c *compiler) operand(v *yaml.Node, field string, list *checkList) (check.Operand, bool) {
	if v.Kind != yaml.ScalarNode {
		c.errorf(v.Line, field, "%s; expected a string, number, true, false or null", describe(v))
		return check.Operand{}, false
	}
	switch v.Tag {
	case "!!int", "!!float":
		var f float64
		if err := v.Decode(&f); err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			c.errorf(v.Line, field, "%s; expected a number JSON can hold (not .inf or .nan)", describe(v))
			return check.Operand{}, false
		}
		if _, _, err := jsonNumberText(v, "to compare as text"); err != nil {
			c.errorf(v.Line, field, "%v", err)
			return check.Operand{}, false
		}
		o, _ := check.Number(f, v.Value)
		return o, true
	case "!!bool":
		var b bool
		_ = v.Decode(&b)
		return check.Bool(b), true
	case "!!null":
		return check.Null(), true
	}
	if _, isNumber, err := jsonNumberText(v, "to compare as text"); isNumber && err != nil {
		c.errorf(v.Line, field, "%v", err) // 1e400: beyond a float, YAML reads it as text
		return check.Operand{}, false
	}
	if !strings.Contains(v.Value, "{{") {
		return check.String(v.Value), true
	}
	list.args = append(list.args, argSpec{node: v, field: field})
	return check.Template(v.Value, len(list.args)-1), true
}

func (c *compiler) operandList(v *yaml.Node, field string, list *checkList) ([]check.Operand, bool) {
	if v.Kind != yaml.SequenceNode || len(v.Content) == 0 {
		c.errorf(v.Line, field, "%s; expected a list of the values it may be, such as [open, closed]", describe(v))
		return nil, false
	}
	ops := make([]check.Operand, 0, len(v.Content))
	ok := true
	for i, item := range v.Content {
		o, oke := c.operand(item, fmt.Sprintf("%s[%d]", field, i), list)
		ok = ok && oke
		ops = append(ops, o)
	}
	return ops, ok
}

// compileChecks compiles a step's checks: their templates with the step's variables, and a
// tally entry for each non-fatal one, under the step's method and name.
func (c *compiler) compileChecks(p *program, spec *stepSpec, resolve func(string) (lookup, error)) *stepChecks {
	list := spec.checks
	if list == nil || len(list.checks) == 0 {
		return nil
	}
	sc := &stepChecks{}
	for _, a := range list.args {
		var b template.Builder[*user.User]
		c.template(&b, a.node, a.field, resolve, nil, false)
		sc.args = append(sc.args, b.Template())
	}
	for _, ch := range list.checks {
		if ch.fatal {
			sc.fatal = append(sc.fatal, ch.check)
			continue
		}
		if p.tally == nil {
			p.tally = checkstats.New()
		}
		i := p.tally.Add(checkstats.Key{Method: spec.method, Name: spec.name, Check: ch.name})
		sc.soft = append(sc.soft, softCheck{check: ch.check, tally: i})
		sc.tally = p.tally
	}
	return sc
}

// input is the check input for r, with the step's templates rendered for u.
func (st *userState) input(s *step, u *user.User, r *user.Response) *check.Input {
	in := &st.in
	in.Reset()
	in.Status, in.Body, in.Elapsed, in.Headers = r.Status, r.Body, r.Elapsed, r
	if s.checks != nil && len(s.checks.args) > 0 {
		for len(st.args) < len(s.checks.args) {
			st.args = append(st.args, nil)
		}
		for i, t := range s.checks.args {
			st.args[i] = t.Append(st.args[i][:0], u)
		}
		in.Args = st.args[:len(s.checks.args)]
	}
	return in
}

// judgeSoft counts the step's non-fatal checks on a response that reached its checks.
func (s *step) judgeSoft(in *check.Input) {
	for i := range s.checks.soft {
		sc := &s.checks.soft[i]
		if sc.check.Passes(in) {
			s.checks.tally.Pass(sc.tally)
		} else {
			s.checks.tally.Fail(sc.tally)
		}
	}
}

// failSoft counts the step's non-fatal checks as failed on a request that did not reach its
// checks: no answer, an unexpected status, too many redirects, a body that did not decode (as
// k6 fails a check of a response that did not come).
func (s *step) failSoft() {
	for i := range s.checks.soft {
		s.checks.tally.Fail(s.checks.soft[i].tally)
	}
}
