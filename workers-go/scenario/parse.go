package scenario

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"locustfleet/worker/data"
	"locustfleet/worker/extract"
	"locustfleet/worker/urlesc"
	"locustfleet/worker/user"
)

var (
	topKeys     = []string{"host", "wait", "data", "on_start", "tasks", "on_stop", "on_401", "requests", "arrival", "tls", "http", "hosts", "headers", "auth"}
	legacyKeys  = []string{"name", "method", "path", "weight", "expect_status", "headers", "body", "timeout"}
	stepKeys    = []string{"name", "method", "path", "query", "headers", "body", "json", "timeout", "expect_status", "extract", "check", "on_failure", "follow_redirects", "host", "auth", "form", "multipart", "body_file"}
	taskKeys    = append([]string{"weight", "steps"}, stepKeys...)
	waitKeys    = []string{"constant", "between", "pacing"}
	dataKeys    = []string{"csv", "jsonl", "mode"}
	extractKeys = []string{"json", "header", "cookie", "regex"}
	checkKeys   = []string{"json", "header", "status", "body_length", "body_contains", "regex", "max_ms", "equals", "not_equals", "lt", "lte", "gt", "gte", "in", "contains", "length", "exists", "fatal", "name"}
	identifier  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// Load reads a scenario file (YAML, or JSON, which is YAML too); data files it names are read
// relative to its folder. target, when not empty, overrides the file's host. Every mistake is
// reported, one a line, each prefixed with the file's path.
func Load(path, target string) (*user.Class, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read scenario file %q: %v", path, errors.Unwrap(err))
	}
	class, err := Parse(raw, filepath.Dir(path), target)
	if err != nil {
		lines := strings.Split(err.Error(), "\n")
		for i, l := range lines {
			lines[i] = path + ": " + l
		}
		return nil, errors.New(strings.Join(lines, "\n"))
	}
	return class, nil
}

// Default is the class of a worker started without a scenario: GET / against target.
func Default(target string) (*user.Class, error) {
	host, err := baseURL(target, "--target")
	if err != nil {
		return nil, err
	}
	s := &stepSpec{at: "default", method: "GET", name: "/", path: &yaml.Node{Kind: yaml.ScalarNode, Value: "/"}, literal: true}
	c := &compiler{}
	p := c.compile(nil, []*taskSpec{{name: "/", weight: 1, steps: []*stepSpec{s}}}, nil, nil)
	return p.class(host, nil), nil
}

// Parse compiles a scenario document; dir is where relative data file paths resolve. Errors
// name the line, the field, the value and what was expected; all of a document's mistakes are
// reported, one a line.
func Parse(doc []byte, dir, target string) (*user.Class, error) {
	p, host, wait, err := parse(doc, dir, target)
	if err != nil {
		return nil, err
	}
	return p.class(host, wait), nil
}

