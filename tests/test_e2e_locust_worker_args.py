"""Locust's own Kubernetes tooling starting the Go worker, end to end: the exact command lines and
environments that the community Helm chart and the Locust Kubernetes operator give a worker (and
the master), run against a real Locust master with master/locustfile.py, the real worker binary and
the counting target, whose counts must equal Locust's.

Where the lists come from (read in their sources):
- the community chart, deliveryhero/helm-charts stable/locust 0.35.0: templates/worker-deployment.yaml
  gives the worker `args: [--worker, *worker.args]` and, with worker.envs_include_default (on by
  default), LOCUST_HOST, LOCUST_MASTER_NODE_HOST (the master's Service), LOCUST_MASTER_NODE_PORT
  "5557", LOCUST_LOGLEVEL (worker.logLevel, INFO) and LOCUST_LOCUSTFILE
  (loadtest.locust_locustfile_path/locust_locustfile, /mnt/locust/main.py), then worker.environment
  and loadtest.environment, which the master gets too; templates/master-deployment.yaml gives the
  master `args: [--master, *master.args, --headless (loadtest.headless)]` and LOCUST_HOST,
  LOCUST_LOGLEVEL, LOCUST_LOCUSTFILE.
- the operator, AbdelrhmanHamouda/locust-k8s-operator: internal/resources/command.go builds a
  worker's args as `*fields(worker.command), [--otel], --worker, --master-port=5557,
  --master-host=<test>-master, *worker.extraArgs` and the master's as `*fields(master.command),
  [--otel], --master, --master-port=5557, --expect-workers=N, --autostart, --autoquit T,
  --enable-rebalancing, --only-summary, *master.extraArgs`; job.go sets them as the container's
  args (the image's entrypoint stays, one image for both roles); env.go gives both the KAFKA_*
  variables of the operator's configuration (defaults below) and env.variables.

In the cluster the master's address is a Service name and its port 5557; here they are 127.0.0.1
and a free port, the only substitutions. Both roles start through the master image's entrypoint
(deploy/docker/entrypoint.sh) where that image serves them, with `locust` and
`locust-fleet-worker` on PATH as in the image.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml
from locust.argument_parser import get_parser

from harness.parts import Master, Target
from harness.procs import REPO, VENV_BIN, free_port, wait_until
from locust_fleet.options import add_arguments

pytestmark = pytest.mark.e2e

ENTRYPOINT = str(REPO / "deploy" / "docker" / "entrypoint.sh")
# A paced scenario (about 100 requests a second per user) over two endpoints of the target.
SCENARIO = """\
wait: {constant: 10ms}
tasks:
  - {name: home, path: /, weight: 2}
  - {name: about, path: /about}
"""
LOCUSTFILE_NOTE = ("ignored: a Go worker runs the users built into it or given by --scenario, "
                   "not a Python locustfile")
OTEL_REFUSAL = ("worker: --otel: the Go worker does not export OpenTelemetry; the master's InfluxDB export "
                "(--influxdb-url) records the fleet's stats\n")
# The operator's configuration defaults (internal/config/config.go), given to every pod it starts.
OPERATOR_ENV = {"KAFKA_BOOTSTRAP_SERVERS": "localhost:9092", "KAFKA_SECURITY_ENABLED": "false",
                "KAFKA_SECURITY_PROTOCOL_CONFIG": "SASL_PLAINTEXT", "KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
                "KAFKA_SASL_JAAS_CONFIG": "", "KAFKA_USERNAME": "", "KAFKA_PASSWORD": ""}


@pytest.fixture(autouse=True)
def no_locust_environment(monkeypatch):
    """The processes get exactly the LOCUST_* variables a test gives them, none of the caller's."""
    for name in [n for n in os.environ if n.startswith("LOCUST_")]:
        monkeypatch.delenv(name)


