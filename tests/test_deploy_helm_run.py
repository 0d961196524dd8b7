"""The Helm chart's run to completion, run: the containers `helm template` renders for the master
Job and the workers' Job, their arguments and environment exactly, started as the images start
them (the master image's entrypoint, the worker image's /worker) against the counting target and a
real InfluxDB. The master's exit code is the test's, and what the target served is what Locust
counted and InfluxDB holds.

What stands in for the cluster, and nothing else: the master's Service name becomes 127.0.0.1 and
its port 5557 a free port (the master gets --master-bind-host/--master-bind-port appended, its only
extra arguments); the scenario ConfigMap and the spool volume are directories at the paths the
pods mount them; the token comes out of the rendered Secret.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import ssl
import subprocess
import urllib.request
from pathlib import Path

import pytest
import yaml

from harness.exported import sums_by_name, the_run
from harness.influxd import InfluxServer
from harness.manifests import containers, name_of, pod_failure_action, tool
from harness.parts import HttpsTarget, Target
from harness.procs import REPO, VENV_BIN, free_port, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.builds]

CHART = REPO / "deploy" / "helm" / "locust-fleet"
ENTRYPOINT = str(REPO / "deploy" / "docker" / "entrypoint.sh")
RELEASE = "ci"
MASTER = f"{RELEASE}-locust-fleet-master"
SCENARIO_MOUNT = "/etc/locust-fleet/scenario"
SPOOL_MOUNT = "/var/lib/locust-fleet/spool"
TOKEN = "tok-3b7e0c"
# Paced users (about 100 requests a second each) over two endpoints; the failing one fails every request.
PASSING = "wait: {constant: 10ms}\ntasks:\n  - {name: home, path: /, weight: 2}\n  - {name: about, path: /about}\n"
FAILING = PASSING + "  - {name: broken, path: /status/503}\n"


def render(values: dict, tmp: Path) -> dict[tuple[str, str], dict]:
    path = tmp / "values.json"
    path.write_text(json.dumps(values))
    out = subprocess.run([tool("helm"), "template", RELEASE, str(CHART), "--values", str(path)],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return {(d["kind"], name_of(d)): d for d in yaml.safe_load_all(out.stdout) if d}


def run_values(target: Target, scenario: str, tmp_path: Path, influx_url: str = "") -> dict:
    values = {"target": target.url, "demoTarget": {"enabled": False},
              "master": {"runToCompletion": True, "runTime": "4s", "users": 4, "spawnRate": 4,
                         "runTags": {"suite": "helm", "build": "1.4.2"},
                         "extraArgs": ["--json-file", str(tmp_path / "stats")]},
              "worker": {"replicas": 2, "scenario": {"files": {"scenario.yaml": scenario}}}}
    if influx_url:
        values["influxdb"] = {"url": influx_url, "token": TOKEN}
    return values


def start_rendered(procs, objects: dict, go_bin: dict, tmp_path: Path, provided: dict | None = None) -> tuple:
    """The master Job's and the workers' Job's containers, started as their images start them.
    provided: {(kind, name): {key: text}}, the ConfigMaps and Secrets the user creates beforehand."""
    port = free_port()
    mounts = {SCENARIO_MOUNT: tmp_path / "scenario", SPOOL_MOUNT: tmp_path / "spool"}
    for directory in mounts.values():
        directory.mkdir()
    scenario = objects.get(("ConfigMap", f"{RELEASE}-locust-fleet-scenario"), {"data": {}})
    for name, text in scenario["data"].items():
        (mounts[SCENARIO_MOUNT] / name).write_text(text)
    secrets = {(kind, name): {key: base64.b64decode(value).decode() for key, value in d["data"].items()}
               for (kind, name), d in objects.items() if kind == "Secret"} | (provided or {})
    for job in (objects["Job", MASTER], objects["Job", f"{RELEASE}-locust-fleet-worker"]):
        volumes = {v["name"]: v for v in job["spec"]["template"]["spec"]["volumes"]}
        for mount in containers(job)[0].get("volumeMounts", []):
            volume = volumes[mount["name"]]
            for source in (volume.get("projected") or {}).get("sources", []):  # the user's Secret beside the scenario
                if "secret" in source:
                    for key, text in provided["Secret", source["secret"]["name"]].items():
                        (mounts[mount["mountPath"]] / key).write_text(text)
            kind, source = ("ConfigMap", volume.get("configMap")) if "configMap" in volume else \
                ("Secret", volume.get("secret"))
            if source and mount["mountPath"] not in mounts:  # the user's, its items where the pod has them
                directory = mounts[mount["mountPath"]] = tmp_path / mount["name"]
                directory.mkdir()
                name = source.get("name") or source["secretName"]
                for item in source["items"]:
                    (directory / item["path"]).write_text(provided[kind, name][item["key"]])

    def local(value: str) -> str:
        for mount, directory in mounts.items():
            value = value.replace(mount, str(directory))
        return value.replace(f"={MASTER}", "=127.0.0.1").replace("--master-port=5557", f"--master-port={port}")

    master_container = containers(objects["Job", MASTER])[0]
    env = {"PATH": f"{VENV_BIN}:{os.environ['PATH']}"}
    for e in master_container["env"]:
        if "valueFrom" in e:
            ref = e["valueFrom"]["secretKeyRef"]
            env[e["name"]] = secrets["Secret", ref["name"]][ref["key"]]
        else:
            env[e["name"]] = local(e["value"])
    master = procs.start("master", [ENTRYPOINT, *map(local, master_container["args"]),
                                    "--master-bind-host", "127.0.0.1", "--master-bind-port", str(port)], env)
    worker_job = objects["Job", f"{RELEASE}-locust-fleet-worker"]
    worker_args = [local(a) for a in containers(worker_job)[0]["args"]]
    workers = [procs.start(f"worker-{i}", [str(go_bin["worker"]), *worker_args])
               for i in range(worker_job["spec"]["parallelism"])]
    return master, workers


def run_rendered(procs, objects: dict, go_bin: dict, tmp_path: Path, provided: dict | None = None,
                 exit_code: int = 0):
    """start_rendered, then the master's Job ends with exit_code and every worker with 0 (its master
    told it to quit); the master's process, for its log."""
    master, workers = start_rendered(procs, objects, go_bin, tmp_path, provided)
    assert master.wait(90) == exit_code, master.log()[-3000:]
    for w in workers:
        assert w.wait(20) == 0, w.log()[-2000:]
    return master


