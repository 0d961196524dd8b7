package lifecycle

import (
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"strings"
	"sync"

	"locustfleet/worker/baseurl"
)

// compat holds the flags registered under Locust's names on the default flag set.
var compat = func() *locustFlags {
	l := &locustFlags{}
	l.register(flag.CommandLine)
	// boomer's own text for --run-tasks predates what the worker does with it (README, "Flags")
	if f := flag.Lookup("run-tasks"); f != nil {
		f.Usage = "Run without a master: one user runs on_start, the named tasks once each (comma-separated; a name several tasks share runs each of them) " +
			"and on_stop against the target, logging each request, then exits. A name that is no task is refused with the task names."
	}
	flag.Usage = func() {
		out := flag.CommandLine.Output()
		fmt.Fprintf(out, "Usage of %s:\n", os.Args[0])
		flag.PrintDefaults()
		fmt.Fprint(out, locustUsage())
	}
	return l
}()

// locustUsage tells, after the flags, what the worker does with the rest of Locust's options.
func locustUsage() string {
	var envs []string
	for _, e := range flagEnv {
		envs = append(envs, e.env)
	}
	names := map[role][]string{}
	for _, opt := range locustOptions {
		names[opt.role] = append(names[opt.role], strings.Join(opt.names, "/"))
	}
	return fmt.Sprintf(`
Locust's options and their LOCUST_* variables, as Locust's Helm chart and Kubernetes operator
pass them to a worker:
  variables of the flags above (a flag wins over its variable): %s
  ignored, and logged: %s
  the master's, ignored as 'locust --worker' ignores them: %s
  refused (exit 2): %s, user class names, %s
`, strings.Join(envs, ", "), strings.Join(names[ignored], ", "), strings.Join(names[masterOnly], ", "),
		strings.Join(names[refused], ", "), userClassesEnv)
}

var parseOnce sync.Once