// parse compiles a document into its program, base URL and wait.
func parse(doc []byte, dir, target string) (*program, string, user.Wait, error) {
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(doc))
	if err := dec.Decode(&root); err != nil && err != io.EOF {
		return nil, "", nil, yamlSyntaxError(err)
	}
	// A second document (after ---) was never read: two scenarios pasted into one file ran as
	// the first alone.
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == io.EOF:
	case err != nil:
		return nil, "", nil, yamlSyntaxError(err)
	case len(next.Content) > 0 && next.Content[0].Tag != "!!null": // a --- with nothing after it is no document
		return nil, "", nil, fmt.Errorf("line %d: a second YAML document (after ---); expected one scenario per file", next.Content[0].Line)
	}
	if len(root.Content) == 0 {
		return nil, "", nil, errors.New("empty document; expected a mapping with host and tasks")
	}
	merged, errs := expandReferences(&root)
	if len(errs) > 0 {
		return nil, "", nil, errors.Join(errs...)
	}
	top := root.Content[0]
	if top.Kind != yaml.MappingNode {
		return nil, "", nil, fmt.Errorf("line %d: the document must be a mapping with host and tasks", top.Line)
	}
	c := &compiler{dir: dir}
	c.merged = merged
	c.binaries = binaryValues(top, "")
	nodes := map[string]*yaml.Node{}
	keyLines := map[string]int{}
	c.eachKey(top, "", topKeys, func(key string, k, v *yaml.Node) {
		nodes[key] = v
		keyLines[key] = k.Line
	})

	host, hostRead := "", true
	if v := nodes["host"]; v != nil && c.check(decodeString(v, "host", &host)) && target == "" {
		host, hostRead = c.constantText(v, "host") // with --target, the file's host is not used
		if hostRead && host == "" {
			c.errorf(v.Line, "host", "%s; expected a base URL such as http://127.0.0.1:8080 (or --target URL)", emptyBase(v.Value))
			hostRead = false
		}
	}
	if target != "" {
		host, target = target, "--target"
	} else {
		target = "host"
	}
	host, err := baseURL(host, target)
	if v := nodes["host"]; hostRead && err != nil && target == "host" && v != nil {
		err = fmt.Errorf("line %d: %w", v.Line, err) // the file's host, at its line like every other mistake
	}
	if hostRead {
		c.check(err)
	}
	host = urlesc.Clean(host)
	c.base = host

	var wait user.Wait
	if v := nodes["wait"]; v != nil {
		wait = c.parseWait(v)
	}
	var arrival *user.Arrival
	if v := nodes["arrival"]; v != nil {
		arrival = c.parseArrival(v)
		if nodes["wait"] != nil {
			c.errorf(keyLines["wait"], "wait", "given with arrival; expected no wait: with arrival each user starts a task on its schedule whether or not earlier ones finished (think steps inside a flow still apply)")
		}
	}
	if v := nodes["data"]; v != nil {
		c.parseData(v)
	}
	var httpOpts user.HTTPOptions
	if v := nodes["http"]; v != nil {
		c.parseHTTP(v, &httpOpts)
	}
	if v := nodes["tls"]; v != nil {
		c.parseTLS(v, &httpOpts)
	}
	c.parseDefaults(nodes["hosts"], nodes["headers"], nodes["auth"])

	var onStart, onStop, on401 []*stepSpec
	var tasks []*taskSpec
	switch {
	case nodes["requests"] != nil && nodes["tasks"] != nil:
		c.errorf(keyLines["requests"], "requests", "given with tasks; expected one of them (tasks, or requests: the single-request list)")
	case nodes["requests"] != nil:
		if nodes["on_start"] != nil || nodes["on_stop"] != nil || nodes["on_401"] != nil || nodes["wait"] != nil || nodes["data"] != nil {
			c.errorf(keyLines["requests"], "requests", "the single-request list takes no wait, data, on_start, on_stop or on_401; expected tasks: to use them")
		}
		tasks = c.parseRequests(nodes["requests"])
	default:
		v := nodes["tasks"]
		if v == nil {
			c.errs = append(c.errs, errors.New("tasks: missing or empty; expected a list of at least one task"))
			break
		}
		if !c.nonEmptyList(v, "tasks", "task") {
			break
		}
		for i, n := range v.Content {
			if t := c.parseTask(n, fmt.Sprintf("tasks[%d]", i)); t != nil {
				tasks = append(tasks, t)
			}
		}
		if v := nodes["on_start"]; v != nil {
			onStart = c.parseSteps(v, "on_start", "")
		}
		if v := nodes["on_stop"]; v != nil {
			onStop = c.parseSteps(v, "on_stop", "")
		}
		if v := nodes["on_401"]; v != nil {
			on401 = c.parseSteps(v, "on_401", "")
		}
	}
	p := c.compile(onStart, tasks, onStop, on401)
	c.refuseOtherBinaries()
	if len(c.errs) == 0 {
		c.checkDefaultsSent()
	}
	if err := c.err(); err != nil {
		return nil, "", nil, err
	}
	p.http = httpOpts
	p.arrival = arrival
	return p, host, wait, nil
}

// statsName reads a task's or a request's name, a row of Locust's statistics: an empty name was
// taken as no name (the default), a blank one made a row without a name, a line break split
// the row in Locust's CSV and console tables.
func (c *compiler) statsName(v *yaml.Node, field string, out *string) {
	var name string
	if !c.check(decodeString(v, field, &name)) {
		return
	}
	if strings.TrimSpace(name) == "" || strings.ContainsFunc(name, controlChar) {
		c.errorf(v.Line, field, "got %q; expected a name: some text on one line (or no name key: the default)", name)
		return
	}
	*out = name
}

// nonEmptyList reports whether v is a list with something in it, reporting under field what it is
// instead ("tasks: missing or empty" sent the reader of "tasks: {path: /}" looking for a missing key).
func (c *compiler) nonEmptyList(v *yaml.Node, field, item string) bool {
	if v.Kind == yaml.SequenceNode && len(v.Content) > 0 {
		return true
	}
	hint := ""
	if v.Kind != yaml.SequenceNode {
		hint = ", each item starting with -"
	}
	c.errorf(v.Line, field, "%s; expected a list of at least one %s%s", describe(v), item, hint)
	return false
}

