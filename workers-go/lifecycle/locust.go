package lifecycle

import "flag"

// The command lines Locust's own tooling gives a worker. The community Helm chart starts it with
// --worker (plus the chart's worker.args) and says where the master is in
// LOCUST_MASTER_NODE_HOST and LOCUST_MASTER_NODE_PORT, beside LOCUST_HOST, LOCUST_LOGLEVEL and
// LOCUST_LOCUSTFILE; the Kubernetes operator passes its command seed (e.g. "--locustfile
// /lotest/src/test.py"), then --worker --master-port=5557 --master-host=NAME and the test's
// extra arguments. Those are `locust` options, which the Go worker takes here the way `locust
// --worker` takes them: flags before the environment, the environment before the defaults.

// role is what the Go worker does with a Locust option it does not register as a flag.
type role int

const (
	// masterOnly options are the master's business: `locust --worker` ignores them too (the
	// community chart gives the master's environment to the workers as well).
	masterOnly role = iota
	// ignored options change nothing a Go worker does; each given one is logged once.
	ignored
	// refused options ask for something the Go worker cannot do: it exits 2 naming them.
	refused
)

// arity is how many arguments a Locust option takes after its name.
type arity int

const (
	noValue   arity = iota
	oneValue        // the next argument, or --name=value
	anyValues       // argparse's nargs="*": the following arguments up to the next option
)

// locustOption is one of Locust's options that is not one of the Go worker's flags.
type locustOption struct {
	names []string // as Locust spells them: "-u", "--users"
	env   string   // Locust's environment variable for it; "" when it has none
	arity arity
	role  role
	why   string // for ignored and refused options: what the Go worker does instead
}

// locustOptions lists every option of `locust` 2.x that is not also a flag of the Go worker.
// tests/test_e2e_locust_worker_args.py checks that it covers the installed Locust's options.
var locustOptions = []locustOption{
	{names: []string{"-f", "--locustfile"}, env: "LOCUST_LOCUSTFILE", arity: oneValue, role: ignored,
		why: "a Go worker runs the users built into it or given by --scenario, not a Python locustfile"},
	{names: []string{"--processes"}, env: "LOCUST_PROCESSES", arity: oneValue, role: ignored,
		why: "one Go worker process uses every CPU its pod or machine gives it"},

	{names: []string{"--master"}, env: "LOCUST_MODE_MASTER", role: refused,
		why: "this is the Go worker, never a master; run the master with `locust --master`"},
	{names: []string{"--otel"}, env: "LOCUST_ENABLE_OPENTELEMETRY", role: refused,
		why: "the Go worker does not export OpenTelemetry; the master's InfluxDB export (--influxdb-url) records the fleet's stats"},
	{names: []string{"--reset-stats"}, env: "LOCUST_RESET_STATS", role: refused,
		why: "the Go worker cannot reset its stats when spawning completes; give --reset-stats to the master only"},
	{names: []string{"--equal-weights"}, role: refused,
		why: "the Go worker runs the weights of its scenario or Go users"},
	{names: []string{"--config"}, arity: oneValue, role: refused,
		why: "the Go worker reads no Locust configuration file; pass its settings as flags or LOCUST_* variables"},
	{names: []string{"--config-users"}, env: "LOCUST_CONFIG_USERS", arity: anyValues, role: refused,
		why: "the Go worker's users come from --scenario or its Go code"},
	{names: []string{"-l", "--list"}, role: refused, why: "the Go worker has no Locust user classes to list"},
	{names: []string{"--show-task-ratio"}, role: refused, why: "the Go worker has no Locust user classes"},
	{names: []string{"--show-task-ratio-json"}, role: refused, why: "the Go worker has no Locust user classes"},
	{names: []string{"-V", "--version"}, role: refused, why: "the Go worker is not Locust and has no Locust version"},

	{names: []string{"-u", "--users"}, env: "LOCUST_USERS", arity: oneValue},
	{names: []string{"-r", "--spawn-rate"}, env: "LOCUST_SPAWN_RATE", arity: oneValue},
	{names: []string{"-t", "--run-time"}, env: "LOCUST_RUN_TIME", arity: oneValue},
	{names: []string{"--web-host"}, env: "LOCUST_WEB_HOST", arity: oneValue},
	{names: []string{"--web-host-display-name"}, env: "LOCUST_WEB_HOST_DISPLAY_NAME", arity: oneValue},
	{names: []string{"-P", "--web-port"}, env: "LOCUST_WEB_PORT", arity: oneValue},
	{names: []string{"--autostart"}, env: "LOCUST_AUTOSTART"},
	{names: []string{"--autoquit"}, env: "LOCUST_AUTOQUIT", arity: oneValue},
	{names: []string{"--headful"}, env: "LOCUST_HEADFUL"},
	{names: []string{"--web-login"}, env: "LOCUST_WEB_LOGIN"},
	{names: []string{"--tls-cert"}, env: "LOCUST_TLS_CERT", arity: oneValue},
	{names: []string{"--tls-key"}, env: "LOCUST_TLS_KEY", arity: oneValue},
	{names: []string{"--class-picker"}, env: "LOCUST_USERCLASS_PICKER"},
	{names: []string{"--build-path"}, env: "LOCUST_BUILD_PATH", arity: oneValue},
	{names: []string{"--master-bind-host"}, env: "LOCUST_MASTER_BIND_HOST", arity: oneValue},
	{names: []string{"--master-bind-port"}, env: "LOCUST_MASTER_BIND_PORT", arity: oneValue},
	{names: []string{"--expect-workers"}, env: "LOCUST_EXPECT_WORKERS", arity: oneValue},
	{names: []string{"--expect-workers-max-wait"}, env: "LOCUST_EXPECT_WORKERS_MAX_WAIT", arity: oneValue},
	{names: []string{"--enable-rebalancing"}},
	{names: []string{"--web-base-path"}, env: "LOCUST_WEB_BASE_PATH", arity: oneValue},
	// Locust's master hands its tags to its workers with each spawn.
	{names: []string{"-T", "--tags"}, env: "LOCUST_TAGS", arity: anyValues},
	{names: []string{"-E", "--exclude-tags"}, env: "LOCUST_EXCLUDE_TAGS", arity: anyValues},
	{names: []string{"--csv"}, env: "LOCUST_CSV", arity: oneValue},
	{names: []string{"--csv-full-history"}, env: "LOCUST_CSV_FULL_HISTORY"},
	{names: []string{"--print-stats"}, env: "LOCUST_PRINT_STATS"},
	{names: []string{"--only-summary"}, env: "LOCUST_ONLY_SUMMARY"},
	{names: []string{"--html"}, env: "LOCUST_HTML", arity: oneValue},
	{names: []string{"--json"}},
	{names: []string{"--json-file"}, arity: oneValue},
	{names: []string{"--exit-code-on-error"}, env: "LOCUST_EXIT_CODE_ON_ERROR", arity: oneValue},
	// The master hands its stop timeout to its workers with each spawn.
	{names: []string{"-s", "--stop-timeout"}, env: "LOCUST_STOP_TIMEOUT", arity: oneValue},
	{names: []string{"--profile"}, arity: oneValue},
}