@pytest.fixture
def image_path(go_bin, tmp_path) -> dict[str, str]:
    """PATH as in the master image: `locust` and `locust-fleet-worker` (the Go worker)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "locust-fleet-worker").symlink_to(go_bin["worker"])
    return {"PATH": f"{bin_dir}:{VENV_BIN}:{os.environ['PATH']}"}


@pytest.fixture
def scenario(tmp_path) -> Path:
    path = tmp_path / "scenario.yaml"
    path.write_text(SCENARIO)
    return path


def chart_worker_env(master_port: int, target: str, loadtest_environment: dict[str, str]) -> dict[str, str]:
    """The community chart's worker environment (envs_include_default), then loadtest.environment."""
    return {"LOCUST_HOST": target, "LOCUST_MASTER_NODE_HOST": "127.0.0.1",
            "LOCUST_MASTER_NODE_PORT": str(master_port), "LOCUST_LOGLEVEL": "INFO",
            "LOCUST_LOCUSTFILE": "/mnt/locust/main.py", **loadtest_environment}


def operator_worker_args(seed: str, master_port: int, extra: list[str], otel: bool = False) -> list[str]:
    """BuildWorkerCommand: the command seed's fields, [--otel], the operator's flags, extraArgs."""
    return [*seed.split(), *(["--otel"] if otel else []), "--worker", f"--master-port={master_port}",
            "--master-host=127.0.0.1", *extra]


def assert_counts_exact(report: Path, target: Target) -> None:
    """Locust's counts per endpoint equal what the target served: GET / (the scenario's home and the
    default user's /), GET /about."""
    entries = [e for e in json.loads(report.read_text())]
    served = target.counts()
    by_path: dict[str, int] = {}
    for e in entries:
        path = {"home": "/", "about": "/about", "/": "/"}[e["name"]]
        by_path[f"GET {path}"] = by_path.get(f"GET {path}", 0) + e["num_requests"]
        assert e["num_failures"] == 0, e
    assert by_path == served, (by_path, served)
    assert served.get("GET /about", 0) > 0 and served.get("GET /", 0) > 0, served


def test_community_chart_worker_args_and_environment(procs, go_bin, image_path, scenario, tmp_path):
    """Values: master.image the master image with master.command null (its entrypoint), worker.image
    the worker image with worker.command [/worker]; loadtest.headless; the run's settings in
    loadtest.environment, which both roles get. Two workers: worker.args empty (GET / against
    LOCUST_HOST) and worker.args [--scenario FILE]."""
    target = Target(procs, go_bin["target"])
    port, report = free_port(), tmp_path / "stats"
    loadtest_environment = {"LOCUST_USERS": "4", "LOCUST_SPAWN_RATE": "4", "LOCUST_RUN_TIME": "4s",
                            "LOCUST_EXPECT_WORKERS": "2"}
    master_args = ["--master-bind-host", "127.0.0.1", "--master-bind-port", str(port), "--json-file", str(report)]
    master_env = {"LOCUST_HOST": target.url, "LOCUST_LOGLEVEL": "INFO", "LOCUST_LOCUSTFILE": "/mnt/locust/main.py",
                  **loadtest_environment, **image_path}
    master = procs.start("master", [ENTRYPOINT, "--master", *master_args, "--headless"], master_env)
    worker_env = chart_worker_env(port, target.url, loadtest_environment)
    workers = [procs.start(f"worker-{i}", [str(go_bin["worker"]), "--worker", *args], worker_env)
               for i, args in enumerate([[], ["--scenario", str(scenario)]])]

    assert master.wait(90) == 0, master.log()[-3000:]
    for w in workers:
        assert w.wait(20) == 0, w.log()[-2000:]
        notes = [line for line in w.log().splitlines() if " ignored: " in line]
        assert len(notes) == 1 and notes[0].endswith(f"worker: LOCUST_LOCUSTFILE=/mnt/locust/main.py {LOCUSTFILE_NOTE}"), notes
    assert_counts_exact(report.with_suffix(".json"), target)
    assert 'All users spawned: {"GoWorkerUser": 4} (4 total users)' in master.log()