func (c *compiler) parseWait(v *yaml.Node) user.Wait {
	if v.Kind != yaml.MappingNode || len(v.Content) != 2 {
		c.errorf(v.Line, "wait", "%s; expected one of {constant: 1s}, {between: [1s, 3s]}, {pacing: 2s}", describe(v))
		return nil
	}
	var w user.Wait
	c.eachKey(v, "wait.", waitKeys, func(key string, _, d *yaml.Node) {
		field := "wait." + key
		switch key {
		case "constant":
			if dur, ok := c.duration(d, field, true); ok {
				w = user.Constant(dur)
			}
		case "pacing":
			if dur, ok := c.duration(d, field, false); ok {
				w = user.Pacing(dur)
			}
		case "between":
			if d.Kind != yaml.SequenceNode || len(d.Content) != 2 {
				c.errorf(d.Line, field, "%s; expected a list of two durations [min, max], e.g. [1s, 3s]", describe(d))
				return
			}
			lo, ok1 := c.duration(d.Content[0], field+"[0]", true)
			hi, ok2 := c.duration(d.Content[1], field+"[1]", true)
			if ok1 && ok2 && lo > hi {
				c.errorf(d.Line, field, "[%s, %s]: min is above max; expected min <= max", lo, hi)
				return
			}
			if ok1 && ok2 {
				w = user.Between(lo, hi)
			}
		}
	})
	return w
}

func (c *compiler) parseData(v *yaml.Node) {
	if v.Kind != yaml.MappingNode || len(v.Content) == 0 {
		c.errorf(v.Line, "data", "%s; expected a mapping of name to {csv: FILE} or {jsonl: FILE}", describe(v))
		return
	}
	c.byName, c.failed = map[string]int{}, map[string]bool{}
	for i := 0; i < len(v.Content); i += 2 {
		k, d := v.Content[i], v.Content[i+1]
		field := "data." + k.Value
		if !identifier.MatchString(k.Value) {
			c.errorf(k.Line, field, "not a data name; expected letters, digits and _, not starting with a digit")
			continue
		}
		if k.Value == "env" {
			c.errorf(k.Line, field, "env is reserved for environment variables ({{ env.NAME }}); expected another name")
			continue
		}
		if _, dup := c.byName[k.Value]; dup {
			c.errorf(k.Line, field, "given twice")
			continue
		}
		if d.Kind != yaml.MappingNode {
			c.errorf(d.Line, field, "%s; expected a mapping such as {csv: accounts.csv, mode: unique}", describe(d))
			continue
		}
		c.failed[k.Value] = true // until its file is read
		src := &source{name: k.Value, mode: data.Cycle}
		var file, format string
		c.eachKey(d, field+".", dataKeys, func(key string, _, n *yaml.Node) {
			switch key {
			case "csv", "jsonl":
				if format != "" {
					c.errorf(n.Line, field, "both csv and jsonl; expected exactly one")
					file = ""
					return
				}
				format = key
				c.check(decodeString(n, field+"."+key, &file))
			case "mode":
				m, ok := data.Modes[n.Value]
				if n.Kind != yaml.ScalarNode || !ok {
					c.errorf(n.Line, field+".mode", "%s; expected one of unique, cycle, random", describe(n))
					return
				}
				src.mode = m
			}
		})
		if format == "" {
			c.errorf(d.Line, field, "no file; expected csv: FILE or jsonl: FILE")
			continue
		}
		if file == "" {
			continue
		}
		path := file
		if !filepath.IsAbs(path) {
			path = filepath.Join(c.dir, path)
		}
		read := data.ReadCSV
		if format == "jsonl" {
			read = data.ReadJSONL
		}
		table, err := read(path, file)
		if err != nil {
			c.errorf(d.Line, field, "%v", err)
			continue
		}
		src.table = table
		delete(c.failed, src.name)
		c.byName[src.name] = len(c.sources)
		c.sources = append(c.sources, src)
	}
}