// ParseFlags parses the command line into the default flag set, as flag.Parse does, and takes
// what Locust's tooling passes to a worker: Locust's options and its LOCUST_* environment
// variables, flags taking precedence over the environment. Options that change nothing for a Go
// worker are logged once each. Every problem (an unknown flag, a bad value, an option the Go
// worker cannot honour) is printed, one a line, and the process exits with ExitUsage. -h prints
// the flags and exits 0. Run and RunUsers call it; a main that needs its flags before (e.g.
// Target) calls it first. After the program's own flag.Parse it applies the environment only.
func ParseFlags() {
	parseOnce.Do(func() {
		p := newParser(flag.CommandLine, compat)
		if flag.Parsed() {
			flag.Visit(func(f *flag.Flag) { p.source[canonical(f.Name)] = "--" + f.Name })
		} else {
			p.args(os.Args[1:])
		}
		if p.help {
			flag.Usage()
			os.Exit(ExitOK)
		}
		p.environment(os.Getenv)
		p.check()
		sources = p.source
		if len(p.problems) > 0 {
			for _, problem := range p.problems {
				fmt.Fprintf(os.Stderr, "worker: %s\n", problem)
			}
			os.Exit(ExitUsage)
		}
		if compat.logfile != "" {
			out, err := os.OpenFile(compat.logfile, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
			if err != nil {
				fmt.Fprintf(os.Stderr, "worker: %s: cannot open %q: %v\n", p.source["logfile"], compat.logfile, errors.Unwrap(err))
				os.Exit(ExitUsage)
			}
			log.SetOutput(out)
		}
		for _, note := range p.notes {
			log.Printf("worker: %s", note)
		}
	})
}

// sources tells, after ParseFlags, where each flag given came from ("--master-host", "-H",
// "LOCUST_MASTER_NODE_HOST"), so that the checks made after parsing name what the user wrote.
var sources map[string]string

// sourceOf names where the value of the flag name came from: "--name" when it was not given.
func sourceOf(name string) string { return sourceIn(sources, name) }

func sourceIn(source map[string]string, name string) string {
	if s := source[canonical(name)]; s != "" {
		return s
	}
	return "--" + name
}

// Target is the base URL given by --target, -H/--host or LOCUST_HOST; "" when none was.
func Target() string { return compat.target }

// parser reads a command line and the environment into a flag set, collecting every problem.
type parser struct {
	fs       *flag.FlagSet
	l        *locustFlags
	options  map[string]*locustOption // by name without dashes: "u", "users"
	source   map[string]string        // flag name (aliases resolved) -> where its value came from
	given    map[*locustOption]bool   // Locust options on the command line
	notes    []string
	problems []string
	help     bool
}

func newParser(fs *flag.FlagSet, l *locustFlags) *parser {
	p := &parser{fs: fs, l: l, options: map[string]*locustOption{}, source: map[string]string{},
		given: map[*locustOption]bool{}}
	for i := range locustOptions {
		for _, name := range locustOptions[i].names {
			p.options[strings.TrimLeft(name, "-")] = &locustOptions[i]
		}
	}
	return p
}

// args parses a command line: the flag set's flags the way the flag package does (-name and
// --name alike), Locust's other options with as many values as Locust gives them. Arguments that
// are no option's value are refused, and scanning goes on so that every problem is reported.
func (p *parser) args(args []string) {
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if arg == "--" {
			for _, a := range args[i+1:] {
				p.unexpected(a)
			}
			break
		}
		if len(arg) < 2 || arg[0] != '-' {
			p.unexpected(arg)
			continue
		}
		name, value, hasValue := strings.Cut(strings.TrimPrefix(arg[1:], "-"), "=")
		spelled := strings.TrimSuffix(arg, "="+value)
		if !hasValue {
			spelled = arg
		}
		if name == "h" || name == "help" {
			p.help = true
			return
		}
		next := func() (string, bool) {
			if hasValue {
				return value, true
			}
			if i+1 < len(args) && !looksLikeOption(args[i+1]) {
				i++
				return args[i], true
			}
			p.problems = append(p.problems, fmt.Sprintf("%s: missing its value", spelled))
			return "", false
		}
		if f := p.fs.Lookup(name); f != nil {
			if isBool(f) && !hasValue {
				value = "true"
			} else if v, ok := next(); ok {
				value = v
			} else {
				continue
			}
			p.source[canonical(name)] = spelled // given, even when its value is bad: the environment is not consulted
			if err := p.fs.Set(name, value); err != nil {
				p.problems = append(p.problems, badValue(spelled, value, f))
			}
			continue
		}
		opt, ok := p.options[name]
		if !ok {
			p.problems = append(p.problems, fmt.Sprintf("%s: unknown flag (-h lists the worker's flags)", spelled))
			if !hasValue && i+1 < len(args) && !looksLikeOption(args[i+1]) {
				i++ // most likely its value, which would only add a second message
			}
			continue
		}
		p.given[opt] = true
		switch opt.arity {
		case noValue:
			if hasValue {
				p.problems = append(p.problems, fmt.Sprintf("%s: takes no value; got %q", spelled, value))
				continue
			}
		case oneValue:
			if value, ok = next(); !ok {
				continue
			}
		case anyValues:
			var values []string
			if hasValue {
				values = append(values, value)
			}
			for !hasValue && i+1 < len(args) && !looksLikeOption(args[i+1]) {
				i++
				values = append(values, args[i])
			}
			value = strings.Join(values, " ")
		}
		p.take(opt, strings.TrimSpace(spelled+" "+value), true)
	}
	_ = p.fs.Parse(nil) // marks the flag set parsed; every argument is taken above
}

// unexpected refuses an argument that is no option: Locust reads user class names there.
func (p *parser) unexpected(arg string) {
	p.problems = append(p.problems, fmt.Sprintf("unexpected argument %q; %s", arg, userClassesWhy))
}

// take handles a Locust option given on the command line (asFlag) or in its environment variable.
func (p *parser) take(opt *locustOption, given string, asFlag bool) {
	switch opt.role {
	case ignored:
		p.notes = append(p.notes, fmt.Sprintf("%s ignored: %s", given, opt.why))
	case refused:
		name := given
		if asFlag {
			name, _, _ = strings.Cut(given, " ")
		}
		p.problems = append(p.problems, fmt.Sprintf("%s: %s", name, opt.why))
	}
}