// userClassesEnv is Locust's variable for the user classes a command line lists at its end.
const userClassesEnv = "LOCUST_USER_CLASSES"

// userClassesWhy says why the Go worker refuses Locust user classes, given as arguments or in
// userClassesEnv.
const userClassesWhy = "the Go worker's users come from --scenario or its Go code, not Locust user classes (--user-class names the master's class they stand for)"

// flagEnv maps Locust's environment variables to the Go worker flags that honour them.
var flagEnv = []struct{ env, flag string }{
	{"LOCUST_MODE_WORKER", "worker"},
	{"LOCUST_MASTER_NODE_HOST", "master-host"},
	{"LOCUST_MASTER_NODE_PORT", "master-port"},
	{"LOCUST_HOST", "target"},
	{"LOCUST_HEADLESS", "headless"},
	{"LOCUST_LOGLEVEL", "loglevel"},
	{"LOCUST_LOGFILE", "logfile"},
	{"LOCUST_SKIP_LOG_SETUP", "skip-log-setup"},
}

// locustFlags are the flags the Go worker takes under Locust's names.
type locustFlags struct {
	worker, headless, skipLogSetup bool
	target, loglevel, logfile      string
}

// register adds the flags to fs; -H and --host are Locust's names for --target, -L for --loglevel.
func (l *locustFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&l.worker, "worker", false, "Accepted as 'locust --worker' takes it (env LOCUST_MODE_WORKER); the Go worker is always a worker.")
	fs.BoolVar(&l.headless, "headless", false, "Accepted as 'locust --worker' takes it (env LOCUST_HEADLESS); a worker has no web UI.")
	fs.BoolVar(&l.skipLogSetup, "skip-log-setup", false, "Accepted as Locust takes it (env LOCUST_SKIP_LOG_SETUP); the Go worker sets up no logging to skip.")
	const target = "Base URL of the system under test; overrides the scenario's host. Locust's -H/--host, env LOCUST_HOST."
	fs.StringVar(&l.target, "target", "", target)
	fs.StringVar(&l.target, "host", "", "Same as --target.")
	fs.StringVar(&l.target, "H", "", "Same as --target.")
	const level = "DEBUG, INFO, WARNING, ERROR or CRITICAL (env LOCUST_LOGLEVEL); the Go worker logs the same at every level."
	fs.StringVar(&l.loglevel, "loglevel", "INFO", level)
	fs.StringVar(&l.loglevel, "L", "INFO", "Same as --loglevel.")
	fs.StringVar(&l.logfile, "logfile", "", "Write the log to this file instead of stderr (env LOCUST_LOGFILE).")
}

// aliases maps a flag name to the flag whose value it shares.
var aliases = map[string]string{"host": "target", "H": "target", "L": "loglevel"}

func canonical(name string) string {
	if c, ok := aliases[name]; ok {
		return c
	}
	return name
}