func (c *compiler) parseRequests(v *yaml.Node) []*taskSpec {
	if !c.nonEmptyList(v, "requests", "request") {
		return nil
	}
	var tasks []*taskSpec
	for i, n := range v.Content {
		at := fmt.Sprintf("requests[%d]", i)
		if n.Kind != yaml.MappingNode {
			c.errorf(n.Line, at, "expected a mapping with %s", strings.Join(legacyKeys, ", "))
			continue
		}
		s := &stepSpec{at: at, line: n.Line, method: "GET", literal: true}
		t := &taskSpec{at: at, weight: 1, steps: []*stepSpec{s}}
		c.eachKey(n, at+".", legacyKeys, func(key string, _, v *yaml.Node) {
			if key == "weight" {
				t.weight = c.weight(v, at+".weight")
				return
			}
			c.requestField(s, key, v, at+"."+key)
		})
		if c.finishRequest(s, n) {
			t.name = s.name
			tasks = append(tasks, t)
		}
	}
	return tasks
}

func (c *compiler) parseTask(n *yaml.Node, at string) *taskSpec {
	if n.Kind != yaml.MappingNode {
		c.errorf(n.Line, at, "%s; expected a mapping with steps (a flow) or path (a single request)", describe(n))
		return nil
	}
	t := &taskSpec{at: at, weight: 1}
	s := &stepSpec{at: at, line: n.Line, method: "GET"}
	var steps *yaml.Node
	onFailure := ""
	var requestKey *yaml.Node
	c.eachKey(n, at+".", taskKeys, func(key string, k, v *yaml.Node) {
		field := at + "." + key
		switch key {
		case "weight":
			t.weight = c.weight(v, field)
		case "steps":
			steps = v
		case "name":
			c.statsName(v, field, &t.name)
			s.name = t.name
		case "on_failure":
			onFailure = c.onFailure(v, field)
			s.cont = onFailure == "continue"
		case "headers", "auth", "host":
			// the defaults of a flow's steps, or the single request's own
			c.requestField(s, key, v, field)
		default:
			if requestKey == nil {
				requestKey = k
			}
			c.requestField(s, key, v, field)
		}
	})
	if steps != nil {
		if requestKey != nil {
			c.errorf(requestKey.Line, at+"."+requestKey.Value, "given with steps; expected either steps (a flow) or request keys (a single request), not both")
			return nil
		}
		defaults := &requestDefaults{at: at, headers: s.headers, auth: s.auth, hostName: s.hostName}
		c.authWithHeader(s.auth, s.headers, at+".headers")
		c.addDefaults(defaults)
		c.taskDefaults = defaults
		t.steps = c.parseSteps(steps, at+".steps", onFailure)
		c.taskDefaults = nil
		if t.name == "" {
			t.name = at
		}
		return t
	}
	if !c.finishRequest(s, n) {
		return nil
	}
	t.name = s.name
	t.steps = []*stepSpec{s}
	return t
}

// parseSteps reads a list of steps; onFailure is the task's default for them.
func (c *compiler) parseSteps(v *yaml.Node, at, onFailure string) []*stepSpec {
	if !c.nonEmptyList(v, at, "step") {
		return nil
	}
	var steps []*stepSpec
	for i, n := range v.Content {
		field := fmt.Sprintf("%s[%d]", at, i)
		if n.Kind != yaml.MappingNode {
			c.errorf(n.Line, field, "%s; expected a request (a mapping with path) or {think: DURATION}", describe(n))
			continue
		}
		if isBlock(n) {
			if s := c.parseBlock(n, field, onFailure); s != nil {
				steps = append(steps, s)
			}
			continue
		}
		s := &stepSpec{at: field, line: n.Line, method: "GET", cont: onFailure == "continue"}
		if hasKey(n, "think") {
			if len(n.Content) != 2 {
				c.errorf(n.Line, field, "think given with other keys; expected a step that is only {think: DURATION}")
				continue
			}
			if v := n.Content[1]; v.Kind == yaml.ScalarNode && strings.Contains(v.Value, "{{") {
				s.thinkFrom = v // a pause the server asks for: compiled with the step's variables
				steps = append(steps, s)
			} else if d, ok := c.duration(v, field+".think", false); ok {
				s.think = d
				steps = append(steps, s)
			}
			continue
		}
		c.eachKey(n, field+".", stepKeys, func(key string, _, v *yaml.Node) {
			if key == "on_failure" {
				s.cont = c.onFailure(v, field+".on_failure") == "continue"
				return
			}
			c.requestField(s, key, v, field+"."+key)
		})
		if c.finishRequest(s, n) {
			steps = append(steps, s)
		}
	}
	return steps
}