def counted(tmp_path: Path) -> dict[str, tuple[int, int]]:
    return {e["name"]: (e["num_requests"], e["num_failures"])
            for e in json.loads((tmp_path / "stats.json").read_text())}


@pytest.fixture(autouse=True)
def no_locust_environment(monkeypatch):
    """The processes get exactly the LOCUST_* variables the rendered containers give them."""
    for name in [n for n in os.environ if n.startswith("LOCUST_")]:
        monkeypatch.delenv(name)


def test_run_to_completion_passes_with_exit_0_and_exports_exact_counts(procs, go_bin, own_influx, tmp_path):
    influx = own_influx  # the chart writes to its default database, locust
    target = Target(procs, go_bin["target"])
    objects = render(run_values(target, PASSING, tmp_path, influx.url), tmp_path)
    master = run_rendered(procs, objects, go_bin, tmp_path)
    served = target.counts()
    assert served["GET /"] > 0 and served["GET /about"] > 0, served
    assert counted(tmp_path) == {"home": (served["GET /"], 0), "about": (served["GET /about"], 0)}
    run = the_run(influx)
    assert (run["suite"], run["build"]) == ("helm", "1.4.2")
    sums = sums_by_name(influx, run["run_id"])
    assert (sums["home"], sums["about"]) == ((served["GET /"], 0), (served["GET /about"], 0))
    assert TOKEN not in master.log()