// environment applies Locust's environment variables to what the command line left unset.
func (p *parser) environment(getenv func(string) string) {
	for _, e := range flagEnv {
		value := getenv(e.env)
		if value == "" || p.source[e.flag] != "" {
			continue
		}
		f := p.fs.Lookup(e.flag)
		if isBool(f) {
			b, ok := envBool(value)
			if !ok {
				p.problems = append(p.problems, fmt.Sprintf("%s: got %q; expected %s", e.env, value, envBools))
				continue
			}
			value = fmt.Sprint(b)
		}
		if err := p.fs.Set(e.flag, value); err != nil {
			p.problems = append(p.problems, badValue(e.env, value, f))
			continue
		}
		p.source[e.flag] = e.env
	}
	for i := range locustOptions {
		opt := &locustOptions[i]
		value := ""
		if opt.env != "" {
			value = getenv(opt.env)
		}
		if value == "" || p.given[opt] || opt.role == masterOnly {
			continue
		}
		if opt.arity == noValue {
			on, ok := envBool(value)
			if !ok {
				p.problems = append(p.problems, fmt.Sprintf("%s: got %q; expected %s", opt.env, value, envBools))
				continue
			}
			if !on {
				continue
			}
		}
		p.take(opt, opt.env+"="+value, false)
	}
	if classes := strings.TrimSpace(getenv(userClassesEnv)); classes != "" {
		p.problems = append(p.problems, fmt.Sprintf("%s=%s: %s", userClassesEnv, classes, userClassesWhy))
	}
}

// logLevels are Locust's log levels, which it takes in any case.
var logLevels = []string{"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}

// check validates the values of the flags under Locust's names, naming where each came from.
func (p *parser) check() {
	level := strings.ToUpper(p.l.loglevel)
	switch level {
	case "DEBUG", "INFO":
	case "WARNING", "ERROR", "CRITICAL":
		p.notes = append(p.notes, fmt.Sprintf("%s %s: the Go worker has no log levels; it logs what it logs at INFO",
			p.sourceOf("loglevel"), p.l.loglevel))
	default:
		p.problems = append(p.problems, fmt.Sprintf("%s: got %q; expected %s", p.sourceOf("loglevel"), p.l.loglevel,
			strings.Join(logLevels[:4], ", ")+" or "+logLevels[4]))
	}
	if p.l.target != "" {
		if _, err := baseurl.Check(p.sourceOf("target"), p.l.target); err != nil {
			p.problems = append(p.problems, err.Error())
		}
	}
}

func (p *parser) sourceOf(name string) string { return sourceIn(p.source, name) }

// looksLikeOption is argparse's test for an argument that cannot be an option's value.
func looksLikeOption(arg string) bool {
	if len(arg) < 2 || arg[0] != '-' {
		return false
	}
	return !strings.ContainsAny(arg[1:2], "0123456789.")
}

func isBool(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// envBools is what configargparse, which reads Locust's environment, takes for a switch.
const envBools = "true, false, yes, no, on, off, 1 or 0"

func envBool(value string) (on, ok bool) {
	switch strings.ToLower(value) {
	case "true", "yes", "on", "1":
		return true, true
	case "false", "no", "off", "0":
		return false, true
	}
	return false, false
}

// badValue says that a flag's value does not parse, naming where it came from and what it takes.
func badValue(given, value string, f *flag.Flag) string {
	kind, _ := flag.UnquoteUsage(f)
	expected := map[string]string{
		"":         "true or false",
		"int":      "a whole number",
		"uint":     "a whole number >= 0",
		"float":    "a number",
		"duration": "a duration such as 30s or 1m",
	}[kind]
	if expected == "" {
		expected = "a " + kind
	}
	return fmt.Sprintf("%s: got %q; expected %s", given, value, expected)
}