// requestField reads one request key of a step.
func (c *compiler) requestField(s *stepSpec, key string, v *yaml.Node, field string) {
	switch key {
	case "name":
		c.statsName(v, field, &s.name)
	case "method":
		var m string
		if c.check(decodeString(v, field, &m)) {
			s.method = strings.ToUpper(m)
			if !slices.Contains(Methods, s.method) {
				c.errorf(v.Line, field, "%q is not an HTTP method; expected one of %s", m, strings.Join(Methods, ", "))
			}
		}
	case "path":
		var p string
		if c.check(decodeString(v, field, &p)) && c.checkPath(v, field) {
			s.path = v
		}
	case "query":
		s.query = c.repeatable(v, field, "a mapping of query parameter to value (or a list of values)", "parameter")
	case "headers":
		s.headers = c.headerPairs(v, field)
	case "body":
		var b string
		if c.check(decodeString(v, field, &b)) {
			s.body = v
		}
	case "json":
		s.json = v
	case "expect_status":
		codes, err := parseStatuses(v, field)
		if c.check(err) {
			s.expect = codes
		}
	case "timeout":
		if d, ok := c.duration(v, field, false); ok {
			s.timeout = d
		}
	case "follow_redirects":
		if follow, ok := c.boolean(v, field); ok {
			s.noRedirects = !follow
		}
	case "extract":
		s.extracts = c.parseExtracts(v, field)
	case "check":
		s.checks = c.parseChecks(v, field)
	default:
		c.requestPart(s, key, v, field)
	}
}

// finishRequest checks what a request step needs as a whole and sets its defaults.
func (c *compiler) finishRequest(s *stepSpec, n *yaml.Node) bool {
	ok := true
	if s.path == nil {
		if !hasKey(n, "path") {
			c.errorf(n.Line, s.at+".path", "missing; expected a path such as /")
		}
		ok = false
	}
	if s.body != nil && s.json != nil {
		c.errorf(s.json.Line, s.at+".json", "given with body; expected one of body (text) or json (a value sent as JSON)")
		ok = false
	}
	s.defaults = c.taskDefaults
	c.checkStatusesExpected(s)
	ok = c.finishParts(s) && ok
	if ok && s.name == "" {
		s.name = c.defaultName(s)
	}
	return ok
}

func (c *compiler) parseExtracts(v *yaml.Node, field string) []extractSpec {
	if v.Kind != yaml.MappingNode || len(v.Content) == 0 {
		c.errorf(v.Line, field, "%s; expected a mapping of variable name to {json: PATH}, {header: NAME}, {cookie: NAME} or {regex: RE}", describe(v))
		return nil
	}
	var out []extractSpec
	seen := map[string]bool{}
	for i := 0; i < len(v.Content); i += 2 {
		k, e := v.Content[i], v.Content[i+1]
		at := field + "." + k.Value
		switch {
		case !identifier.MatchString(k.Value):
			c.errorf(k.Line, at, "not a variable name; expected letters, digits and _, not starting with a digit")
			continue
		case builtin(k.Value):
			c.errorf(k.Line, at, "a built-in variable; expected another name")
			continue
		case seen[k.Value]:
			c.errorf(k.Line, at, "given twice")
			continue
		}
		seen[k.Value] = true
		given := describe(e)
		e, opts := c.extractOptions(e, at)
		if c.unknownExtractKeys(e, at) {
			continue
		}
		if e.Kind != yaml.MappingNode || len(e.Content) != 2 {
			c.errorf(e.Line, at, "%s; expected exactly one of {json: PATH}, {header: NAME}, {cookie: NAME}, {regex: RE} (with default: TEXT, and regex: RE beside header: or cookie:)", extractGiven(e, given))
			continue
		}
		kind, arg := e.Content[0], e.Content[1]
		var text string
		if !c.check(decodeString(arg, at+"."+kind.Value, &text)) {
			continue
		}
		var ex extract.Extractor
		var err error
		switch kind.Value {
		case "json":
			ex, err = extract.JSON(text)
		case "header":
			ex, err = extract.Header(text)
		case "cookie":
			ex, err = extract.Cookie(text)
		case "regex":
			ex, err = extract.Regex(text)
		}
		if err != nil {
			c.errorf(arg.Line, at+"."+kind.Value, "%v", err)
			continue
		}
		if ex, ok := c.refine(ex, opts, at); ok {
			out = append(out, extractSpec{name: k.Value, ex: ex, def: opts.def})
		}
	}
	return out
}