def test_run_to_completion_takes_a_token_from_a_secret_made_from_a_file(procs, go_bin, own_influx, tmp_path):
    """influxdb.existingSecret made as `kubectl create secret generic influxdb-token --from-file=token=token.txt`
    holds the file's last newline: the master sent it in the header, which requests refused, and
    stopped with a traceback that showed the token. The token is taken without it; the run exports."""
    target = Target(procs, go_bin["target"])
    values = run_values(target, PASSING, tmp_path, own_influx.url)
    values["influxdb"] = {"url": own_influx.url, "existingSecret": "influxdb-token"}
    objects = render(values, tmp_path)
    master = run_rendered(procs, objects, go_bin, tmp_path, {("Secret", "influxdb-token"): {"token": TOKEN + "\n"}})
    served = target.counts()
    sums = sums_by_name(own_influx, the_run(own_influx)["run_id"])
    assert (sums["home"], sums["about"]) == ((served["GET /"], 0), (served["GET /about"], 0))
    assert TOKEN not in master.log()


def test_run_to_completion_exports_to_an_influxdb_1x_with_a_user_over_https_with_its_ca(procs, go_bin, tmp_path):
    """influxdb.username with its password in the user's Secret, influxdb.caConfigMap with the CA of
    an https InfluxDB 1.x that requires a user, influxdb.server: the rendered master reaches it and
    exports exact counts (without the chart's values there was no way to mount a CA, so an https
    InfluxDB with a private CA could not be used)."""
    with InfluxServer(tmp_path / "influxdb", auth=True, tls=True) as influx:
        influx.create_admin("locust", "pw-5e1d9c")
        target = Target(procs, go_bin["target"])
        values = run_values(target, PASSING, tmp_path)
        values["influxdb"] = {"url": influx.url, "username": "locust", "existingSecret": "influx-v1",
                              "server": 1, "caConfigMap": "corp-ca", "caKey": "bundle.pem"}
        objects = render(values, tmp_path)
        provided = {("Secret", "influx-v1"): {"password": "pw-5e1d9c"},
                    ("ConfigMap", "corp-ca"): {"bundle.pem": influx.cert.read_text()}}
        master = run_rendered(procs, objects, go_bin, tmp_path, provided)
        assert f"InfluxDB at {influx.url} is InfluxDB 1.x" in master.log()
        served = target.counts()
        sums = sums_by_name(influx, the_run(influx)["run_id"])
        assert (sums["home"], sums["about"]) == ((served["GET /"], 0), (served["GET /about"], 0))
        assert "pw-5e1d9c" not in master.log()


def test_run_to_completion_against_a_target_with_a_private_ca_and_client_certificates(procs, go_bin, tmp_path):
    """worker.targetTLS: an https target whose certificate the company's CA signed and that serves only
    clients with a certificate of that CA; the CA, the client certificate and its key in the user's
    Secret (cert-manager's keys), mounted where the rendered --tls-* flags name them. The run passes
    and every request the target served is counted."""
    target = HttpsTarget(procs, go_bin, tmp_path / "pki", client_auth=True)
    values = run_values(target, PASSING, tmp_path)
    del values["worker"]["scenario"]  # GET / to target, the TLS settings as the worker's flags
    values["worker"]["targetTLS"] = {"existingSecret": "api-mtls", "clientCertKey": "tls.crt",
                                     "clientKeyKey": "tls.key"}
    objects = render(values, tmp_path)
    pki = target.pki
    provided = {("Secret", "api-mtls"): {"ca.crt": (pki / "ca.pem").read_text(),
                                         "tls.crt": (pki / "client.pem").read_text(),
                                         "tls.key": (pki / "client.key").read_text()}}
    run_rendered(procs, objects, go_bin, tmp_path, provided)
    served = target.counts()
    assert served["GET /"] > 0 and counted(tmp_path) == {"/": (served["GET /"], 0)}, served