def test_operator_master_and_worker_args(procs, go_bin, image_path, scenario, tmp_path):
    """The LocustTest of docs/kubernetes.md: image the master image, master.command "--run-tag
    suite=operator", worker.replicas 2, LOCUST_HOST in env.variables (every pod gets them), here
    with master.autoquit {enabled: true, timeout: 0} and master.extraArgs holding the run's
    settings (and, for this machine, loopback addresses and free ports); two kinds of worker: the
    documented seed "--scenario FILE" and the operator's sample seed "--locustfile
    /lotest/src/locustfile.py"."""
    target = Target(procs, go_bin["target"])
    port, web_port, report = free_port(), free_port(), tmp_path / "stats"
    pod_env = {**OPERATOR_ENV, "LOCUST_HOST": target.url, **image_path}
    master_args = [*"--run-tag suite=operator".split(), "--master", "--master-port=5557", "--expect-workers=2",
                   "--autostart", "--autoquit", "0", "--enable-rebalancing", "--only-summary",
                   "--users", "4", "--spawn-rate", "4", "--run-time", "4s", "--json-file", str(report),
                   "--master-bind-host", "127.0.0.1", "--master-bind-port", str(port),
                   "--web-host", "127.0.0.1", "--web-port", str(web_port)]
    master = procs.start("master", [ENTRYPOINT, *master_args], pod_env)
    workers = [
        procs.start("worker-scenario-seed", [ENTRYPOINT, *operator_worker_args(f"--scenario {scenario}", port, [])],
                    pod_env),
        procs.start("worker-locustfile-seed",
                    [ENTRYPOINT, *operator_worker_args("--locustfile /lotest/src/locustfile.py", port, [])], pod_env),
    ]

    assert master.wait(90) == 0, master.log()[-3000:]
    for w in workers:
        assert w.wait(20) == 0, w.log()[-2000:]
    assert " ignored: " not in workers[0].log()
    assert f"worker: --locustfile /lotest/src/locustfile.py {LOCUSTFILE_NOTE}" in workers[1].log()
    assert_counts_exact(report.with_suffix(".json"), target)
    assert "--autoquit time reached, shutting down" in master.log()