// unknownExtractKeys reports the keys of an extraction (its options taken out) that are neither
// an extractor nor an option ({regex: RE, html: true}), each by name; true when there was one.
func (c *compiler) unknownExtractKeys(e *yaml.Node, at string) bool {
	if e.Kind != yaml.MappingNode {
		return false
	}
	found := false
	for i := 0; i+1 < len(e.Content); i += 2 {
		if k := e.Content[i]; !slices.Contains(extractKeys, k.Value) {
			c.errorf(k.Line, at+"."+k.Value, "unknown key; expected one of %s, or the options default and regex (beside header or cookie)", strings.Join(extractKeys, ", "))
			found = true
		}
	}
	return found
}

// extractGiven says what an extraction that is not one kind holds: its extractors by name
// ("got json and header"), or given (describe's "got a list") when it is no mapping.
func extractGiven(e *yaml.Node, given string) string {
	if e.Kind != yaml.MappingNode {
		return given
	}
	var keys []string
	for i := 0; i+1 < len(e.Content); i += 2 {
		keys = append(keys, e.Content[i].Value)
	}
	if len(keys) == 0 {
		return "got only default" // the one option that can stand without an extractor
	}
	return "got " + strings.Join(keys, " and ")
}

// uniqueKeys reports each key of the mapping m given twice (YAML's keys are unique; both were
// sent); hint says how to write what was meant.
func (c *compiler) uniqueKeys(m *yaml.Node, field, hint string) {
	seen := map[string]bool{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := m.Content[i]
		if seen[k.Value] {
			c.errorf(k.Line, field+"."+k.Value, "given twice; expected each name once%s", hint)
		}
		seen[k.Value] = true
	}
}

func (c *compiler) onFailure(v *yaml.Node, field string) string {
	if v.Kind != yaml.ScalarNode || (v.Value != "continue" && v.Value != "stop") {
		c.errorf(v.Line, field, "%s; expected stop (the default: skip the rest of the flow) or continue", describe(v))
		return ""
	}
	return v.Value
}

// maxWeight bounds a task's weight so that the weights of any number of tasks add up without
// overflowing (the runtime picks a task by a random number below their sum); weights are relative,
// so no scenario needs more.
const maxWeight = 1_000_000

func (c *compiler) weight(v *yaml.Node, field string) int {
	w, err := strconv.Atoi(v.Value)
	if errors.Is(err, strconv.ErrRange) && w > 0 { // beyond int64: Atoi gives the largest int
		err = nil
	}
	switch {
	case v.Kind != yaml.ScalarNode || err != nil || w <= 0:
		c.errorf(v.Line, field, "%s; expected a whole number > 0", describe(v))
		return 1
	case w > maxWeight:
		c.errorf(v.Line, field, "%s; expected a whole number from 1 to %d (weights are relative: 3 and 1 run 3 times as often)", describe(v), maxWeight)
		return 1
	}
	return w
}

// duration reads a duration; zero is allowed only when allowZero.
func (c *compiler) duration(v *yaml.Node, field string, allowZero bool) (time.Duration, bool) {
	d, err := time.ParseDuration(v.Value)
	if v.Kind != yaml.ScalarNode || err != nil || d < 0 || (d == 0 && !allowZero) {
		what := "a positive duration"
		if allowZero {
			what = "a duration >= 0"
		}
		c.errorf(v.Line, field, "%s; expected %s such as 500ms, 5s or 1m", describe(v), what)
		return 0, false
	}
	return d, true
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

// eachKey walks a mapping, reporting keys outside allowed and repeated keys and skipping them.
func (c *compiler) eachKey(m *yaml.Node, prefix string, allowed []string, fn func(key string, k, v *yaml.Node)) {
	seen := map[string]bool{}
	for i := 0; i < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		switch {
		case !slices.Contains(allowed, k.Value):
			c.errorf(k.Line, prefix+k.Value, "unknown key; expected one of %s", strings.Join(allowed, ", "))
		case seen[k.Value]:
			c.errorf(k.Line, prefix+k.Value, "given twice")
		default:
			seen[k.Value] = true
			fn(k.Value, k, v)
		}
	}
}

func hasKey(m *yaml.Node, key string) bool {
	for i := 0; i < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return true
		}
	}
	return false
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
		if len(v.Content) == 0 { // "got a list; expected a list of ..." would leave the reader puzzled
			return "got an empty list"
		}
		return "got a list"
	case yaml.MappingNode:
		if len(v.Content) == 0 {
			return "got an empty mapping"
		}
		return "got a mapping"
	}
	return "got nothing"
}