def test_run_to_completion_reads_its_accounts_from_a_secret_beside_the_scenario(procs, go_bin, tmp_path):
    """worker.scenario.existingSecret: the scenario's accounts.csv, with its passwords, comes from the
    user's Secret, mounted in the scenario's directory where the scenario names it; the run passes
    and counts what the target served."""
    target = Target(procs, go_bin["target"])
    scenario = "data: {accounts: {csv: accounts.csv}}\nwait: {constant: 10ms}\n" \
               "tasks: [{name: home, path: \"/?u={{ accounts.user }}\"}]\n"
    values = run_values(target, scenario, tmp_path)
    values["worker"]["scenario"]["existingSecret"] = "checkout-accounts"
    objects = render(values, tmp_path)
    provided = {("Secret", "checkout-accounts"): {"accounts.csv": "user,password\nalice,pw-1\nbob,pw-2\n"}}
    run_rendered(procs, objects, go_bin, tmp_path, provided)
    served = target.counts()
    assert served["GET /"] > 0 and counted(tmp_path) == {"home": (served["GET /"], 0)}, served


def test_run_to_completion_with_failures_exits_1_without_influxdb(procs, go_bin, tmp_path):
    target = Target(procs, go_bin["target"])
    objects = render(run_values(target, FAILING, tmp_path), tmp_path)
    assert "LOCUST_INFLUXDB_URL" not in {e["name"] for e in containers(objects["Job", MASTER])[0]["env"]}
    run_rendered(procs, objects, go_bin, tmp_path, exit_code=1)
    served = target.counts()
    assert counted(tmp_path) == {"home": (served["GET /"], 0), "about": (served["GET /about"], 0),
                                 "broken": (served["GET /status/503"], served["GET /status/503"])}
    assert served["GET /status/503"] > 0


def test_run_to_completion_judged_by_thresholds_exits_3_when_one_fails(procs, go_bin, tmp_path):
    """master.thresholds, a CI run's pass/fail: the Job's exit code is 3 when one failed (a failing
    endpoint here), and the summary in the pod's log names each threshold's result."""
    target = Target(procs, go_bin["target"])
    values = run_values(target, FAILING, tmp_path)
    values["master"]["thresholds"] = ["home: fail_ratio<1%", "broken: fail_ratio<1%", "requests>0"]
    objects = render(values, tmp_path)
    master = run_rendered(procs, objects, go_bin, tmp_path, exit_code=3)
    log = master.log()
    assert "Thresholds: 2 passed, 1 failed (exit code 3)" in log, log[-3000:]
    [row] = [line for line in log.splitlines() if line.startswith("broken: fail_ratio<1%")]
    assert row.split()[-2:] == ["100.00%", "FAIL"], row


def test_web_ui_over_https_answers_the_rendered_readiness_probe(procs, tmp_path):
    """The master Deployment of master.tls.existingSecret, started as its image starts it with the
    Secret's files where the pod mounts them: Locust takes the rendered flags and the rendered
    readiness probe (HTTPS, certificate not verified, as the kubelet asks) gets 200."""
    objects = render({"master": {"tls": {"existingSecret": "ui-tls"}}}, tmp_path)
    container = containers(objects["Deployment", MASTER])[0]
    tls_dir = tmp_path / "tls"
    tls_dir.mkdir()
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=master",
                    "-keyout", str(tls_dir / "tls.key"), "-out", str(tls_dir / "tls.crt")],
                   check=True, capture_output=True, timeout=60)
    [mount] = [m for m in container["volumeMounts"] if m["name"] == "tls"]
    args = [a.replace(mount["mountPath"], str(tls_dir)) for a in container["args"]]
    env = {"PATH": f"{VENV_BIN}:{os.environ['PATH']}", "LOCUST_SPOOL_DIR": str(tmp_path / "spool")}
    web_port = free_port()
    master = procs.start("master", [ENTRYPOINT, *args, "--master-bind-host", "127.0.0.1", "--master-bind-port",
                                    str(free_port()), "--web-host", "127.0.0.1", "--web-port", str(web_port)], env)
    probe = container["readinessProbe"]["httpGet"]
    url = f"{probe.get('scheme', 'HTTP').lower()}://127.0.0.1:{web_port}{probe['path']}"
    unverified = ssl.create_default_context()
    unverified.check_hostname, unverified.verify_mode = False, ssl.CERT_NONE

    def ready() -> bool:
        assert master.alive(), master.log()[-3000:]
        try:
            with urllib.request.urlopen(url, timeout=2, context=unverified) as resp:
                return resp.status == 200
        except OSError:
            return False

    wait_until(ready, 30, f"the readiness probe {url} to pass")