def listening_socket() -> socket.socket:
    """A stand-in master port that shows whether anyone connected."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen()
    s.setblocking(False)
    return s


REFUSED = [
    pytest.param(lambda port: operator_worker_args("--scenario s.yaml", port, [], otel=True),
                 {"OTEL_EXPORTER_OTLP_ENDPOINT": "otel-collector:4317", "OTEL_TRACES_EXPORTER": "otlp"},
                 OTEL_REFUSAL, id="operator with OpenTelemetry: --otel"),
    pytest.param(lambda port: ["--worker", "--reset-stats"], {"LOCUST_MASTER_NODE_PORT": "PORT"},
                 "worker: --reset-stats: the Go worker cannot reset its stats when spawning completes; "
                 "give --reset-stats to the master only\n", id="chart worker.args: --reset-stats"),
    pytest.param(lambda port: ["--worker"], {"LOCUST_MASTER_NODE_PORT": "PORT", "LOCUST_MODE_MASTER": "true"},
                 "worker: LOCUST_MODE_MASTER=true: this is the Go worker, never a master; run the master with "
                 "`locust --master`\n", id="chart loadtest.environment: LOCUST_MODE_MASTER"),
    pytest.param(lambda port: operator_worker_args("--locustfile /lotest/src/t.py MyUser", port, ["--config", "a.conf"]),
                 {}, 'worker: unexpected argument "MyUser"; the Go worker\'s users come from --scenario or its Go '
                 "code, not Locust user classes (--user-class names the master's class they stand for)\nworker: --config: the Go worker reads no Locust configuration "
                 "file; pass its settings as flags or LOCUST_* variables\n", id="operator: user class and --config"),
    pytest.param(lambda port: ["--master", "--master-port=5557", "--expect-workers=2", "--autostart"], {},
                 "worker: --master: this is the Go worker, never a master; run the master with `locust --master`\n",
                 id="the operator's master command given to the worker image"),
]


@pytest.mark.parametrize("args, env, stderr", REFUSED)
def test_what_the_worker_cannot_honour_is_named_one_a_line(go_bin, args, env, stderr):
    with listening_socket() as master:
        port = master.getsockname()[1]
        env = {k: v.replace("PORT", str(port)) for k, v in env.items()}
        result = subprocess.run([str(go_bin["worker"]), *args(port)], capture_output=True, text=True, timeout=30,
                                env={**os.environ, **env})
        assert (result.returncode, result.stderr) == (2, stderr)
        with pytest.raises(BlockingIOError):
            master.accept()  # it never connected


def test_flags_win_over_the_environment_with_a_real_master(procs, go_bin):
    """The chart's variables point at a decoy port; --master-host/--master-port in worker.args point at
    the master, and win: the worker joins the master and never knocks at the decoy."""
    target = Target(procs, go_bin["target"])
    master = Master(procs)
    with listening_socket() as decoy:
        env = chart_worker_env(decoy.getsockname()[1], target.url, {})
        procs.start("worker", [str(go_bin["worker"]), "--worker", "--master-host", "127.0.0.1",
                               "--master-port", str(master.port)], env)
        wait_until(lambda: len(master.workers()) == 1, 20, "the worker to join the master")
        with pytest.raises(BlockingIOError):
            decoy.accept()


def test_the_entrypoint_runs_the_worker_for_locust_mode_worker(image_path):
    result = subprocess.run([ENTRYPOINT, "--otel"], capture_output=True, text=True, timeout=30,
                            env={**os.environ, **image_path, "LOCUST_MODE_WORKER": "True"})
    assert (result.returncode, result.stderr) == (2, OTEL_REFUSAL)


def locust_option_lines() -> list[tuple[str, list[str]]]:
    """Each option of the installed Locust's parser with a value when it takes one; not the ones
    Locust itself rejects (renamed options) nor -h."""
    lines = []
    for action in get_parser()._actions:
        names = action.option_strings
        if not names or "--help" in names or type(action).__name__ == "ErrorRaisingAction":
            continue
        value = [] if action.nargs == 0 else ["1"]
        lines += [(name, [name, *value]) for name in names]
    return lines


def test_every_locust_option_is_known_to_the_worker(go_bin, tmp_path):
    """Locust's options, one at a time with a value when they take one: each is taken (the worker
    goes on to look for its master, which is not there: exit 1), or refused or logged by name;
    none is an unknown flag, and none takes more or fewer arguments than in Locust."""
    with listening_socket() as closed:
        port = closed.getsockname()[1]
    base = ["--master-host", "127.0.0.1", "--master-port", str(port), "--connect-timeout", "100ms",
            "--target", "http://127.0.0.1:9"]

    def run(line: tuple[str, list[str]]) -> tuple[str, int, str]:
        name, args = line
        result = subprocess.run([str(go_bin["worker"]), *args, *base], capture_output=True, text=True, timeout=30,
                                cwd=tmp_path)  # --logfile 1 writes there
        return name, result.returncode, result.stderr

    lines = locust_option_lines()
    assert len(lines) > 60, lines
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(run, lines))
    wrong = [(name, code, err) for name, code, err in results
             if code not in (1, 2) or "unknown flag" in err or "unexpected argument" in err or "missing its value" in err
             or (code == 2 and not err.startswith(f"worker: {name}: "))]
    assert not wrong, wrong


DOC = REPO / "docs" / "kubernetes.md"
YAML_BLOCK = re.compile(r"^( *)```yaml\n(.*?)^\1```", re.S | re.M)


def documented(mark: str) -> list[dict]:
    blocks = [textwrap.dedent(b) for _, b in YAML_BLOCK.findall(DOC.read_text())]
    return [yaml.safe_load(b) for b in blocks if b.startswith(mark) or b.startswith(f"apiVersion: {mark}")]


def run_until_it_looks_for_its_master(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    """The worker with args and env, --connect-timeout appended so that it gives up at once; exit 1
    (no master) shows the rest was taken."""
    return subprocess.run([*args, "--connect-timeout", "200ms"], capture_output=True, text=True, timeout=30,
                          env={**os.environ, **env})


def test_the_docs_community_chart_values_give_a_worker_it_takes(go_bin, tmp_path):
    values = next(v for v in documented("# values for deliveryhero/locust") if "worker" in v)
    worker = values["worker"]
    assert worker["command"] == ["/worker"], "the worker image's binary"
    (tmp_path / "scenario.yaml").write_text(SCENARIO)  # the ConfigMap mounted at /mnt/locust
    args = [a.replace("/mnt/locust", str(tmp_path)) for a in ["--worker", *worker["args"]]]
    with listening_socket() as closed:
        port = closed.getsockname()[1]
    result = run_until_it_looks_for_its_master([str(go_bin["worker"]), *args],
                                               chart_worker_env(port, values["loadtest"]["locust_host"], {}))
    assert result.returncode == 1 and f"no master at 127.0.0.1:{port}" in result.stderr, result.stderr
    assert f"worker: LOCUST_LOCUSTFILE=/mnt/locust/main.py {LOCUSTFILE_NOTE}" in result.stderr
    assert "worker: will run tasks \"about\", \"home\" against https://api.example.com" in result.stderr
    assert values["master"]["command"] is None, "the master image's entrypoint"


def test_the_docs_locusttest_gives_commands_both_roles_take(image_path, tmp_path):
    [test] = documented("locust.io/v2")
    spec = test["spec"]
    env = {v["name"]: v.get("value", "from-a-secret") for v in spec["env"]["variables"]}
    (tmp_path / "scenario.yaml").write_text(SCENARIO)  # testFiles.configMapRef, mounted at /lotest/src
    with listening_socket() as closed:
        port = closed.getsockname()[1]
    seed = spec["worker"]["command"].replace("/lotest/src", str(tmp_path))
    result = run_until_it_looks_for_its_master(
        [ENTRYPOINT, *operator_worker_args(seed, port, spec["worker"].get("extraArgs", []))], {**env, **image_path})
    assert result.returncode == 1 and f"no master at 127.0.0.1:{port}" in result.stderr, result.stderr
    assert "worker: will run tasks \"about\", \"home\" against https://api.example.com" in result.stderr
    # The master's command line as the entrypoint completes it parses with Locust's and the plugin's options.
    master = spec["master"]
    parser = get_parser()
    add_arguments(parser)
    options = parser.parse_args(["-f", "master/locustfile.py", "--master", "--master-bind-host", "0.0.0.0",
                                 *master["command"].split(), "--master", "--master-port=5557",
                                 f"--expect-workers={spec['worker']['replicas']}", "--autostart", "--autoquit", "60",
                                 "--enable-rebalancing", "--only-summary", *master["extraArgs"]])
    assert (options.num_users, options.run_time, options.run_tag) == (500, 600, ["suite=checkout"])


def test_logfile_from_the_environment_takes_the_log(go_bin, tmp_path):
    with listening_socket() as closed:
        port = closed.getsockname()[1]
    log = tmp_path / "worker.log"
    result = run_until_it_looks_for_its_master(
        [str(go_bin["worker"]), "--worker", "-f", "/mnt/locust/main.py"],
        {"LOCUST_LOGFILE": str(log), "LOCUST_MASTER_NODE_PORT": str(port), "LOCUST_HOST": "http://127.0.0.1:9"})
    assert (result.returncode, result.stderr) == (1, "")
    text = log.read_text()
    assert f"worker: -f /mnt/locust/main.py {LOCUSTFILE_NOTE}" in text and f"no master at 127.0.0.1:{port}" in text


def test_help_tells_what_becomes_of_locust_s_options(go_bin):
    result = subprocess.run([str(go_bin["worker"]), "-h"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0
    for line in ["  variables of the flags above (a flag wins over its variable): LOCUST_MODE_WORKER, "
                 "LOCUST_MASTER_NODE_HOST, LOCUST_MASTER_NODE_PORT, LOCUST_HOST,",
                 "  ignored, and logged: -f/--locustfile, --processes\n",
                 "  refused (exit 2): --master, --otel, --reset-stats,"]:
        assert line in result.stderr, result.stderr
    # boomer's own words ("Usually, it's for debug purpose") told nothing of what the worker does with it
    assert "-run-tasks string\n    \tRun without a master: one user runs on_start, the named tasks once each" \
        in result.stderr, result.stderr
