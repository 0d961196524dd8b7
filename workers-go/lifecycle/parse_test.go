package lifecycle

import (
	"flag"
	"io"
	"slices"
	"testing"
)

// The messages the parser gives; each names the option or variable and what the worker does.
const (
	locustfileWhy = "a Go worker runs the users built into it or given by --scenario, not a Python locustfile"
	otelWhy       = "the Go worker does not export OpenTelemetry; the master's InfluxDB export (--influxdb-url) records the fleet's stats"
	masterWhy     = "this is the Go worker, never a master; run the master with `locust --master`"
)

// newTestFlags is a flag set like the worker's: boomer's master flags and the Locust-named ones.
func newTestFlags() (*flag.FlagSet, *locustFlags) {
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.String("master-host", "127.0.0.1", "")
	fs.Int("master-port", 5557, "")
	l := &locustFlags{}
	l.register(fs)
	return fs, l
}

func TestParser(t *testing.T) {
	cases := []struct {
		name     string
		args     []string
		env      map[string]string
		want     map[string]string // flag values after parsing
		notes    []string
		problems []string
	}{
		{
			name: "community chart: --worker and its default environment",
			args: []string{"--worker"},
			env: map[string]string{"LOCUST_HOST": "http://target:8080", "LOCUST_MASTER_NODE_HOST": "release-locust",
				"LOCUST_MASTER_NODE_PORT": "5557", "LOCUST_LOGLEVEL": "INFO", "LOCUST_LOCUSTFILE": "/mnt/locust/main.py"},
			want:  map[string]string{"master-host": "release-locust", "master-port": "5557", "target": "http://target:8080", "worker": "true"},
			notes: []string{"LOCUST_LOCUSTFILE=/mnt/locust/main.py ignored: " + locustfileWhy},
		},
		{
			name:  "operator: command seed, then --worker --master-port=5557 --master-host=NAME",
			args:  []string{"--locustfile", "/lotest/src/locustfile.py", "--worker", "--master-port=5557", "--master-host=demo-master"},
			env:   map[string]string{"KAFKA_BOOTSTRAP_SERVERS": "localhost:9092", "KAFKA_SECURITY_ENABLED": "false"},
			want:  map[string]string{"master-host": "demo-master", "master-port": "5557"},
			notes: []string{"--locustfile /lotest/src/locustfile.py ignored: " + locustfileWhy},
		},
		{
			name:     "operator with OpenTelemetry on: --otel is refused",
			args:     []string{"--otel", "--worker", "--master-port=5557", "--master-host=demo-master"},
			problems: []string{"--otel: " + otelWhy},
		},
		{
			name: "flags win over the environment",
			args: []string{"--master-host", "flag-host", "-H", "http://flag:1"},
			env:  map[string]string{"LOCUST_MASTER_NODE_HOST": "env-host", "LOCUST_HOST": "http://env:1", "LOCUST_MASTER_NODE_PORT": "6000"},
			want: map[string]string{"master-host": "flag-host", "target": "http://flag:1", "master-port": "6000"},
		},
		{
			name: "the last of --target, --host and -H wins, as in Locust",
			args: []string{"--target", "http://a:1", "--host", "http://b:1", "-H=http://c:1"},
			want: map[string]string{"target": "http://c:1"},
		},
		{
			name: "an empty variable is no value",
			env:  map[string]string{"LOCUST_MASTER_NODE_HOST": "", "LOCUST_HOST": ""},
			want: map[string]string{"master-host": "127.0.0.1", "target": ""},
		},
		{
			name: "the master's options are accepted with their values, as locust --worker does",
			args: []string{"-u", "10", "-r", "2.5", "-t", "1m", "--tags", "a", "b", "--headless", "--autostart",
				"--expect-workers=3", "-s", "5", "--exit-code-on-error", "-1", "-E", "--worker"},
			want: map[string]string{"worker": "true", "headless": "true"},
		},
		{
			name: "the master's variables are ignored: the chart gives workers the master's environment too",
			env:  map[string]string{"LOCUST_USERS": "100", "LOCUST_RUN_TIME": "5m", "LOCUST_AUTOSTART": "not a switch"},
		},
		{
			name:  "--processes is logged and ignored",
			args:  []string{"--processes", "4"},
			notes: []string{"--processes 4 ignored: one Go worker process uses every CPU its pod or machine gives it"},
		},
		{
			name:  "a flag's variable is not consulted when the flag is given",
			args:  []string{"-f", "a.py"},
			env:   map[string]string{"LOCUST_LOCUSTFILE": "b.py"},
			notes: []string{"-f a.py ignored: " + locustfileWhy},
		},
		{
			name: "refused options and variables, all at once",
			args: []string{"--master", "--reset-stats", "--config", "x.conf", "-l", "MyUser"},
			env:  map[string]string{"LOCUST_ENABLE_OPENTELEMETRY": "yes", "LOCUST_USER_CLASSES": "A B"},
			problems: []string{
				"--master: " + masterWhy,
				"--reset-stats: the Go worker cannot reset its stats when spawning completes; give --reset-stats to the master only",
				"--config: the Go worker reads no Locust configuration file; pass its settings as flags or LOCUST_* variables",
				"-l: the Go worker has no Locust user classes to list",
				`unexpected argument "MyUser"; ` + userClassesWhy,
				"LOCUST_ENABLE_OPENTELEMETRY=yes: " + otelWhy,
				"LOCUST_USER_CLASSES=A B: " + userClassesWhy,
			},
		},
		{
			name: "a refused switch set to false in the environment is fine",
			env:  map[string]string{"LOCUST_MODE_MASTER": "false", "LOCUST_ENABLE_OPENTELEMETRY": "0"},
		},
		{
			name:     "a switch variable with another value",
			env:      map[string]string{"LOCUST_MODE_MASTER": "maybe", "LOCUST_HEADLESS": "2"},
			problems: []string{`LOCUST_HEADLESS: got "2"; expected true, false, yes, no, on, off, 1 or 0`, `LOCUST_MODE_MASTER: got "maybe"; expected true, false, yes, no, on, off, 1 or 0`},
		},
		{
			name:     "bad values name the flag or the variable",
			args:     []string{"--master-port", "abc"},
			env:      map[string]string{"LOCUST_MASTER_NODE_PORT": "x"},
			problems: []string{`--master-port: got "abc"; expected a whole number`},
		},
		{
			name:     "a bad variable when no flag overrides it",
			env:      map[string]string{"LOCUST_MASTER_NODE_PORT": "x"},
			problems: []string{`LOCUST_MASTER_NODE_PORT: got "x"; expected a whole number`},
		},
		{
			name:     "unknown flags, with or without a value, one message each",
			args:     []string{"--bogus", "x", "--other=1", "--worker"},
			problems: []string{"--bogus: unknown flag (-h lists the worker's flags)", "--other: unknown flag (-h lists the worker's flags)"},
		},
		{
			name:     "missing values",
			args:     []string{"--master-host", "--worker", "-u"},
			problems: []string{"--master-host: missing its value", "-u: missing its value"},
		},
		{
			name:     "a switch of Locust's given a value",
			args:     []string{"--autostart=yes"},
			problems: []string{`--autostart: takes no value; got "yes"`},
		},
		{
			name: "log levels in any case",
			args: []string{"-L", "debug"},
			want: map[string]string{"loglevel": "debug"},
		},
		{
			name:  "a log level above INFO is logged",
			env:   map[string]string{"LOCUST_LOGLEVEL": "WARNING"},
			notes: []string{"LOCUST_LOGLEVEL WARNING: the Go worker has no log levels; it logs what it logs at INFO"},
		},
		{
			name:     "an unknown log level",
			args:     []string{"-L", "LOUD"},
			problems: []string{`-L: got "LOUD"; expected DEBUG, INFO, WARNING, ERROR or CRITICAL`},
		},
		{
			name:     "a target that is no URL names where it came from",
			env:      map[string]string{"LOCUST_HOST": "www.example.com"},
			problems: []string{`LOCUST_HOST: "www.example.com" is not an http(s) URL; expected e.g. http://127.0.0.1:8080`},
		},
		// Taken here, and refused only when the scenario was loaded; by a Go main that runs its own
		// users, refused as the user class started.
		{
			name:     "a target without a host name",
			args:     []string{"--target", "http://:8080"},
			problems: []string{`--target: "http://:8080" is not an http(s) URL; expected e.g. http://127.0.0.1:8080`},
		},
		{
			name:     "a target whose port is out of range, its password hidden",
			args:     []string{"-H", "http://u:secret@127.0.0.1:80800"},
			problems: []string{`-H: "http://u:xxxxx@127.0.0.1:80800": port 80800 is out of range; expected a port from 1 to 65535`},
		},
		{
			name:     "a target with port 0",
			env:      map[string]string{"LOCUST_HOST": "http://127.0.0.1:0"},
			problems: []string{`LOCUST_HOST: "http://127.0.0.1:0": port 0 is out of range; expected a port from 1 to 65535`},
		},
		{
			name:     "a target that is no URL, its password hidden",
			args:     []string{"--host=ftp://u:secret@a"},
			problems: []string{`--host: "ftp://u:xxxxx@a" is not an http(s) URL; expected e.g. http://127.0.0.1:8080`},
		},
		{
			name:     "arguments after -- are no options",
			args:     []string{"--worker", "--", "--master"},
			problems: []string{`unexpected argument "--master"; ` + userClassesWhy},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fs, l := newTestFlags()
			p := newParser(fs, l)
			p.args(c.args)
			p.environment(func(name string) string { return c.env[name] })
			p.check()
			for name, want := range c.want {
				if got := fs.Lookup(name).Value.String(); got != want {
					t.Errorf("--%s: got %q; want %q", name, got, want)
				}
			}
			if !slices.Equal(p.notes, c.notes) {
				t.Errorf("notes:\n got %q\nwant %q", p.notes, c.notes)
			}
			if !slices.Equal(p.problems, c.problems) {
				t.Errorf("problems:\n got %q\nwant %q", p.problems, c.problems)
			}
			if !fs.Parsed() {
				t.Error("the flag set is not marked parsed")
			}
		})
	}
}

func TestParserHelp(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"--worker", "--help"}} {
		fs, l := newTestFlags()
		p := newParser(fs, l)
		p.args(args)
		if !p.help {
			t.Errorf("%q: help not asked for", args)
		}
	}
}

// Every Locust option is listed once, under names of its own and not under a worker flag's.
func TestLocustOptionsAreDistinct(t *testing.T) {
	fs, _ := newTestFlags()
	seen := map[string]bool{}
	for _, opt := range locustOptions {
		for _, name := range opt.names {
			if seen[name] {
				t.Errorf("%s is listed twice", name)
			}
			seen[name] = true
			if fs.Lookup(name[1:]) != nil || fs.Lookup(name[min(2, len(name)-1):]) != nil {
				t.Errorf("%s is also a flag of the worker", name)
			}
		}
	}
}