def test_a_master_that_fails_at_start_fails_the_workers_job_within_its_wait(procs, go_bin, tmp_path):
    """A malformed threshold stops the master at start (exit 2), so its Service never answers. The
    workers wait for it master.expectWorkersMaxWait (their --connect-timeout), then exit 1, which the
    rendered podFailurePolicy turns into the end of the workers' Job. Before, the Job restarted each
    worker in place (restartPolicy OnFailure) to wait again, 6 x replicas times, until
    `helm uninstall`."""
    target = Target(procs, go_bin["target"])
    values = run_values(target, PASSING, tmp_path)
    values["master"].update(thresholds=["p95<fast"], expectWorkersMaxWait=4)
    objects = render(values, tmp_path)
    worker_job = objects["Job", f"{RELEASE}-locust-fleet-worker"]
    master, workers = start_rendered(procs, objects, go_bin, tmp_path)

    assert master.wait(30) == 2, master.log()[-3000:]
    assert "p95<fast" in master.log()
    for w in workers:
        code = w.wait(20)
        # as a rule it never answered; a worker that reached it just before it quit saw it go
        assert code == 1 and ("no master answered" in w.log() or "lost the master" in w.log()), \
            (code, w.log()[-2000:])
        assert pod_failure_action(worker_job, {"worker": code}) == "FailJob"
    assert sum(target.counts().values()) == 0


def test_a_master_killed_mid_run_fails_the_workers_job_at_once(procs, go_bin, tmp_path):
    """The master's pod is gone mid-run (killed, evicted, out of memory): its Job has one attempt, so
    it never comes back; the workers see its sockets close and exit 1 within seconds, which ends
    their Job instead of replacing them with workers that would wait for nothing."""
    target = Target(procs, go_bin["target"])
    values = run_values(target, PASSING, tmp_path)
    values["master"]["runTime"] = "60s"
    objects = render(values, tmp_path)
    worker_job = objects["Job", f"{RELEASE}-locust-fleet-worker"]
    master, workers = start_rendered(procs, objects, go_bin, tmp_path)
    wait_until(lambda: sum(target.counts().values()) > 0, 30, "traffic at the target")
    master.signal(signal.SIGKILL)
    for w in workers:
        code = w.wait(15)
        assert code == 1, (code, w.log()[-2000:])
        assert pod_failure_action(worker_job, {"worker": code}) == "FailJob"


def test_a_worker_killed_mid_run_is_replaced_and_the_run_completes(procs, go_bin, tmp_path):
    """A worker killed mid-run (SIGKILL, as the kernel kills a container out of memory: exit code 137)
    fails alone: the workers' Job replaces it with a fresh pod (Count) rather than ending, the fresh
    worker registers with the running master, and the run ends with exit 0."""
    target = Target(procs, go_bin["target"])
    values = run_values(target, PASSING, tmp_path)
    values["master"]["runTime"] = "15s"
    objects = render(values, tmp_path)
    worker_job = objects["Job", f"{RELEASE}-locust-fleet-worker"]
    master, (killed, other) = start_rendered(procs, objects, go_bin, tmp_path)
    wait_until(lambda: sum(target.counts().values()) > 0, 30, "traffic at the target")
    killed.signal(signal.SIGKILL)
    assert killed.wait(10) == -signal.SIGKILL
    assert pod_failure_action(worker_job, {"worker": 128 + signal.SIGKILL}) == "Count"
    fresh = procs.start("worker-fresh", killed.args)  # the pod the Job controller starts in its place
    wait_until(lambda: master.log().count("reported as ready") >= 3, 20, "the fresh worker to register")
    assert master.wait(60) == 0, master.log()[-3000:]
    for w in (other, fresh):
        assert w.wait(20) == 0, w.log()[-2000:]
