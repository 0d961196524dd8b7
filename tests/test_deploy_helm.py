"""The Helm chart (deploy/helm/locust-fleet), rendered by the Helm that `make setup` builds (pinned):
`helm lint --strict` and `helm template` for the default values and each combination that changes
what is rendered (a headless soak, a run to completion, worker autoscaling, InfluxDB with the
chart's Secret or one of the user's, an external target with a scenario of the user's). Every
rendering is cross-checked with the checks deploy/k8s gets (harness/manifests.py: selectors,
ports, references, secrets not inlined, only the workers reach the master's port, autoscaler and
budgets), then for what the combination promises. Bad values are refused, all at once, each
named. Nothing is applied to a cluster; test_deploy_helm_run.py runs the rendered command lines.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import inspect
import json
import re
import os
import shlex
import shutil
import subprocess
import tarfile
import textwrap
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from harness.manifests import (SECRET_ENV, Manifests, check_fields, check_network_policy, check_pod_failure_policies,
                               containers, image_problem, name_of, pod_failure_action, pod_labels, pod_spec, problems,
                               selects, stopping_master_needs, stopping_worker_needs, tool)
from harness.procs import REPO
from locust.argument_parser import get_parser
from locust_fleet.influx_client import database_name_problem, kind_name
from locust_fleet.model import FIELDS, RESERVED_TAGS, RUNS, TIME
from locust_fleet.options import ConfigError, add_arguments, check_url, parse_run_tags
from locust_fleet.spool import Spool
from locust_fleet.threshold_judge import EXIT_BREACHED, EXIT_INTERRUPTED

pytestmark = pytest.mark.builds  # helm from .tools/bin

CHART = REPO / "deploy" / "helm" / "locust-fleet"
RELEASE = "perf"
PREFIX = f"{RELEASE}-locust-fleet"
TOKEN = "tok-9f2c51d0e6a4"  # a token that must never appear in the rendered output in clear


def helm(*args: str, values: dict | None = None, tmp: Path | None = None) -> subprocess.CompletedProcess:
    extra = []
    if values is not None:
        assert tmp is not None
        path = tmp / "values.json"  # JSON is YAML: no --set quoting
        path.write_text(json.dumps(values))
        extra = ["--values", str(path)]
    return subprocess.run([tool("helm"), *args, *extra], capture_output=True, text=True, timeout=120)


def render(values: dict, tmp: Path) -> tuple[str, list[dict]]:
    out = helm("template", RELEASE, str(CHART), "--namespace", "load", values=values, tmp=tmp)
    assert out.returncode == 0, f"helm template refused {values}:\n{out.stderr}"
    return out.stdout, [d for d in yaml.safe_load_all(out.stdout) if d]


def by_kind(docs: list[dict]) -> dict[tuple[str, str], dict]:
    return {(d["kind"], name_of(d)): d for d in docs}


def args_of(doc: dict) -> list[str]:
    return [str(a) for a in containers(doc)[0].get("args") or []]


def env_of(doc: dict) -> dict[str, dict]:
    return {e["name"]: e for e in containers(doc)[0].get("env") or []}


SPREAD = {"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "ScheduleAnyway"}


def platform_settings(part: str) -> dict:
    """What a platform team gives every workload: a priority, a spread over zones, its labels, variables
    from its ConfigMaps and Secrets, and a volume of its own."""
    return {"priorityClassName": "load-test", "topologySpreadConstraints": [
                SPREAD, {**SPREAD, "topologyKey": "kubernetes.io/hostname", "whenUnsatisfiable": "DoNotSchedule",
                         "minDomains": 2, "labelSelector": {"matchLabels": {"team": "perf"}}}],
            "podLabels": {"team": "perf", "example.com/cost-center": "4711"},
            "envFrom": [{"configMapRef": {"name": "team-settings"}}, {"secretRef": {"name": f"{part}-env"},
                                                                     "prefix": "TEAM_"}],
            "extraVolumes": [{"name": "data", "persistentVolumeClaim": {"claimName": f"{part}-data"}}],
            "extraVolumeMounts": [{"name": "data", "mountPath": "/data", "readOnly": True}]}


# name -> (values, ConfigMaps and Secrets the user creates beforehand)
COMBINATIONS: dict[str, tuple[dict, dict]] = {
    "defaults": ({}, {}),
    "headless soak": ({"master": {"headless": True, "users": 200, "extraArgs": ["--stop-timeout", "10"]},
                       "worker": {"extraArgs": ["--max-rps", 500]}}, {}),
    "run to completion": ({"master": {"runToCompletion": True, "runTime": "2m", "users": 50, "spawnRate": 5,
                                      "runTags": {"build": "1.4.2", "suite": "nightly smoke"},
                                      "thresholds": ["fail_ratio<1%", "POST /login: p99<1s"]},
                           "influxdb": {"url": "http://influxdb.monitoring:8086", "token": TOKEN},
                           "worker": {"replicas": 4,
                                      "scenario": {"files": {"scenario.yaml": "tasks: [{path: /}]\n"}}}}, {}),
    "autoscaling": ({"worker": {"autoscaling": {"enabled": True, "minReplicas": 3, "maxReplicas": 30}}}, {}),
    "existing secret": ({"influxdb": {"url": "https://influx.example.com", "existingSecret": "team-influx",
                                      "tokenKey": "api-token"}},
                        {"Secret": {"team-influx": {"api-token"}}}),
    "InfluxDB 1.x user over https": ({"influxdb": {"url": "https://influx.example.com:8086", "username": "locust",
                                                   "existingSecret": "influx-v1", "server": 1,
                                                   "caConfigMap": "corp-ca", "caKey": "bundle.pem"}},
                                     {"Secret": {"influx-v1": {"password"}}, "ConfigMap": {"corp-ca": {"bundle.pem"}}}),
    "external target and scenario": ({"target": "https://api.example.com", "demoTarget": {"enabled": False},
                                      "worker": {"scenario": {"existingConfigMap": "checkout-flow",
                                                              "file": "flow.yaml"}}},
                                     {"ConfigMap": {"checkout-flow": None}}),
    "web UI behind an Ingress": ({"master": {"ingress": {"enabled": True, "className": "nginx",
                                                      "host": "locust.example.com",
                                                      "tls": {"secretName": "locust-example-com"}}},
                                  "networkPolicy": {"webFrom": [{"namespaceSelector": {"matchLabels": {
                                      "kubernetes.io/metadata.name": "ingress-nginx"}}}]}}, {}),
    "target TLS from a Secret": ({"target": "https://api.internal:8443", "demoTarget": {"enabled": False},
                                  "worker": {"targetTLS": {"existingSecret": "api-mtls", "clientCertKey": "tls.crt",
                                                           "clientKeyKey": "tls.key"}}},
                                 {"Secret": {"api-mtls": {"ca.crt", "tls.crt", "tls.key"}}}),
    "what a platform team adds": ({part: platform_settings(part) for part in ("master", "worker")},
                                  {"ConfigMap": {"team-settings": None},
                                   "Secret": {"master-env": None, "worker-env": None}}),
}


@pytest.fixture(params=list(COMBINATIONS), scope="module")
def rendering(request, tmp_path_factory):
    values, provided = COMBINATIONS[request.param]
    text, docs = render(values, tmp_path_factory.mktemp("values"))
    return request.param, values, provided, text, docs


def test_helm_lint(tmp_path):
    for name, (values, _) in COMBINATIONS.items():
        out = helm("lint", "--strict", str(CHART), values=values, tmp=tmp_path)
        assert out.returncode == 0, f"{name}: helm lint --strict:\n{out.stdout}{out.stderr}"
        assert "0 chart(s) failed" in out.stdout, out.stdout


def test_helm_rendering_cross_checks(rendering):
    name, _, provided, _, docs = rendering
    found = problems(Manifests([(f"helm template ({name})", d) for d in docs], provided))
    assert not found, "\n".join(found)


def test_helm_rendering_labels_and_names(rendering):
    _, _, _, _, docs = rendering
    for d in docs:
        labels = d["metadata"].get("labels") or {}
        assert labels.get("app.kubernetes.io/instance") == RELEASE and name_of(d).startswith(PREFIX), d["metadata"]
    for d in docs:
        if d["kind"] in ("Deployment", "Job"):
            component = pod_labels(d)["app.kubernetes.io/component"]
            assert name_of(d) == f"{PREFIX}-{component}"


def test_helm_rendering_is_non_root_and_keeps_tokens_away(rendering):
    _, _, _, text, docs = rendering
    assert TOKEN not in text
    for d in docs:
        if d["kind"] in ("Deployment", "Job"):
            spec = pod_spec(d)
            assert spec["automountServiceAccountToken"] is False
            assert spec["securityContext"]["runAsNonRoot"] and spec["securityContext"]["runAsUser"] >= 10000
            for c in containers(d):
                sc = c["securityContext"]
                assert (sc["readOnlyRootFilesystem"], sc["allowPrivilegeEscalation"], sc["capabilities"]) == \
                    (True, False, {"drop": ["ALL"]}), (name_of(d), sc)


def test_helm_defaults(tmp_path):
    _, docs = render({}, tmp_path)
    objects = by_kind(docs)
    assert set(objects) == {
        ("Deployment", f"{PREFIX}-master"), ("Service", f"{PREFIX}-master"), ("Deployment", f"{PREFIX}-worker"),
        ("Deployment", f"{PREFIX}-target"), ("Service", f"{PREFIX}-target"), ("NetworkPolicy", f"{PREFIX}-master"),
        ("PodDisruptionBudget", f"{PREFIX}-master"), ("PodDisruptionBudget", f"{PREFIX}-worker")}
    master, worker = objects["Deployment", f"{PREFIX}-master"], objects["Deployment", f"{PREFIX}-worker"]
    assert args_of(master) == [f"--host=http://{PREFIX}-target:8080", "--enable-rebalancing"]
    assert set(env_of(master)) == {"LOCUST_SPOOL_DIR"}, "no InfluxDB is configured, so nothing is exported"
    assert args_of(worker) == ["--worker", f"--master-host={PREFIX}-master", "--master-port=5557",
                               f"--target=http://{PREFIX}-target:8080"]
    assert worker["spec"]["replicas"] == 2 and master["spec"]["strategy"] == {"type": "Recreate"}
    service_ports = {p["name"]: (p["port"], p["targetPort"]) for p in objects["Service", f"{PREFIX}-master"]["spec"]["ports"]}
    assert service_ports == {"workers": (5557, "workers"), "web": (8089, "web")}
    assert containers(master)[0]["readinessProbe"]["httpGet"] == {"path": "/", "port": "web"}
    policy = objects["NetworkPolicy", f"{PREFIX}-master"]["spec"]
    assert policy["ingress"][1] == {"ports": [{"protocol": "TCP", "port": 8089}]}, "the web UI is open to anyone"


def test_helm_run_to_completion(tmp_path):
    text, docs = render(COMBINATIONS["run to completion"][0], tmp_path)
    objects = by_kind(docs)
    master, worker = objects["Job", f"{PREFIX}-master"], objects["Job", f"{PREFIX}-worker"]
    assert master["spec"]["backoffLimit"] == 0 and pod_spec(master)["restartPolicy"] == "Never", \
        "one attempt, so the Job's result is the test's exit code"
    assert args_of(master) == [f"--host=http://{PREFIX}-target:8080", "--headless", "--users=50", "--spawn-rate=5",
                               "--run-time=2m", "--expect-workers=4", "--expect-workers-max-wait=300",
                               "--enable-rebalancing", "--run-tag=build=1.4.2", "--run-tag=suite=nightly smoke",
                               "--threshold=fail_ratio<1%", "--threshold=POST /login: p99<1s"]
    env = env_of(master)
    assert env["LOCUST_INFLUXDB_URL"]["value"] == "http://influxdb.monitoring:8086"
    assert env["LOCUST_INFLUXDB_TOKEN"]["valueFrom"] == {"secretKeyRef": {"name": f"{PREFIX}-influxdb", "key": "token"}}
    secret = objects["Secret", f"{PREFIX}-influxdb"]
    assert base64.b64decode(secret["data"]["token"]).decode() == TOKEN
    assert worker["spec"]["parallelism"] == 4 and worker["spec"]["backoffLimit"] == 24
    # the worker's exit codes (workers-go/lifecycle): a master gone or never there (1) and a bad flag or
    # scenario (2) end the Job; a worker the master forgot (3) or one killed (137) is replaced
    assert {code: pod_failure_action(worker, {"worker": code}) for code in (1, 2, 3, 137)} == \
        {1: "FailJob", 2: "FailJob", 3: "Count", 137: "Count"}
    assert "--connect-timeout=300s" in args_of(worker), "workers wait for the master as long as it waits for them"
    assert "--scenario=/etc/locust-fleet/scenario/scenario.yaml" in args_of(worker)
    assert objects["ConfigMap", f"{PREFIX}-scenario"]["data"] == {"scenario.yaml": "tasks: [{path: /}]\n"}
    # headless: no web UI to serve, probe or admit
    assert [p["name"] for p in objects["Service", f"{PREFIX}-master"]["spec"]["ports"]] == ["workers"]
    assert containers(master)[0]["readinessProbe"]["tcpSocket"] == {"port": "workers"}
    assert len(objects["NetworkPolicy", f"{PREFIX}-master"]["spec"]["ingress"]) == 1
    # a Job's pods have no scale subresource: the master's budget is minAvailable, the workers have none
    assert objects["PodDisruptionBudget", f"{PREFIX}-master"]["spec"]["minAvailable"] == 1
    assert ("PodDisruptionBudget", f"{PREFIX}-worker") not in objects
    assert not any(k == "HorizontalPodAutoscaler" for k, _ in objects)


def test_helm_headless_soak(tmp_path):
    _, docs = render(COMBINATIONS["headless soak"][0], tmp_path)
    master = by_kind(docs)["Deployment", f"{PREFIX}-master"]
    assert "--headless" in args_of(master) and "--users=200" in args_of(master)
    assert not any(a.startswith("--run-time") for a in args_of(master)), "a soak runs until stopped"


def test_helm_autoscaling(tmp_path):
    _, docs = render(COMBINATIONS["autoscaling"][0], tmp_path)
    objects = by_kind(docs)
    hpa = objects["HorizontalPodAutoscaler", f"{PREFIX}-worker"]["spec"]
    assert (hpa["minReplicas"], hpa["maxReplicas"], hpa["scaleTargetRef"]["name"]) == (3, 30, f"{PREFIX}-worker")
    assert "replicas" not in objects["Deployment", f"{PREFIX}-worker"]["spec"], "the autoscaler owns the replicas"
    assert "--enable-rebalancing" in args_of(objects["Deployment", f"{PREFIX}-master"])


KEDA_MARK = "# KEDA ScaledObject for release perf"


def test_helm_workers_scaled_by_the_docs_keda_scaled_object(tmp_path):
    """A team that scales with KEDA applies the ScaledObject of docs/kubernetes.md next to the chart:
    with the values it names (worker.autoscaling.external), the chart leaves the workers' replicas to
    it and makes no autoscaler of its own. Before, the Deployment set replicas (reset under KEDA at
    every upgrade), or with autoscaling on, the chart's autoscaler and KEDA's undid each other."""
    [block] = [textwrap.dedent(b) for _, b in YAML_BLOCK.findall(DOC.read_text())
               if textwrap.dedent(b).startswith(KEDA_MARK)]
    scaled_object = yaml.safe_load(block)
    values = yaml.safe_load(block.splitlines()[0].split(", with ", 1)[1])
    assert values == {"worker.autoscaling": {"enabled": True, "external": True}}, values
    values = {"worker": {"autoscaling": {"enabled": True, "external": True,
                                         "minReplicas": scaled_object["spec"]["minReplicaCount"],
                                         "maxReplicas": scaled_object["spec"]["maxReplicaCount"]}}}
    _, docs = render(values, tmp_path)
    assert problems(Manifests([("helm template", d) for d in docs] + [("docs", scaled_object)])) == []
    assert not [d for d in docs if d["kind"] == "HorizontalPodAutoscaler"]
    # the checks see what went wrong before: replicas set, or two autoscalers
    _, docs = render({}, tmp_path)
    assert problems(Manifests([("helm template", d) for d in docs] + [("docs", scaled_object)])) == [
        f"docs: ScaledObject/{PREFIX}-worker: Deployment/{PREFIX}-worker sets replicas, which every upgrade would "
        "reset under the autoscaler"]
    _, docs = render({"worker": {"autoscaling": {"enabled": True}}}, tmp_path)
    assert problems(Manifests([("helm template", d) for d in docs] + [("docs", scaled_object)])) == [
        f"Deployment/{PREFIX}-worker is scaled by 2 autoscalers, which undo each other: helm template: "
        f"HorizontalPodAutoscaler/{PREFIX}-worker, docs: ScaledObject/{PREFIX}-worker"]


def test_helm_existing_secret(tmp_path):
    text, docs = render(COMBINATIONS["existing secret"][0], tmp_path)
    objects = by_kind(docs)
    assert not any(k == "Secret" for k, _ in objects), "the user's Secret is referenced, not created"
    env = env_of(objects["Deployment", f"{PREFIX}-master"])
    assert env["LOCUST_INFLUXDB_TOKEN"]["valueFrom"] == {"secretKeyRef": {"name": "team-influx", "key": "api-token"}}
    assert "checksum/influxdb-token" not in text


def test_helm_influxdb_1x_user_over_https_with_a_ca(tmp_path):
    """A 1.x user (its password from the user's Secret), the server named, and the CA of an https
    InfluxDB from a ConfigMap: each reaches the master as the environment variable of its option,
    the CA mounted at the path LOCUST_INFLUXDB_CA_FILE names; no token."""
    values, provided = COMBINATIONS["InfluxDB 1.x user over https"]
    _, docs = render(values, tmp_path)
    master = by_kind(docs)["Deployment", f"{PREFIX}-master"]
    env = env_of(master)
    assert env["LOCUST_INFLUXDB_USERNAME"]["value"] == "locust"
    assert env["LOCUST_INFLUXDB_PASSWORD"]["valueFrom"] == {"secretKeyRef": {"name": "influx-v1", "key": "password"}}
    assert env["LOCUST_INFLUXDB_SERVER"]["value"] == "1" and "LOCUST_INFLUXDB_TOKEN" not in env
    [mount] = [m for m in containers(master)[0]["volumeMounts"] if m["name"] == "influxdb-ca"]
    [volume] = [v for v in pod_spec(master)["volumes"] if v["name"] == "influxdb-ca"]
    assert volume["configMap"] == {"name": "corp-ca", "items": [{"key": "bundle.pem", "path": "ca.crt"}]}
    assert env["LOCUST_INFLUXDB_CA_FILE"]["value"] == f"{mount['mountPath']}/ca.crt"
    # the checks see a CA key the user's ConfigMap does not have
    assert problems(Manifests([("helm template", d) for d in docs],
                              {**provided, "ConfigMap": {"corp-ca": {"ca.crt"}}})) == [
        f"helm template: Deployment/{PREFIX}-master: volume 'influxdb-ca' uses key 'bundle.pem' of ConfigMap "
        "'corp-ca', which has only ['ca.crt']"]


def test_helm_external_target_and_scenario(tmp_path):
    _, docs = render(COMBINATIONS["external target and scenario"][0], tmp_path)
    objects = by_kind(docs)
    worker = objects["Deployment", f"{PREFIX}-worker"]
    assert args_of(worker)[-2:] == ["--scenario=/etc/locust-fleet/scenario/flow.yaml",
                                    "--target=https://api.example.com"]
    assert pod_spec(worker)["volumes"] == [{"name": "scenario", "configMap": {"name": "checkout-flow"}}]
    assert not any(name.endswith("-target") or k == "ConfigMap" for k, name in objects)


def test_helm_web_ui_over_https(tmp_path):
    """master.tls.existingSecret: the Secret mounted, Locust's --tls-cert/--tls-key on it, and the
    readiness probe asking over HTTPS (over HTTP it never passes, and the workers, which reach the
    master through its Service, would never find it). test_deploy_helm_run.py starts it."""
    _, docs = render({"master": {"tls": {"existingSecret": "ui-tls"}}}, tmp_path)
    found = problems(Manifests([("helm template (tls)", d) for d in docs], {"Secret": {"ui-tls": {"tls.crt", "tls.key"}}}))
    assert not found, "\n".join(found)
    master = by_kind(docs)["Deployment", f"{PREFIX}-master"]
    container = containers(master)[0]
    assert args_of(master)[1:3] == ["--tls-cert=/etc/locust-fleet/tls/tls.crt", "--tls-key=/etc/locust-fleet/tls/tls.key"]
    assert {"name": "tls", "mountPath": "/etc/locust-fleet/tls", "readOnly": True} in container["volumeMounts"]
    assert {"name": "tls", "secret": {"secretName": "ui-tls"}} in pod_spec(master)["volumes"]
    assert container["readinessProbe"]["httpGet"] == {"path": "/", "port": "web", "scheme": "HTTPS"}


def test_helm_web_ui_behind_an_ingress(tmp_path):
    """master.ingress: the controller reaches the web UI through the master's Service, its port web;
    the checks would see a backend that is no Service or port of the release. Before, the schema
    refused the key and an Ingress was the user's to write."""
    _, docs = render(COMBINATIONS["web UI behind an Ingress"][0], tmp_path)
    ingress = by_kind(docs)["Ingress", f"{PREFIX}-master"]
    assert ingress["spec"] == {
        "ingressClassName": "nginx", "tls": [{"secretName": "locust-example-com", "hosts": ["locust.example.com"]}],
        "rules": [{"host": "locust.example.com", "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {
            "service": {"name": f"{PREFIX}-master", "port": {"name": "web"}}}}]}}]}
    ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["port"] = {"name": "http"}
    assert problems(Manifests([("t", d) for d in docs])) == [
        f"t: Ingress/{PREFIX}-master: path '/' goes to port {{'name': 'http'}} of Service/{PREFIX}-master, which has "
        "no such port"]


TARGET_TLS = "/etc/locust-fleet/target-tls"


def test_helm_target_tls_from_a_secret(tmp_path):
    """An https target signed by the company's CA that asks for a client certificate: the CA and the
    client's certificate and key come from the user's Secret (cert-manager's keys), mounted into the
    workers under fixed names that the worker's --tls-* flags name; test_deploy_helm_run.py runs it.
    Before, the chart had no way to give them but worker.scenario.files, a ConfigMap."""
    _, docs = render(COMBINATIONS["target TLS from a Secret"][0], tmp_path)
    worker = by_kind(docs)["Deployment", f"{PREFIX}-worker"]
    assert args_of(worker)[3:] == ["--target=https://api.internal:8443", f"--tls-ca-file={TARGET_TLS}/ca.crt",
                                   f"--tls-client-cert={TARGET_TLS}/client.crt",
                                   f"--tls-client-key={TARGET_TLS}/client.key"]
    assert containers(worker)[0]["volumeMounts"] == [{"name": "target-tls", "mountPath": TARGET_TLS, "readOnly": True}]
    assert pod_spec(worker)["volumes"] == [{"name": "target-tls", "secret": {"secretName": "api-mtls", "items": [
        {"key": "ca.crt", "path": "ca.crt"}, {"key": "tls.crt", "path": "client.crt"},
        {"key": "tls.key", "path": "client.key"}]}}]
    # with a scenario, its tls: names the files (the worker refuses the flags beside a scenario)
    scenario = f"tls: {{ca_file: {TARGET_TLS}/ca.crt}}\ntasks: [{{path: /}}]\n"
    _, docs = render({"target": "https://api.internal:8443", "demoTarget": {"enabled": False},
                      "worker": {"targetTLS": {"existingSecret": "corp-ca"},
                                 "scenario": {"files": {"scenario.yaml": scenario}}}}, tmp_path)
    worker = by_kind(docs)["Deployment", f"{PREFIX}-worker"]
    assert not [a for a in args_of(worker) if a.startswith("--tls-")], args_of(worker)
    assert {"name": "target-tls", "secret": {"secretName": "corp-ca", "items": [{"key": "ca.crt", "path": "ca.crt"}]}} \
        in pod_spec(worker)["volumes"]
    assert not problems(Manifests([("t", d) for d in docs], {"Secret": {"corp-ca": {"ca.crt"}}}))


PRIVATE_KEY = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIB\n-----END EC PRIVATE KEY-----\n"


ACCOUNTS_SCENARIO = "data: {accounts: {csv: accounts.csv}}\ntasks: [{path: \"/?u={{ accounts.user }}\"}]\n"


def test_helm_refuses_passwords_in_the_scenario_configmap_and_mounts_them_from_a_secret(tmp_path):
    """docs/scenario.md's accounts.csv (user,password) given in worker.scenario.files sat in a
    ConfigMap in clear: refused, naming the file and the column. worker.scenario.existingSecret mounts
    a Secret's files next to the scenario's, where the scenario names them (test_deploy_helm_run.py
    runs it)."""
    files = {"scenario.yaml": ACCOUNTS_SCENARIO, "accounts.csv": "user, Password\nalice,pw-1\n",
             "tenants.csv": "tenant,api_token\nacme,t-1\n", "items.csv": "sku,passes\nA1,3\n",
             "prompts.csv": "prompt,max_tokens\nhello,256\n"}
    out = helm("template", RELEASE, str(CHART), values={"worker": {"scenario": {"files": files}}}, tmp=tmp_path)
    assert out.returncode != 0 and not out.stdout, out.stdout
    assert [line.split(", which")[0] for line in out.stderr.splitlines() if "has a column" in line] == [
        'worker.scenario.files: "accounts.csv" has a column "Password"',
        'worker.scenario.files: "tenants.csv" has a column "api_token"'], out.stderr
    assert "pw-1" not in out.stderr and "name it in worker.scenario.existingSecret" in out.stderr
    values = {"worker": {"scenario": {"files": {"scenario.yaml": ACCOUNTS_SCENARIO},
                                      "existingSecret": "checkout-accounts"}}}
    _, docs = render(values, tmp_path)
    worker = by_kind(docs)["Deployment", f"{PREFIX}-worker"]
    assert pod_spec(worker)["volumes"] == [{"name": "scenario", "projected": {"sources": [
        {"configMap": {"name": f"{PREFIX}-scenario"}}, {"secret": {"name": "checkout-accounts"}}]}}]
    assert "--scenario=/etc/locust-fleet/scenario/scenario.yaml" in args_of(worker)
    assert not problems(Manifests([("t", d) for d in docs], {"Secret": {"checkout-accounts": {"accounts.csv"}}}))
    # the scenario in the Secret too, and no ConfigMap
    _, docs = render({"target": "https://api.example.com", "demoTarget": {"enabled": False},
                      "worker": {"scenario": {"existingSecret": "checkout", "file": "flow.yaml"}}}, tmp_path)
    worker = by_kind(docs)["Deployment", f"{PREFIX}-worker"]
    assert pod_spec(worker)["volumes"] == [{"name": "scenario", "projected": {"sources": [
        {"secret": {"name": "checkout"}}]}}]
    assert args_of(worker)[-2:] == ["--scenario=/etc/locust-fleet/scenario/flow.yaml", "--target=https://api.example.com"]


def test_helm_refuses_a_credential_written_into_the_scenario_configmap(tmp_path):
    """A scenario with `Authorization: "Bearer abc123"` or a basic auth password written in it, given in
    worker.scenario.files, put the credential in a ConfigMap in clear. Refused, naming the file and the
    field and not the value; a template of the worker's environment (docs/scenario.md) is taken, its
    variable from a Secret."""
    written = ('headers: {authorization: "Bearer abc123", X-Tenant: acme}\n'
               "tasks:\n"
               '  - {name: a, path: /, headers: {Authorization: "Bearer {{ env.API_TOKEN }}"}}\n'
               "  - {name: legacy, auth: {basic: {user: bob, password: hunter2}}, steps: [{path: /legacy}]}\n"
               '  - {name: data, auth: {basic: {user: "{{ accounts.user }}", password: "{{ env.PW }}"}}, '
               "steps: [{path: /x}]}\n")
    out = helm("template", RELEASE, str(CHART), values={"worker": {"scenario": {"files": {"flow.yaml": written},
                                                                                  "file": "flow.yaml"}}}, tmp=tmp_path)
    assert out.returncode != 0 and "abc123" not in out.stderr and "hunter2" not in out.stderr, out.stderr
    assert [line.split(" is written")[0] for line in out.stderr.splitlines() if "is written in the scenario" in line] \
        == ["worker.scenario.files: flow.yaml: headers.authorization",
            "worker.scenario.files: flow.yaml: tasks[1].auth.basic.password"], out.stderr
    templated = written.replace('"Bearer abc123"', '"Bearer {{ env.API_TOKEN }}"').replace("hunter2", '"{{ env.PW }}"')
    secret_env = [{"name": name, "valueFrom": {"secretKeyRef": {"name": "api", "key": name.lower()}}}
                  for name in ("API_TOKEN", "PW")]
    _, docs = render({"worker": {"scenario": {"files": {"flow.yaml": templated}, "file": "flow.yaml"},
                                 "extraEnv": secret_env}}, tmp_path)
    assert not problems(Manifests([("t", d) for d in docs], {"Secret": {"api": {"api_token", "pw"}}}))


def test_helm_refuses_a_private_key_in_the_scenario_configmap(tmp_path):
    """A scenario's tls.client_key given in worker.scenario.files landed in a ConfigMap, in clear for
    whoever may read ConfigMaps: refused, naming the file and where the key goes instead."""
    values = {"target": "https://api.internal", "demoTarget": {"enabled": False}, "worker": {"scenario": {"files": {
        "scenario.yaml": "tls: {client_cert: client.pem, client_key: client.key}\ntasks: [{path: /}]\n",
        "client.pem": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", "client.key": PRIVATE_KEY}}}}
    out = helm("template", RELEASE, str(CHART), values=values, tmp=tmp_path)
    assert out.returncode != 0 and not out.stdout, out.stdout
    assert [line for line in out.stderr.splitlines() if "private key" in line] == [
        'worker.scenario.files: "client.key" holds a private key, which a ConfigMap keeps in clear; put it in a '
        "Secret of yours and give it with worker.targetTLS.existingSecret (and its keys), then name "
        f"{TARGET_TLS}/client.key in the scenario's tls.client_key"], out.stderr
    assert "MHcCAQEEIB" not in out.stderr


@pytest.mark.parametrize("run_to_completion", [False, True], ids=["deployments", "jobs"])
def test_helm_pod_annotations_and_service_account(run_to_completion, tmp_path):
    """A mesh's sidecar kept out of the pods (a sidecar that keeps running keeps a Job from ending) and
    the ServiceAccount a cluster's policy requires: the schema refused both keys and nothing set them.
    The chart's own annotations (the checksums that restart the pods) stay beside them."""
    values = {"serviceAccountName": "load-tests",
              "master": {"podAnnotations": {"sidecar.istio.io/inject": "false", "team": "perf"}},
              "worker": {"podAnnotations": {"sidecar.istio.io/inject": "false"},
                         "scenario": {"files": {"scenario.yaml": SCENARIO}}},
              "influxdb": {"url": "http://influxdb:8086", "token": TOKEN}}
    if run_to_completion:
        values["master"].update(runToCompletion=True, runTime="1m")
    _, docs = render(values, tmp_path)
    assert not problems(Manifests([("t", d) for d in docs]))
    pods = {name_of(d): d["spec"]["template"] for d in docs if d["kind"] in ("Deployment", "Job")}
    assert {name: (pod["metadata"].get("annotations", {}).keys(), pod["spec"]["serviceAccountName"])
            for name, pod in pods.items()} == {
        f"{PREFIX}-master": ({"sidecar.istio.io/inject", "team", "checksum/influxdb-token"}, "load-tests"),
        f"{PREFIX}-worker": ({"sidecar.istio.io/inject", "checksum/scenario"}, "load-tests"),
        f"{PREFIX}-target": (set(), "load-tests")}
    assert pods[f"{PREFIX}-master"]["metadata"]["annotations"]["sidecar.istio.io/inject"] == "false"
    assert all(pod["spec"]["automountServiceAccountToken"] is False for pod in pods.values())


POOL = {"nodeSelector": {"pool": "load"}, "tolerations": [{"key": "dedicated", "value": "load", "effect": "NoSchedule"}],
        "affinity": {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": 100, "podAffinityTerm": {"topologyKey": "kubernetes.io/hostname",
                                                "labelSelector": {"matchLabels": {"pool": "load"}}}}]}}}


@pytest.mark.parametrize("run_to_completion", [False, True], ids=["deployments", "jobs"])
def test_helm_schedules_every_pod_on_a_tainted_node_pool(run_to_completion, tmp_path):
    """A node pool for load tests, tainted so that only pods that tolerate it land there: the master,
    the workers and the demo target each take nodeSelector, tolerations and affinity (the demo
    target had none of them and stayed Pending on such a cluster, so the workers had nothing to load)."""
    values = {part: dict(POOL) for part in ("master", "worker", "demoTarget")}
    if run_to_completion:
        values["master"].update(runToCompletion=True, runTime="1m")
    _, docs = render(values, tmp_path)
    pods = {name_of(d): pod_spec(d) for d in docs if d["kind"] in ("Deployment", "Job")}
    assert set(pods) == {f"{PREFIX}-master", f"{PREFIX}-worker", f"{PREFIX}-target"}
    for name, spec in pods.items():
        assert {key: spec.get(key) for key in POOL} == POOL, name


@pytest.mark.parametrize("run_to_completion", [False, True], ids=["deployments", "jobs"])
def test_helm_takes_what_a_platform_team_gives_every_pod(run_to_completion, tmp_path):
    """priorityClassName, topologySpreadConstraints, envFrom, pod labels and volumes of one's own, for the
    master and the workers: the schema refused each key and nothing set them. A spread constraint
    without a labelSelector selects the part's own pods (with none Kubernetes counts no pod and spreads
    nothing); the chart's volumes, mounts, labels and selectors stay as they were."""
    values, provided = COMBINATIONS["what a platform team adds"]
    values = {**values, "worker": {**values["worker"], "scenario": {"files": {"scenario.yaml": SCENARIO}}}}
    if run_to_completion:
        values["master"] = {**values["master"], "runToCompletion": True, "runTime": "1m"}
    _, docs = render(values, tmp_path)
    assert not problems(Manifests([("t", d) for d in docs], provided))
    # the references check sees the ConfigMaps and Secrets envFrom names
    assert problems(Manifests([("t", d) for d in docs], {"Secret": provided["Secret"]})) == [
        f"t: {kind}/{PREFIX}-{part}: container '{part}' envFrom uses ConfigMap 'team-settings', which is neither a "
        "manifest nor generated nor provided"
        for kind, part in ((("Job" if run_to_completion else "Deployment"), "master"),
                           (("Job" if run_to_completion else "Deployment"), "worker"))]
    workloads = {name_of(d): d for d in docs if d["kind"] in ("Deployment", "Job")}
    for part in ("master", "worker"):
        workload = workloads[f"{PREFIX}-{part}"]
        spec, [container] = pod_spec(workload), containers(workload)
        labels = pod_labels(workload)
        assert {k: labels[k] for k in ("team", "example.com/cost-center")} == {"team": "perf",
                                                                                "example.com/cost-center": "4711"}
        assert labels["app.kubernetes.io/component"] == part
        assert spec["priorityClassName"] == "load-test"
        own, given = spec["topologySpreadConstraints"]
        selector = {k: labels[k] for k in ("app.kubernetes.io/name", "app.kubernetes.io/instance",
                                            "app.kubernetes.io/component")}
        assert own == {**SPREAD, "labelSelector": {"matchLabels": selector}}
        assert not any(selects(own["labelSelector"]["matchLabels"], pod_labels(other))
                       for name, other in workloads.items() if name != name_of(workload)), "its own pods only"
        assert given == values[part]["topologySpreadConstraints"][1]
        assert container["envFrom"] == values[part]["envFrom"]
        assert {"name": "data", "mountPath": "/data", "readOnly": True} in container["volumeMounts"]
        assert {"name": "data", "persistentVolumeClaim": {"claimName": f"{part}-data"}} in spec["volumes"]
    # the chart's own mounts are still there
    assert {"spool", "tmp", "data"} <= {m["name"] for m in containers(workloads[f"{PREFIX}-master"])[0]["volumeMounts"]}
    assert {"scenario", "data"} == {m["name"] for m in containers(workloads[f"{PREFIX}-worker"])[0]["volumeMounts"]}


ASSIGNED_IDS = {"master": ("runAsUser", "runAsGroup", "fsGroup"), "worker": ("runAsUser", "runAsGroup"),
                "demoTarget": ("runAsUser", "runAsGroup")}


def test_helm_leaves_the_user_of_the_pods_to_a_platform_that_assigns_it(tmp_path):
    """OpenShift's restricted SCC gives each namespace a range of user ids and refuses a pod that asks for
    another: the chart's fixed 10001 and 65532 kept every pod from being created there, and nothing removed
    them. Each part's podSecurityContext ids, set to null as Helm takes it, are left out; non-root and the
    runtime's seccomp profile stay."""
    _, defaults = render({}, tmp_path)
    assert {name_of(d): pod_spec(d)["securityContext"] for d in defaults if d["kind"] == "Deployment"} == {
        f"{PREFIX}-master": {"runAsNonRoot": True, "runAsUser": 10001, "runAsGroup": 10001, "fsGroup": 10001,
                             "seccompProfile": {"type": "RuntimeDefault"}},
        **{f"{PREFIX}-{part}": {"runAsNonRoot": True, "runAsUser": 65532, "runAsGroup": 65532,
                                "seccompProfile": {"type": "RuntimeDefault"}} for part in ("worker", "target")}}
    nulls = [f"--set={part}.podSecurityContext.{key}=null" for part, keys in ASSIGNED_IDS.items() for key in keys]
    out = helm("template", RELEASE, str(CHART), *nulls)
    assert out.returncode == 0, out.stderr
    docs = [d for d in yaml.safe_load_all(out.stdout) if d]
    assert {name_of(d): pod_spec(d)["securityContext"] for d in docs if d["kind"] == "Deployment"} == {
        f"{PREFIX}-{part}": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
        for part in ("master", "worker", "target")}
    assert not problems(Manifests([("t", d) for d in docs]))
    # a null podSecurityContext as a whole is no value at all to Helm (as after --reuse-values): the defaults
    out = helm("template", RELEASE, str(CHART), "--set", "master.podSecurityContext=null")
    master = by_kind([d for d in yaml.safe_load_all(out.stdout) if d])["Deployment", f"{PREFIX}-master"]
    assert pod_spec(master)["securityContext"]["runAsUser"] == 10001, out.stderr
    _, docs = render({"worker": {"podSecurityContext": {"runAsUser": 1000680000, "supplementalGroups": [5000]}}},
                     tmp_path)
    assert pod_spec(by_kind(docs)["Deployment", f"{PREFIX}-worker"])["securityContext"] == {
        "runAsNonRoot": True, "runAsUser": 1000680000, "runAsGroup": 65532, "supplementalGroups": [5000],
        "seccompProfile": {"type": "RuntimeDefault"}}


@pytest.mark.parametrize("request_, limit", [("1024Mi", "1Gi"), ("1000m", 1), (0.5, "500m"), (1073741824, "1Gi"),
                                             ("1G", "1000M"), ("999m", "1")])
def test_helm_takes_requests_up_to_their_limits_in_any_unit(request_, limit, tmp_path):
    """The check of requests against limits compares quantities, not their spelling."""
    what = "memory" if str(limit).endswith(("i", "M")) else "cpu"
    values = {"worker": {"resources": {"requests": {what: request_}, "limits": {what: limit}}}}
    resources = containers(by_kind(render(values, tmp_path)[1])["Deployment", f"{PREFIX}-worker"])[0]["resources"]
    assert (resources["requests"][what], resources["limits"][what]) == (request_, limit)


DIGEST = "sha256:" + "0123456789abcdef" * 4


def test_helm_pulls_an_image_by_the_digest_given_in_its_repository(tmp_path):
    """values.yaml says a digest goes in the repository (NAME@sha256:...): with the tag that always
    has a value, the image must be NAME:TAG@sha256:..., not NAME@sha256:...:TAG, which is no image
    reference (the pod would never start) yet passed every check of the rendering."""
    assert image_problem(f"reg.example.com/lf/master@{DIGEST}:0.1.0") is not None
    _, docs = render({"image": {"master": {"repository": f"reg.example.com/lf/master@{DIGEST}"},
                                "worker": {"repository": "reg.example.com:5000/lf/worker", "tag": "0.2.0"}}}, tmp_path)
    found = problems(Manifests([("helm template (digest)", d) for d in docs]))
    assert not found, "\n".join(found)
    objects = by_kind(docs)
    assert containers(objects["Deployment", f"{PREFIX}-master"])[0]["image"] == \
        f"reg.example.com/lf/master:0.1.0@{DIGEST}"
    assert {containers(objects["Deployment", f"{PREFIX}-{part}"])[0]["image"] for part in ("worker", "target")} == \
        {"reg.example.com:5000/lf/worker:0.2.0"}


def test_the_checks_refuse_a_pod_failure_policy_the_api_server_refuses(tmp_path):
    """The checker passes the workers' Job because its policy is valid, not by checking nothing."""
    _, docs = render({"master": {"runToCompletion": True, "runTime": "1m"}}, tmp_path)
    [job] = [d for d in docs if d["kind"] == "Job" and name_of(d) == f"{PREFIX}-worker"]
    job["spec"]["template"]["spec"]["restartPolicy"] = "OnFailure"
    job["spec"]["podFailurePolicy"]["rules"].append(
        {"action": "Ignore", "onExitCodes": {"containerName": "wroker", "operator": "In", "values": [3, 0, 3]}})
    where = f"helm template: Job/{PREFIX}-worker: podFailurePolicy"
    assert check_pod_failure_policies(Manifests([("helm template", job)])) == [
        f"{where} needs restartPolicy Never, got 'OnFailure'",
        f"{where}: rule 1: containerName 'wroker' is not a container of the pod (['worker'])",
        f"{where}: rule 1: exit codes [3, 0, 3] must be given, ordered, unique and, for In, not 0"]


def test_the_field_check_names_a_misspelt_field_the_templates_pass_through(tmp_path):
    """What the schema does not reach inside the objects the templates pass through (an affinity's terms, a
    volume source): every rendering is decoded as the API server's strict field validation decodes it,
    which names each field the API type does not have. The checks pass the chart because its objects
    decode, not by checking nothing."""
    term = {"matchExpressions": [{"key": "pool", "operator": "In", "values": ["load"]}]}
    values = {"worker": {"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
                  "nodeSelectorTerm": [term]}}},
              "extraVolumes": [{"name": "data", "persistentVolumeClaim": {"claimname": "data"}}],
              "extraVolumeMounts": [{"name": "data", "mountPath": "/data"}]}}
    _, docs = render(values, tmp_path)
    assert check_fields(Manifests([("t", d) for d in docs])) == [
        f't: Deployment/{PREFIX}-worker: strict decoding error: unknown field "spec.template.spec.affinity.'
        'nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerm", unknown field '
        '"spec.template.spec.volumes[0].persistentVolumeClaim.claimname"']
    values["worker"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"] = {
        "nodeSelectorTerms": [term]}
    values["worker"]["extraVolumes"][0]["persistentVolumeClaim"] = {"claimName": "data"}
    _, docs = render(values, tmp_path)
    assert check_fields(Manifests([("t", d) for d in docs])) == []


def test_helm_network_policy_off_leaves_the_worker_port_open(tmp_path):
    """The checker passes the chart because of its NetworkPolicy, not by checking nothing."""
    _, docs = render({"networkPolicy": {"enabled": False}}, tmp_path)
    assert check_network_policy(Manifests([("helm template", d) for d in docs])) == [
        f"helm template: Deployment/{PREFIX}-master: worker port 5557: no NetworkPolicy selects the master's pods; "
        "every pod of the cluster reaches this unauthenticated port"]


BAD_VALUES = [
    ({"master": {"runToCompletion": True, "runTime": "1m", "expectWorkers": 10}, "worker": {"replicas": 4}},
     ["master.expectWorkers (10) is above the workers there can be (worker.replicas, 4): the headless master would "
      "wait master.expectWorkersMaxWait (300 s) for workers that never come, then exit 1; lower it, or 0 for the "
      "workers' replicas"]),
    ({"master": {"headless": True, "expectWorkers": 6}, "worker": {"autoscaling": {"enabled": True, "maxReplicas": 5}}},
     ["master.expectWorkers (6) is above the workers there can be (worker.autoscaling.maxReplicas, 5)"]),
    ({"influxdb": {"url": "http://influx:8086", "username": "locust", "token": TOKEN, "caConfigMap": "corp-ca"}},
     ["influxdb.username and influxdb.token are both set: the master takes a token or a user, not both; a 1.x "
      "user's password goes in influxdb.existingSecret (key influxdb.passwordKey)",
      'influxdb.caConfigMap is set but influxdb.url is "http://influx:8086": a CA only serves an https:// URL']),
    ({"influxdb": {"username": "locust", "server": "2"}},
     ['influxdb.username is "locust" but influxdb.existingSecret is empty: the user\'s password comes from that '
      'Secret (key influxdb.passwordKey, "password")',
      "influxdb.username, influxdb.server or influxdb.caConfigMap is set but influxdb.url is empty: the master "
      "exports nothing without influxdb.url"]),
    ({"influxdb": {"server": "4"}}, ["- at '/influxdb/server': value must be one of"]),
    ({"master": {"extraArgs": ["--stop-timeout", "10", "--headless", "-P9000", "--web-port=9000", "--tls-cert",
                               "/tls/tls.crt", "-f", "mine.py", "--master-bind-port", "6000"]},
      "worker": {"extraArgs": ["--max-rps", 500, "--master-host=elsewhere"]}},
     ['master.extraArgs: "--headless" is set by the chart: set master.headless: true (or master.runToCompletion) '
      "instead: the chart would probe the web UI, which a headless master does not serve, and the master would "
      "never be ready",
      'master.extraArgs: "-P9000" is set by the chart: the web UI listens on 8089',
      'master.extraArgs: "--web-port=9000" is set by the chart: the web UI listens on 8089',
      'master.extraArgs: "--tls-cert" is set by the chart: set master.tls.existingSecret instead',
      'master.extraArgs: "-f" is set by the chart: the master image\'s locustfile holds the plugin',
      'master.extraArgs: "--master-bind-port" is set by the chart: the workers, the Service and the NetworkPolicy '
      "reach the master on 5557",
      'worker.extraArgs: "--master-host=elsewhere" is set by the chart: the chart points the workers at this '
      "release's master"]),
    ({"image": {"master": {"repository": "reg.example.com/lf/master:0.2.0"},
                "worker": {"repository": "reg.example.com/lf/worker@sha256:abc"}}},
     ['image.master.repository: got "reg.example.com/lf/master:0.2.0", which holds a tag; give the repository '
      "alone and its tag in image.master.tag",
      'image.worker.repository: got "reg.example.com/lf/worker@sha256:abc"; expected a digest as NAME@sha256: '
      "and 64 hex digits"]),
    ({"worker": {"replica": 3}, "master": {"users": "ten"}},
     ["- at '/worker': additional properties 'replica' not allowed", "- at '/master/users': got string, want integer"]),
    ({"target": "api.example.com", "influxdb": {"url": "influx:8086"}},
     ['influxdb.url: got "influx:8086"; expected an http(s) URL without query, e.g. https://api.example.com',
      'target: got "api.example.com"; expected an http(s) URL without query, e.g. https://api.example.com']),
    ({"influxdb": {"url": f"http://locust:{TOKEN}@influx:8086"}},
     ["influxdb.url: credentials in the URL are refused by the master (and would be in the pod spec in clear); "
      "give a token with influxdb.existingSecret or influxdb.token"]),
    ({"target": "http://api:0", "influxdb": {"url": "http://in_flux:99999"}},
     ['target: got "http://api:0"; the port must be a number from 1 to 65535',
      'influxdb.url: got "http://in_flux:99999"; the port must be a number from 1 to 65535',
      'influxdb.url: got "http://in_flux:99999"; "in_flux" is not a host name or IP address']),
    ({"master": {"headless": True, "tls": {"existingSecret": "ui-tls"}}},
     ["master.tls.existingSecret with a headless master (master.headless or master.runToCompletion): it serves no "
      "web UI to put HTTPS on; leave master.tls.existingSecret empty"]),
    ({"master": {"runToCompletion": True}},
     ["master.runToCompletion is true but master.runTime is empty: the run would never end; set master.runTime, e.g. 5m"]),
    ({"master": {"headless": True, "runTime": "5m"}},
     ['master.runTime is "5m" with master.headless and not master.runToCompletion: the Deployment would restart the '
      "master after each run and start another; set master.runToCompletion: true (a Job) or leave master.runTime "
      "empty (run until stopped)"]),
    ({"master": {"runToCompletion": True, "runTime": "1m"}, "worker": {"autoscaling": {"enabled": True}}},
     ["worker.autoscaling.enabled with master.runToCompletion: the workers of a run to completion are a Job, which a "
      "HorizontalPodAutoscaler cannot scale; turn one of them off"]),
    ({"worker": {"autoscaling": {"enabled": True, "minReplicas": 9, "maxReplicas": 3},
                 "resources": {"requests": {"cpu": None}}}},
     ["worker.autoscaling.enabled but worker.resources.requests.cpu is not set: the autoscaler measures CPU use as a "
      "share of it", "worker.autoscaling.minReplicas (9) is above worker.autoscaling.maxReplicas (3)"]),
    ({"influxdb": {"token": TOKEN, "existingSecret": "team-influx"}},
     ["influxdb.token and influxdb.existingSecret are both set: give the token one way; influxdb.existingSecret "
      "keeps it out of the values",
      "influxdb.url is empty but a token is given: the master exports nothing without influxdb.url"]),
    ({"worker": {"scenario": {"files": {"flow.yaml": "tasks: [{path: /}]"}, "existingConfigMap": "mine"}}},
     ["worker.scenario.files and worker.scenario.existingConfigMap are both set: give the scenario one way",
      'worker.scenario.file is "scenario.yaml", which is not one of worker.scenario.files (flow.yaml)']),
    ({"worker": {"scenario": {"files": {"flows/checkout.yaml": "tasks: [{path: /}]"}, "file": "flows/checkout.yaml"}}},
     ['worker.scenario.files: "flows/checkout.yaml" is no ConfigMap key (letters, digits, -, _ and . only: a '
      'ConfigMap holds no directories); name it "checkout.yaml" and refer to it by that name']),
    ({"worker": {"scenario": {"existingConfigMap": "flows", "file": "flows/checkout.yaml"}}},
     ['worker.scenario.file: got "flows/checkout.yaml"; expected the key of the scenario in its ConfigMap (letters, '
      'digits, -, _ and . only), e.g. "checkout.yaml"']),
    ({"nameOverride": "LoadTest"},
     ['the objects would be named "perf-LoadTest" (from nameOverride), which is no Service name (lower-case '
      'letters, digits and -, starting with a letter); choose another release name or set fullnameOverride, e.g. '
      '"perf-loadtest"']),
    ({"master": {"runToCompletion": True, "runTime": "1h30m5s", "job": {"activeDeadlineSeconds": 5400}}},
     ["master.job.activeDeadlineSeconds (5400 s) is not above master.runTime (1h30m5s, 5405 s): the Job would be "
      "stopped before the run ends, every time; it counts from the Job's start, so allow for "
      "master.expectWorkersMaxWait (300 s) and the drain too"]),
    ({"master": {"runToCompletion": True, "runTime": "600", "job": {"activeDeadlineSeconds": 600}}},
     ["master.job.activeDeadlineSeconds (600 s) is not above master.runTime (600, 600 s)"]),
    ({"worker": {"targetTLS": {"existingSecret": "api-tls", "caKey": "", "clientKeyKey": "tls.key"}}},
     ["worker.targetTLS.existingSecret is set but worker.targetTLS.caKey and worker.targetTLS.clientCertKey are "
      "empty: nothing of it would be used",
      "worker.targetTLS.existingSecret is set but the workers' target is \"http://perf-locust-fleet-target:8080\": "
      "TLS settings only serve an https:// target (the worker refuses them with an http one, exit 2)",
      'worker.targetTLS.clientKeyKey is "tls.key" but worker.targetTLS.clientCertKey is empty']),
    ({"target": "https://api.internal", "worker": {"targetTLS": {"existingSecret": "corp-ca"}, "scenario": {
        "files": {"flow.yaml": "tls: {ca_file: ca.pem}\ntasks: [{path: /}]\n"}, "file": "flow.yaml"}}},
     ["worker.targetTLS.existingSecret is mounted at /etc/locust-fleet/target-tls, but the scenario flow.yaml names "
      "none of its files in its tls: (ca_file: /etc/locust-fleet/target-tls/ca.crt, "]),
    ({"master": {"podAnnotations": {"prometheus.io/port": 8089, "a/b/c": "x"}},
      "worker": {"podAnnotations": {"-x": "y"}}},
     ["- at '/master/podAnnotations/prometheus.io~1port': got number, want string"]),
    ({"master": {"podAnnotations": {"a/b/c": "x"}}, "worker": {"podAnnotations": {"-x": "y"}}},
     ['master.podAnnotations: "a/b/c" is no annotation key, which the API server would refuse; expected '
      "[PREFIX/]NAME", 'worker.podAnnotations: "-x" is no annotation key']),
    ({"master": {"runToCompletion": True, "runTime": "1m", "ingress": {"enabled": True, "tls": {"secretName": "x"}}}},
     ["master.ingress.enabled with a headless master (master.headless or master.runToCompletion): it serves no web "
      "UI to route to", 'master.ingress.tls.secretName is "x" but master.ingress.host is empty']),
    ({"worker": {"resources": {"requests": {"cpu": 4, "memory": "2Gi"}}},
      "master": {"resources": {"requests": {"memory": "2.5G"}}},
      "demoTarget": {"resources": {"requests": {"cpu": "1500m"}}}},
     ["demoTarget.resources.requests.cpu (1500m) is above demoTarget.resources.limits.cpu (1), which the API server "
      "refuses; raise the limit too, or lower the request",
      "master.resources.requests.memory (2.5G) is above master.resources.limits.memory (2Gi)",
      "worker.resources.requests.cpu (4) is above worker.resources.limits.cpu (2)",
      "worker.resources.requests.memory (2Gi) is above worker.resources.limits.memory (1Gi)"]),
    ({"worker": {"nodeSelector": {"spot": True}, "tolerations": [{"key": "dedicated", "effect": "NoScheduel"}]},
      "master": {"tolerations": [{"key": "dedicated", "efect": "NoSchedule"}]}},
     ["- at '/worker/nodeSelector/spot': got boolean, want string",
      "- at '/worker/tolerations/0/effect': value must be one of '', 'NoSchedule', 'PreferNoSchedule', 'NoExecute'",
      "- at '/master/tolerations/0': additional properties 'efect' not allowed"]),
    ({"master": {"enableRebalancing": False}, "worker": {"autoscaling": {"enabled": True, "external": True}}},
     ["worker.autoscaling.enabled with master.enableRebalancing false: a worker the autoscaler adds gets no users "
      "until the next test starts"]),
    ({"worker": {"extraEnv": [{"name": "TENANT", "value": 42}, {"name": "DEBUG", "vaule": "1"}]}},
     ["- at '/worker/extraEnv/0/value': got number, want string",
      "- at '/worker/extraEnv/1': additional properties 'vaule' not allowed"]),
    ({"master": {"extraEnv": [{"name": "REGION", "value": "eu",
                               "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "region"}}}]}},
     ["master.extraEnv: REGION has both value and valueFrom, which the API server refuses; keep one"]),
    ({"imagePullSecrets": [{"nmae": "regcred"}, {"name": "Reg_Cred"}]},
     ["- at '/imagePullSecrets/0': missing property 'name'", "- at '/imagePullSecrets/1/name': 'Reg_Cred' does not "
      "match pattern"]),
    ({"master": {"extraArgs": ["--web-base-path=/locust"], "extraEnv": [{"name": "LOCUST_WEB_BASE_PATH",
                                                                          "value": "/locust"}]}},
     ['master.extraArgs: "--web-base-path=/locust" is set by the chart: the readiness probe asks for the web UI\'s '
      "root, which Locust answers with 404 under a base path",
      "master.extraEnv: LOCUST_WEB_BASE_PATH is the chart's to set: the readiness probe asks for the web UI's root"]),
    ({"master": {"extraArgs": ["-H", "https://api.example.com"]},
      "worker": {"extraArgs": ["--target", "https://api.example.com", "-Hhttps://api.example.com", "--host=x"]}},
     ['master.extraArgs: "-H" is set by the chart: set target instead, which gives the master --host and the '
      "workers --target: given here, the later flag wins, and the master and the workers would name different hosts",
      'worker.extraArgs: "--target" is set by the chart: set target instead',
      'worker.extraArgs: "-Hhttps://api.example.com" is set by the chart: set target instead',
      'worker.extraArgs: "--host=x" is set by the chart: set target instead']),
    ({"worker": {"extraArgs": ["--tls-insecure-skip-verify"]}},
     ["worker.extraArgs: --tls-insecure-skip-verify goes with an https:// target; the workers' target is "
      '"http://perf-locust-fleet-target:8080", and the worker refuses it (exit 2)']),
    ({"target": "https://api.internal", "worker": {"extraArgs": ["--tls-server-name=api"], "scenario": {
        "files": {"scenario.yaml": "tasks: [{path: /}]\n"}}}},
     ["worker.extraArgs: --tls-server-name goes with no scenario: the worker refuses it beside one (exit 2); the "
      "scenario says it in its tls:"]),
    ({"demoTarget": {"enabled": False}},
     ["target is empty, demoTarget.enabled is false and the workers have no scenario: they would have nowhere to "
      "send; set target (or give the workers LOCUST_HOST in worker.extraEnv or worker.envFrom)"]),
    ({"worker": {"podLabels": {"app.kubernetes.io/component": "load", "bad key!": "a", "team": "perf team"},
                 "envFrom": [{"configMapRef": {"name": "a"}, "secretRef": {"name": "b"}}, {"prefix": "X_"}],
                 "extraVolumes": [{"name": "scenario", "emptyDir": {}}, {"name": "data"},
                                  {"name": "cache", "emptyDir": {}, "secret": {"secretName": "s"}},
                                  {"name": "cache", "emptyDir": {}}],
                 "extraVolumeMounts": [{"name": "nope", "mountPath": "/etc/locust-fleet/scenario/"},
                                       {"name": "cache", "mountPath": "/cache"},
                                       {"name": "cache", "mountPath": "/cache/"}],
                 "topologySpreadConstraints": [{**SPREAD, "minDomains": 2}]},
      "master": {"podLabels": {"helm.sh/chart": "x"}, "extraVolumeMounts": [{"name": "tmp", "mountPath": "/scratch"}]}},
     ['worker.podLabels: "app.kubernetes.io/component" is the chart\'s label (app.kubernetes.io/name, '
      "app.kubernetes.io/instance, app.kubernetes.io/component, app.kubernetes.io/version, "
      "app.kubernetes.io/managed-by, helm.sh/chart), which its selectors and Services find the pods by",
      'worker.podLabels: "bad key!" is no label key, which the API server would refuse',
      'worker.podLabels.team: got "perf team", which the API server would refuse as a label value',
      'master.podLabels: "helm.sh/chart" is the chart\'s label',
      "worker.envFrom[0]: both configMapRef and secretRef, which the API server refuses",
      "worker.envFrom[1]: neither configMapRef nor secretRef; expected {configMapRef: {name: NAME}} or "
      "{secretRef: {name: NAME}}",
      'worker.extraVolumes[0]: the name "scenario" is the chart\'s own volume\'s (scenario, target-tls)',
      "worker.extraVolumes[1] (data): no volume source; expected exactly one volume source",
      "worker.extraVolumes[2] (cache): several volume sources (emptyDir, secret)",
      'worker.extraVolumes[3]: the name "cache" is given twice, which the API server refuses',
      'worker.extraVolumeMounts[0]: volume "nope" is none of worker.extraVolumes (scenario, data, cache); add it '
      "there",
      "worker.extraVolumeMounts[0]: mountPath /etc/locust-fleet/scenario/ is where the chart mounts its own volume",
      "worker.extraVolumeMounts[2]: mountPath /cache/ is given twice, which the API server refuses",
      'master.extraVolumeMounts[0]: volume "tmp" is the chart\'s own, which it mounts where it needs it; mount a '
      "volume of master.extraVolumes",
      "worker.topologySpreadConstraints[0]: minDomains goes with whenUnsatisfiable: DoNotSchedule (got "
      "ScheduleAnyway)"]),
    ({"worker": {"affinity": {"nodeAfinity": {}},
                 "topologySpreadConstraints": [{**SPREAD, "labelSelector": {"matchLabel": {"team": "perf"}}}]},
      "networkPolicy": {"webFrom": [{"namespaceSelector": {"matchExpressions": [{"key": "team", "operator": "in"}]}},
                                    {"ipblock": {"cidr": "10.0.0.0/8"}}]}},
     ["- at '/worker/affinity': additional properties 'nodeAfinity' not allowed",
      "- at '/worker/topologySpreadConstraints/0/labelSelector': additional properties 'matchLabel' not allowed",
      "- at '/networkPolicy/webFrom/0/namespaceSelector/matchExpressions/0/operator': value must be one of 'In', "
      "'NotIn', 'Exists', 'DoesNotExist'",
      "- at '/networkPolicy/webFrom/1': additional properties 'ipblock' not allowed"]),
    ({"master": {"podSecurityContext": {"runAsUser": 0, "runAsNonRoot": False}}},
     ["- at '/master/podSecurityContext': additional properties 'runAsNonRoot' not allowed",
      "- at '/master/podSecurityContext/runAsUser': minimum: got 0, want 1"]),
    ({"worker": {"extraVolumes": [{"name": "data", "persistentVolumClaim": {"claimName": "d"}}],
                 "extraVolumeMounts": [{"name": "data", "mountPath": "data"}],
                 "topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "Schedule"}],
                 "envFrom": [{"secretRef": {"nmae": "api"}}]},
      "master": {"podLabels": {"cost-center": 4711}, "priorityClassName": "High"}},
     ["- at '/worker/extraVolumes/0': additional properties 'persistentVolumClaim' not allowed",
      "- at '/worker/extraVolumeMounts/0/mountPath': 'data' does not match pattern '^/'",
      "- at '/worker/topologySpreadConstraints/0/whenUnsatisfiable': value must be one of 'DoNotSchedule', "
      "'ScheduleAnyway'",
      "- at '/worker/envFrom/0/secretRef': missing property 'name'",
      "- at '/master/podLabels/cost-center': got number, want string",
      "- at '/master/priorityClassName': 'High' does not match pattern"]),
    ({"master": {"runTime": "five minutes", "spawnRate": 0}, "worker": {"pdb": {"maxUnavailable": "half"}}},
     ["- at '/master/runTime': 'five minutes' does not match pattern", "- at '/master/spawnRate': exclusiveMinimum: "
      "got 0, want 0", "- at '/worker/pdb/maxUnavailable': 'half' does not match pattern '^[0-9]+%$'"]),
]


@pytest.mark.parametrize("values, messages", BAD_VALUES, ids=[", ".join(v) for v, _ in BAD_VALUES])
def test_helm_refuses_bad_values_naming_each(values, messages, tmp_path):
    out = helm("template", RELEASE, str(CHART), values=values, tmp=tmp_path)
    assert out.returncode != 0 and not out.stdout, out.stdout
    for message in messages:
        assert message in out.stderr, out.stderr
    assert TOKEN not in out.stderr


def test_helm_refuses_extra_env_that_the_charts_flags_override(go_bin, tmp_path):
    """A team moving from Locust's own chart sets LOCUST_HOST in worker.extraEnv: the chart gives the
    workers --target (the demo target's), a flag wins over its variable, and the test loaded the demo
    target without a word. The variables of the flags and values the chart sets are refused in
    extraEnv as their flags are in extraArgs, each named with the value to use."""
    values = {"master": {"headless": True, "extraEnv": [
                  {"name": "LOCUST_HOST", "value": "https://api.example.com"}, {"name": "LOCUST_USERS", "value": "50"},
                  {"name": "LOCUST_HEADLESS", "value": "true"}, {"name": "LOCUST_DRAIN_TIMEOUT", "value": "10"}]},
              "worker": {"extraEnv": [{"name": "LOCUST_HOST", "value": "https://api.example.com"},
                                      {"name": "LOCUST_MASTER_NODE_PORT", "value": "6000"}]}}
    # what the master and the worker make of the rendered command lines with those variables
    accepted = dict(values, master={**values["master"], "extraEnv": []}, worker={})
    objects = by_kind(render(accepted, tmp_path)[1])
    master, worker = objects["Deployment", f"{PREFIX}-master"], objects["Deployment", f"{PREFIX}-worker"]
    parser = get_parser()
    add_arguments(parser)
    options = parser.parse_args(["-f", "master/locustfile.py", *args_of(master)],
                                env_vars={e["name"]: e["value"] for e in values["master"]["extraEnv"]})
    assert (options.host, options.num_users) == (f"http://{PREFIX}-target:8080", 10), "the chart's flags win"
    result = subprocess.run([str(go_bin["worker"]), *args_of(worker), "--connect-timeout", "100ms"],
                            capture_output=True, text=True, timeout=30,
                            env={e["name"]: e["value"] for e in values["worker"]["extraEnv"]})
    assert f"against http://{PREFIX}-target:8080" in result.stderr and f"{PREFIX}-master:5557" in result.stderr, \
        result.stderr
    out = helm("template", RELEASE, str(CHART), values=values, tmp=tmp_path)
    assert out.returncode != 0 and not out.stdout, out.stdout
    refused = [line.split(": ", 2)[:2] for line in out.stderr.splitlines() if ".extraEnv: " in line]
    assert refused == [["master.extraEnv", "LOCUST_HOST is the chart's to set"],
                       ["master.extraEnv", "LOCUST_USERS is the chart's to set"],
                       ["master.extraEnv", "LOCUST_HEADLESS is the chart's to set"],
                       ["worker.extraEnv", "LOCUST_HOST is the chart's to set"],
                       ["worker.extraEnv", "LOCUST_MASTER_NODE_PORT is the chart's to set"]], out.stderr
    assert "worker.extraEnv: LOCUST_HOST is the chart's to set: the chart gives the workers --target from target" \
        in out.stderr and "set master.users instead" in out.stderr
    # a soak's web UI mode: LOCUST_USERS is then the form's default, which the chart does not set
    del values["master"]["headless"], values["worker"]
    values["master"]["extraEnv"] = [{"name": "LOCUST_USERS", "value": "50"}]
    assert containers(by_kind(render(values, tmp_path)[1])["Deployment", f"{PREFIX}-master"])[0]["env"][-1] == \
        {"name": "LOCUST_USERS", "value": "50"}


def test_helm_keeps_a_target_with_credentials_out_of_the_pod_specs(go_bin, tmp_path):
    """target: https://user:password@host was written into the master's --host and the workers'
    --target, in clear in the pod specs. It is refused, naming no password; the URL reaches the
    workers from a Secret as LOCUST_HOST, which they take as --target (the chart gives none then),
    and they send Basic auth with it, showing the password as xxxxx."""
    out = helm("template", RELEASE, str(CHART), values={"target": "https://alice:pw-77@api.example.com"}, tmp=tmp_path)
    assert out.returncode != 0 and "pw-77" not in out.stderr, out.stderr
    assert "target: credentials in the URL would be in the pod specs in clear" in out.stderr, out.stderr
    plain = {"demoTarget": {"enabled": False}, "worker": {"extraEnv": [
        {"name": "LOCUST_HOST", "value": "https://alice:pw-77@api.example.com"},
        {"name": "API_URL", "value": "https://api.example.com/v2?user=me@example.com"}]}}
    out = helm("template", RELEASE, str(CHART), values=plain, tmp=tmp_path)
    assert out.returncode != 0 and "pw-77" not in out.stderr, out.stderr
    assert [line.split(",")[0] for line in out.stderr.splitlines() if "extraEnv" in line] == [
        "worker.extraEnv: LOCUST_HOST holds a URL with credentials"], out.stderr
    from_secret = {"name": "LOCUST_HOST", "valueFrom": {"secretKeyRef": {"name": "api-url", "key": "url"}}}
    _, docs = render({"demoTarget": {"enabled": False}, "worker": {"extraEnv": [from_secret]}}, tmp_path)
    objects = by_kind(docs)
    worker, master = objects["Deployment", f"{PREFIX}-worker"], objects["Deployment", f"{PREFIX}-master"]
    assert not [a for a in args_of(worker) + args_of(master) if a.startswith(("--target", "--host"))]
    assert env_of(worker)["LOCUST_HOST"] == from_secret
    assert not problems(Manifests([("t", d) for d in docs], {"Secret": {"api-url": {"url"}}}))
    result = subprocess.run([str(go_bin["worker"]), *args_of(worker), "--connect-timeout", "100ms"],
                            capture_output=True, text=True, timeout=30,
                            env={"LOCUST_HOST": "https://alice:pw-77@127.0.0.1:8443"})
    assert 'will run tasks "/" against https://alice:xxxxx@127.0.0.1:8443' in result.stderr, result.stderr
    assert "pw-77" not in result.stderr


def test_helm_refuses_a_secret_given_as_a_plain_value_in_extra_env(tmp_path):
    """worker.extraEnv is where a scenario's {{ env.API_TOKEN }} comes from: given as a value, the token
    sat in the Deployment's spec in clear, which the checks of every rendering refuse; the chart
    refuses it, naming the variable and not its value, and takes it from a Secret."""
    secret = "s3cr3t-9d1e"
    plain = {"worker": {"extraEnv": [{"name": "API_TOKEN", "value": secret}, {"name": "TENANT", "value": "acme"},
                                     {"name": "MAX_TOKENS", "value": "256"}, {"name": "APIKEY", "value": secret}]},
             "master": {"extraEnv": [{"name": "db_password", "value": secret}]}}
    assert [e["name"] for part in ("master", "worker") for e in plain[part]["extraEnv"]
            if SECRET_ENV.search(e["name"])] == ["db_password", "API_TOKEN", "APIKEY"], \
        "the names the rendering's checks refuse"
    out = helm("template", RELEASE, str(CHART), values=plain, tmp=tmp_path)
    assert out.returncode != 0 and secret not in out.stderr, out.stderr
    assert [line.split(" is ")[0] for line in out.stderr.splitlines() if ".extraEnv: " in line] == \
        ["master.extraEnv: db_password", "worker.extraEnv: API_TOKEN", "worker.extraEnv: APIKEY"], out.stderr
    assert "give it from a Secret: {name: API_TOKEN, valueFrom: {secretKeyRef: {name: SECRET, key: KEY}}}" in \
        out.stderr
    from_secret = {"worker": {"extraEnv": [
        {"name": "API_TOKEN", "valueFrom": {"secretKeyRef": {"name": "api", "key": "token"}}},
        {"name": "TENANT", "value": "acme"}]}}
    _, docs = render(from_secret, tmp_path)
    assert not problems(Manifests([("t", d) for d in docs], {"Secret": {"api": {"token"}}}))
    assert env_of(by_kind(docs)["Deployment", f"{PREFIX}-worker"])["API_TOKEN"] == from_secret["worker"]["extraEnv"][0]


def test_helm_refuses_the_run_tags_the_master_refuses(tmp_path):
    """Each run tag key the master refuses at start (exit 2, a crash loop in a pod) is refused by the
    chart, named, and so is an empty value; the keys come from the data model, the master's list."""
    refused = sorted({*RESERVED_TAGS, *FIELDS[RUNS], TIME})
    for key in refused:
        with pytest.raises(ConfigError):
            parse_run_tags([f"{key}=x"])
    with pytest.raises(ConfigError):
        parse_run_tags(["env="])
    out = helm("template", RELEASE, str(CHART), values={"master": {"runTags": {
        **{key: "x" for key in refused}, "env": "", "build": "1.4.2"}}}, tmp=tmp_path)
    assert out.returncode != 0 and not out.stdout, out.stdout
    for key in refused:
        assert f"master.runTags.{key}: \"{key}\" is a " in out.stderr, (key, out.stderr)
    assert "master.runTags.env is empty: a run tag needs a value" in out.stderr, out.stderr
    assert "master.runTags.build" not in out.stderr
    _, docs = render({"master": {"runTags": {"build": "1.4.2", "release": 7}}}, tmp_path)
    args = args_of(by_kind(docs)["Deployment", f"{PREFIX}-master"])
    assert parse_run_tags([a.removeprefix("--run-tag=") for a in args if a.startswith("--run-tag=")]) == \
        (("build", "1.4.2"), ("release", "7"))


def test_helm_renders_numbers_of_a_values_file_as_written(tmp_path):
    """A values file's numbers reach the templates as floats, which Go prints with an exponent from
    a million on: a build number tag would be stored as 1.234567e+06, and Kubernetes refuses
    2.592e+06 for a Job's integer fields."""
    values = {"master": {"runToCompletion": True, "runTime": "719h", "spawnRate": 2500000, "users": 5000000,
                         "runTags": {"build": 1234567, "ratio": 0.5},
                         "job": {"activeDeadlineSeconds": 2592000, "ttlSecondsAfterFinished": 1209600}}}
    text, docs = render(values, tmp_path)
    assert "e+0" not in text, [line for line in text.splitlines() if "e+0" in line]
    objects = by_kind(docs)
    master = objects["Job", f"{PREFIX}-master"]
    args = args_of(master)
    assert "--spawn-rate=2500000" in args and "--users=5000000" in args, args
    assert parse_run_tags([a.removeprefix("--run-tag=") for a in args if a.startswith("--run-tag=")]) == \
        (("build", "1234567"), ("ratio", "0.5"))
    for job in (master, objects["Job", f"{PREFIX}-worker"]):
        assert (job["spec"]["activeDeadlineSeconds"], job["spec"]["ttlSecondsAfterFinished"]) == (2592000, 1209600)
    _, docs = render({"worker": {"replicas": 2000000, "pdb": {"maxUnavailable": 1000000}}}, tmp_path)
    assert by_kind(docs)["PodDisruptionBudget", f"{PREFIX}-worker"]["spec"]["maxUnavailable"] == 1000000


@pytest.mark.parametrize("url, refused", [
    ("http://locust:pw@influx:8086", True), ("http://influx:0", True), ("http://influx:65536", True),
    ("http://influx:", True), ("http://in_flux:8086", True), ("http://-influx:8086", True),
    ("http://influx", False), ("https://influx.example.com:443/prefix/", False), ("http://[::1]:8086", False),
    ("http://10.0.0.7:8086", False), ("http://influx.monitoring.svc.cluster.local.:8086", False),
])
def test_helm_refuses_the_influxdb_urls_the_master_refuses(url, refused, tmp_path):
    """influxdb.url becomes the master's LOCUST_INFLUXDB_URL: what the master would refuse at start
    (exit 2, a restart loop) the chart refuses, and it renders what the master takes."""
    try:
        check_url(url)
        master_refuses = False
    except ConfigError:
        master_refuses = True
    assert master_refuses == refused, url
    out = helm("template", RELEASE, str(CHART), values={"influxdb": {"url": url}}, tmp=tmp_path)
    assert (out.returncode != 0) == refused, (url, out.stderr)
    if refused:
        assert "influxdb.url: " in out.stderr and "pw" not in out.stderr, out.stderr


@pytest.mark.parametrize("release", ["48213", "perf.v2"])
def test_helm_refuses_a_release_name_that_makes_no_service_name(release, tmp_path):
    """A CI job that names its release after its pipeline number: Helm takes "48213", but a Service
    named 48213-locust-fleet-master is refused by the API server (a DNS label starts with a letter),
    so nothing was installed past the ConfigMaps and Secrets."""
    out = helm("template", release, str(CHART), values={}, tmp=tmp_path)
    assert out.returncode != 0 and not out.stdout, out.stdout
    assert f'(from the release name "{release}"), which is no Service name' in out.stderr, out.stderr
    _, docs = render({"fullnameOverride": "perf-48213"}, tmp_path)
    assert {name_of(d) for d in docs if d["kind"] == "Service"} == {"perf-48213-master", "perf-48213-target"}


INFLUXDB3_NAMES = ["locust", "db/rp", "a" * 64, "my db/x", "a" * 65, "_db", "db/", "db/rp/x"]
INFLUXDB1_NAMES = ["locust", "my db", "ünïcode", "...", "locust/autogen", "a\\b", ".", "..", "tab\tname",
                   "nbsp\u00a0x", "zero\u200bwidth"]


@pytest.mark.parametrize("server, database", [("3", d) for d in INFLUXDB3_NAMES] + [("1", d) for d in INFLUXDB1_NAMES])
def test_helm_refuses_the_database_names_the_master_refuses(server, database, tmp_path):
    """With influxdb.server 3 (or 1) the master refuses at start (exit 2, a failed Job or a crash
    loop) a database name InfluxDB 3 (or 1.x: locust/autogen, a name as 3 takes) refuses; the chart
    rendered it, and now refuses the same names with the master's rule, and renders the others."""
    out = helm("template", RELEASE, str(CHART), tmp=tmp_path,
               values={"influxdb": {"url": "http://influxdb:8086", "server": int(server), "database": database}})
    problem = database_name_problem(server, database)
    assert (out.returncode != 0) == (problem is not None), (database, out.stderr)
    if problem:
        said = f"influxdb.database: got {json.dumps(database)}, which {kind_name(server)} (influxdb.server) refuses"
        rule = problem[problem.index("; expected"):]
        assert said in out.stderr and rule.split(" (")[0] in " ".join(out.stderr.split()), out.stderr


SCENARIO = "tasks: [{path: /}]\n"
ON_STOP_SCENARIO = "tasks: [{path: /}]\non_stop: [{path: /logout}]\n"


@pytest.mark.parametrize("scenario", [None, SCENARIO, ON_STOP_SCENARIO], ids=["no scenario", "scenario", "on_stop"])
def test_helm_refuses_a_worker_grace_period_shorter_than_its_last_report(scenario, tmp_path):
    """Killed before its last report, a worker's last requests are never counted: the chart refuses a
    worker.terminationGracePeriodSeconds below what the worker's code may take, naming both."""
    needs = stopping_worker_needs(on_stop=scenario == ON_STOP_SCENARIO)
    values: dict = {"worker": {}}
    if scenario:
        values["worker"]["scenario"] = {"files": {"scenario.yaml": scenario}}
    values["worker"]["terminationGracePeriodSeconds"] = needs
    assert pod_spec(by_kind(render(values, tmp_path)[1])[("Deployment", f"{PREFIX}-worker")])[
        "terminationGracePeriodSeconds"] == needs
    values["worker"]["terminationGracePeriodSeconds"] = needs - 1
    out = helm("template", RELEASE, str(CHART), values=values, tmp=tmp_path)
    assert out.returncode != 0, out.stdout
    assert f"worker.terminationGracePeriodSeconds: got {needs - 1}; expected at least {needs}: " in out.stderr, \
        out.stderr
    assert ("on_stop steps (up to 10 s)" in out.stderr) == (scenario == ON_STOP_SCENARIO), out.stderr
    assert needs <= yaml.safe_load((CHART / "values.yaml").read_text())["worker"]["terminationGracePeriodSeconds"]


@pytest.mark.parametrize("influxdb, extra, needs", [
    ({}, {}, 31),
    ({"url": "http://influxdb:8086"}, {}, 46),
    ({"url": "http://influxdb:8086"}, {"extraArgs": ["--drain-timeout", "50", "--stop-timeout=1m"]}, 126),
    ({}, {"extraEnv": [{"name": "LOCUST_DRAIN_TIMEOUT", "value": "9.5"}], "extraArgs": ["--stop-timeout", "5"]}, 16),
    ({}, {"extraEnv": [{"name": "LOCUST_DRAIN_TIMEOUT", "value": "9"}], "extraArgs": ["--drain-timeout=0"]}, 1),
])
def test_helm_refuses_a_master_grace_period_shorter_than_its_drain(influxdb, extra, needs, tmp_path):
    """Kubernetes' default grace (30 s) killed a stopping master within its drain (--drain-timeout, 30 s)
    and before its last write to InfluxDB: the chart sets master.terminationGracePeriodSeconds and
    refuses one below the drain, the stop timeout, the final write and the exit, naming both."""
    values = {"influxdb": influxdb, "master": {**extra, "runToCompletion": True, "runTime": "1m",
                                               "terminationGracePeriodSeconds": needs}}
    job = by_kind(render(values, tmp_path)[1])[("Job", f"{PREFIX}-master")]
    assert pod_spec(job)["terminationGracePeriodSeconds"] == needs
    assert stopping_master_needs(args_of(job), {k: e.get("value") for k, e in env_of(job).items()}) == needs
    values["master"]["terminationGracePeriodSeconds"] = needs - 1
    out = helm("template", RELEASE, str(CHART), values=values, tmp=tmp_path)
    assert out.returncode != 0, out.stdout
    assert f"master.terminationGracePeriodSeconds: got {needs - 1}; expected at least {needs}: " in out.stderr, \
        out.stderr
    assert 46 <= yaml.safe_load((CHART / "values.yaml").read_text())["master"]["terminationGracePeriodSeconds"]


CONFIGMAP_LIMIT = 1024 * 1024  # bytes of all the values of a ConfigMap's data (Kubernetes' ValidateConfigMap)


@pytest.mark.parametrize("extra", [0, 1], ids=["at the limit", "a byte over"])
def test_helm_refuses_scenario_files_over_a_configmaps_limit(extra, tmp_path):
    """Kubernetes refuses a ConfigMap whose data come to more than 1 MiB only when it is applied, naming
    no file; the chart refuses it at render, naming each file's size, the total and the limit."""
    scenario = "data: {accounts: {csv: accounts.csv}}\ntasks: [{path: /}]\n"
    accounts = "user,nickname\n" + "é" * ((CONFIGMAP_LIMIT - len(scenario) - 14 + extra) // 2)
    accounts += "x" * (CONFIGMAP_LIMIT - len(scenario) - len(accounts.encode()) + extra)  # bytes, not characters
    values = {"worker": {"scenario": {"files": {"scenario.yaml": scenario, "accounts.csv": accounts}}}}
    out = helm("template", RELEASE, str(CHART), values=values, tmp=tmp_path)
    if not extra:
        assert out.returncode == 0, out.stderr
        [configmap] = [d for d in yaml.safe_load_all(out.stdout) if d and d["kind"] == "ConfigMap"]
        assert sum(len(v.encode()) for v in configmap["data"].values()) == CONFIGMAP_LIMIT
        return
    assert out.returncode != 0 and not out.stdout, out.stdout
    assert (f"worker.scenario.files: {CONFIGMAP_LIMIT + 1} bytes in all (accounts.csv "
            f"{len(accounts.encode())} bytes, scenario.yaml {len(scenario)} bytes), above the 1048576 bytes (1 MiB) "
            "Kubernetes allows in a ConfigMap, which would be refused when applied; keep the scenario here and give "
            "the large data files another way") in out.stderr, out.stderr
    assert "csv: /data/users.csv" in out.stderr


KEY = re.compile(r"^(\s*)([A-Za-z][\w]*):")


def test_helm_values_are_documented_key_by_key():
    """Every key of values.yaml has a comment right above it that starts with its dotted path."""
    lines = (CHART / "values.yaml").read_text().splitlines()
    path: list[tuple[int, str]] = []  # (indent, key) of the keys enclosing the current line
    undocumented = []
    for i, line in enumerate(lines):
        match = KEY.match(line)
        if not match:
            continue
        indent, key = len(match.group(1)), match.group(2)
        path = [(n, k) for n, k in path if n < indent] + [(indent, key)]
        dotted = ".".join(k for _, k in path)
        above = lines[i - 1].strip() if i else ""
        comment_start = next((j for j in range(i - 1, -1, -1) if not lines[j].strip().startswith("#")), -1) + 1
        block = [lines[j].strip() for j in range(comment_start, i)]
        if not above.startswith("#") or not block or not block[0].startswith(f"# {dotted}:"):
            undocumented.append(f"deploy/helm/locust-fleet/values.yaml:{i + 1}: {dotted}")
    assert not undocumented, "keys without a '# KEY: ...' comment above them:\n" + "\n".join(undocumented)
    assert len([1 for line in lines if KEY.match(line)]) > 50


DOC = REPO / "docs" / "kubernetes.md"
YAML_BLOCK = re.compile(r"^( *)```yaml\n(.*?)^\1```", re.S | re.M)
SH_BLOCK = re.compile(r"^```sh\n(.*?)^```", re.S | re.M)
VALUES_MARK = "# my-values.yaml (deploy/helm/locust-fleet)"


def documented_values() -> list[str]:
    blocks = [textwrap.dedent(b) for _, b in YAML_BLOCK.findall(DOC.read_text())]
    return [b for b in blocks if b.startswith(VALUES_MARK)]


def test_helm_values_of_the_docs_render_and_check(tmp_path):
    """docs/kubernetes.md's values file renders, and what it renders passes every check (its Secret
    is one the user creates, as the docs say)."""
    [values] = documented_values()
    text, docs = render(yaml.safe_load(values), tmp_path)
    found = problems(Manifests([("docs values", d) for d in docs], {"Secret": {"influxdb-token": {"token"}}}))
    assert not found, "\n".join(found)
    worker = by_kind(docs)["Deployment", f"{PREFIX}-worker"]
    assert args_of(worker)[-2:] == ["--scenario=/etc/locust-fleet/scenario/scenario.yaml",
                                    "--target=https://api.example.com"]


def test_helm_commands_of_the_docs_render(tmp_path):
    """Each `helm install` of docs/kubernetes.md, as `helm template` with the same arguments, the
    docs' values file standing in for my-values.yaml."""
    [values] = documented_values()
    (tmp_path / "my-values.yaml").write_text(values)
    commands = [shlex.split(line, comments=True) for block in SH_BLOCK.findall(DOC.read_text())
                for line in block.replace("\\\n", " ").splitlines() if line.startswith("helm install")]
    assert len(commands) >= 3, commands
    for words in commands:
        args = [str(tmp_path / w) if w == "my-values.yaml" else str(REPO / w) if w.startswith("deploy/") else w
                for w in words[2:]]
        out = subprocess.run([tool("helm"), "template", *args], capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, (words, out.stderr)
        assert problems(Manifests([("docs", d) for d in yaml.safe_load_all(out.stdout) if d],
                                  {"Secret": {"influxdb-token": {"token"}}})) == [], words


def test_the_docs_secrets_hold_the_keys_their_readers_read():
    """Each Secret that docs/kubernetes.md has the chart, Locust's chart or the operator read is one its
    `kubectl create secret` makes, with the key read. The community chart reads a key named after
    its variable and the operator's secretRefs name variables after the keys: the influxdb-token
    Secret of this chart (key token) there gave pods that never started, or a master without a token."""
    text = re.sub(r"\s+", " ", DOC.read_text())
    created: dict[str, set[str]] = {}
    command = r"kubectl create secret generic (\S+)((?: --from-(?:literal|file)=[^\s`]+)+)"
    for name, sources in re.findall(command, text):
        created.setdefault(name, set()).update(
            re.sub(r"=.*", "", source) if kind == "literal" else Path(source.split("=")[0]).name
            for kind, source in re.findall(r"--from-(literal|file)=([^\s`]+)", sources))
    read = []
    [values] = documented_values()
    influx = yaml.safe_load(values)["influxdb"]
    read.append(("this chart", influx["existingSecret"], influx.get("tokenKey", "token")))
    [external] = re.findall(r"loadtest\.environment_external_secret: (\{[^`]*\})", text)
    read += [("community chart", name, key) for name, keys in yaml.safe_load(external).items() for key in keys]
    [test] = [yaml.safe_load(textwrap.dedent(b)) for _, b in YAML_BLOCK.findall(DOC.read_text())
              if "kind: LocustTest" in b]
    assert not test["spec"]["env"].get("secretRefs"), "keys become variables of the same name"
    read += [("operator", ref["name"], ref["key"]) for v in test["spec"]["env"]["variables"]
             for ref in [(v.get("valueFrom") or {}).get("secretKeyRef")] if ref]
    assert len(read) == 3, read
    missing = [(who, name, key, created.get(name)) for who, name, key in read if key not in created.get(name, ())]
    assert not missing, missing


# Keys a release installed with an early 0.1.0 of the chart has no value for (added before the chart's version
# followed its changes; from 0.1.0 on, test_helm_upgrade_from_the_previous_version_reusing_its_values).
NEWER_KEYS = [("serviceAccountName",), ("master", "podAnnotations"), ("master", "ingress"),
              ("worker", "podAnnotations"), ("worker", "targetTLS"), ("worker", "autoscaling", "external"),
              ("worker", "scenario", "existingSecret")]


def test_helm_upgrade_reusing_the_values_of_an_earlier_release(tmp_path):
    """`helm upgrade --reuse-values` renders the new chart with the values the release was installed
    with, the chart's defaults of then: without the keys added since, the templates failed on a nil
    value (`executing "locust-fleet.checks" at <$part>`, naming no value). They render as with the
    new defaults, and the keys can be set in that upgrade."""
    chart = tmp_path / "locust-fleet"
    shutil.copytree(CHART, chart)
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    for *parents, key in NEWER_KEYS:
        del functools.reduce(dict.__getitem__, parents, values)[key]
    (chart / "values.yaml").write_text(yaml.safe_dump(values))
    for extra in ([], ["--set", "master.ingress.enabled=true", "--set", "worker.podAnnotations.team=perf"]):
        earlier = subprocess.run([tool("helm"), "template", RELEASE, str(chart), *extra], capture_output=True,
                                 text=True, timeout=120)
        now = subprocess.run([tool("helm"), "template", RELEASE, str(CHART), *extra], capture_output=True,
                             text=True, timeout=120)
        assert (earlier.returncode, now.returncode) == (0, 0), earlier.stderr
        assert earlier.stdout.replace(str(chart), str(CHART)) == now.stdout


@pytest.mark.parametrize("version, taken", [("1.25.9", False), ("1.26.0", True), ("v1.30.2-eks-1234", True),
                                            ("1.33.1+k3s1", True)])
def test_helm_refuses_a_cluster_without_pod_failure_policies(version, taken, tmp_path):
    """A run to completion's workers end by their Job's podFailurePolicy (Kubernetes 1.26 and later):
    an older API server dropped it without a word. Helm refuses such a cluster, naming the version;
    the versions that managed clusters report (with a suffix) are taken."""
    out = helm("template", RELEASE, str(CHART), "--kube-version", version, values={}, tmp=tmp_path)
    assert (out.returncode == 0) == taken, out.stderr
    if not taken:
        assert f"chart requires kubeVersion: >=1.26.0-0 which is incompatible with Kubernetes v{version}" in out.stderr


@pytest.mark.parametrize("thresholds", [[], ["p95<500ms"]], ids=["no thresholds", "thresholds"])
def test_helm_notes_tell_the_exit_codes_of_the_run(thresholds, tmp_path):
    """The notes `helm install` prints name the exit codes the master's Job ends with: with thresholds
    a failed one is 3 and an interrupted run 4 (the master's codes), which they did not tell."""
    out = helm("install", "smoke", str(CHART), "--dry-run=client", tmp=tmp_path,
               values={"master": {"runToCompletion": True, "runTime": "1m", "thresholds": thresholds}})
    assert out.returncode == 0, out.stderr
    [line] = [line for line in out.stdout.splitlines() if line.startswith("Follow it and read its result")]
    if thresholds:
        assert f"0 every threshold held; {EXIT_BREACHED} one failed; {EXIT_INTERRUPTED} interrupted; 1 the workers " \
            "never came" in line, line
    else:
        assert "(0 passed; 1 a request failed or the workers never came)" in line, line


@pytest.mark.parametrize("rate, expected", [("0.5", 0.5), (".25", 0.25), ("10", 10.0)])
def test_helm_takes_a_fractional_spawn_rate_from_set(rate, expected, tmp_path):
    """`--set master.spawnRate=0.5`, a slow ramp: Helm's --set gives a decimal as a string (only whole
    numbers become numbers), which the schema refused ("got string, want number"). It reaches
    Locust's --spawn-rate, which takes it."""
    out = helm("template", RELEASE, str(CHART), "--set", "master.headless=true", "--set", f"master.spawnRate={rate}")
    assert out.returncode == 0, out.stderr
    master = by_kind([d for d in yaml.safe_load_all(out.stdout) if d])["Deployment", f"{PREFIX}-master"]
    parser = get_parser()
    add_arguments(parser)
    assert parser.parse_args(["-f", "master/locustfile.py", *args_of(master)]).spawn_rate == expected


def test_helm_refuses_a_spool_volume_smaller_than_what_the_master_keeps(tmp_path):
    """master.spoolSize is the emptyDir's sizeLimit, past which Kubernetes evicts the master; the master
    does not read it and keeps up to its spool's own bound (spool.Spool's max_bytes) while InfluxDB is
    unreachable. A spoolSize of 256Mi, taken as the spool's limit, ended the test by an eviction."""
    bound = inspect.signature(Spool).parameters["max_bytes"].default
    values = {"influxdb": {"url": "http://influxdb:8086"}, "master": {"spoolSize": f"{bound // 2**20}Mi"}}
    out = helm("template", RELEASE, str(CHART), values=values, tmp=tmp_path)
    assert out.returncode != 0 and f"master.spoolSize: got {bound // 2**20}Mi; expected at least 576Mi: " \
        f"the master keeps up to {bound // 2**20} MiB of points" in out.stderr, out.stderr
    values["master"]["spoolSize"] = "576Mi"
    master = by_kind(render(values, tmp_path)[1])["Deployment", f"{PREFIX}-master"]
    assert {"name": "spool", "emptyDir": {"sizeLimit": "576Mi"}} in pod_spec(master)["volumes"]
    default = yaml.safe_load((CHART / "values.yaml").read_text())["master"]["spoolSize"]
    assert default == "1Gi" and 2**30 > bound


def test_helm_refuses_report_files_in_the_masters_read_only_working_directory(tmp_path):
    """`--csv results` in master.extraArgs (or LOCUST_JUNIT_XML=junit.xml): the master image's working
    directory is on the pod's read-only root file system, so the write failed in the cluster, while
    it worked on a laptop. Refused, naming the flag or variable and a path under /tmp, which is
    writable; an absolute path is the user's choice."""
    workdirs = re.findall(r"^WORKDIR (\S+)", (REPO / "deploy" / "docker" / "master.Dockerfile").read_text(), re.M)
    assert workdirs[-1] == "/var/lib/locust-fleet"
    values = {"master": {"extraArgs": ["--csv", "results", "--html=report.html", "--json-file", "/tmp/stats"],
                         "extraEnv": [{"name": "LOCUST_JUNIT_XML", "value": "junit.xml"}]}}
    out = helm("template", RELEASE, str(CHART), values=values, tmp=tmp_path)
    assert out.returncode != 0 and not out.stdout, out.stdout
    assert [line.split(" is a relative path")[0] for line in out.stderr.splitlines() if "relative path" in line] == [
        "master.extraArgs: --csv results", "master.extraArgs: --html report.html",
        "master.extraEnv: LOCUST_JUNIT_XML junit.xml"], out.stderr
    assert "give a path under /tmp (64 MiB, gone with the pod), e.g. /tmp/results" in out.stderr
    values["master"] = {"extraArgs": ["--csv", "/tmp/results", "--json-file", "/tmp/stats"]}
    master = by_kind(render(values, tmp_path)[1])["Deployment", f"{PREFIX}-master"]
    container = containers(master)[0]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True and "workingDir" not in container
    assert {"name": "tmp", "mountPath": "/tmp"} in container["volumeMounts"]


# The digest of each version of the chart as released (chart_digest): a version's files never change once
# it is on main. Changed the chart? Bump version in Chart.yaml per semver, add its section to CHANGELOG.md and
# its digest here; never edit the digest of a version main has.
CHART_RELEASES = {
    "0.1.0": "39f19e3340151e39ad82d2f7e84de9739bba0ddf7849158cd52216d1055fe4ca",
    "0.2.0": "2737506c1807acd76b86103c1346703db82d5846d909eb8ec60833aefcb91320",
}


def chart_digest(chart: Path, tmp: Path) -> tuple[str, str]:
    """(version, sha256) of what `helm package` puts in the chart (so .helmignore applies), but CHANGELOG.md and
    the version line of Chart.yaml, which the package writes out again from its fields."""
    out = subprocess.run([tool("helm"), "package", str(chart), "--destination", str(tmp)], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    [package] = tmp.glob("*.tgz")
    digest = hashlib.sha256()
    with tarfile.open(package) as tar:
        files = {m.name.split("/", 1)[1]: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}
    version = yaml.safe_load(files["Chart.yaml"])["version"]
    files["Chart.yaml"] = re.sub(rb"(?m)^version: .*\n", b"", files["Chart.yaml"])
    for name in sorted(set(files) - {"CHANGELOG.md"}):
        digest.update(f"{name}\0{len(files[name])}\0".encode() + files[name])
    return version, digest.hexdigest()


def test_the_chart_changes_only_with_a_new_version(tmp_path):
    """The chart's templates and values changed after 0.1.0 and its version stayed 0.1.0: a release
    upgraded from one 0.1.0 to another changed, and `helm list` told nothing. Each version's files are
    recorded; a change under a recorded version fails here, naming what to do."""
    version, digest = chart_digest(CHART, tmp_path)
    versions = list(CHART_RELEASES)
    assert versions == sorted(versions, key=lambda v: tuple(map(int, v.split(".")))), versions
    assert version == versions[-1], \
        f"Chart.yaml's version {version} is not the last in CHART_RELEASES ({versions[-1]}): record its digest {digest}"
    assert digest == CHART_RELEASES[version], (
        f"deploy/helm/locust-fleet changed under version {version}, whose digest is recorded: bump version in "
        f"Chart.yaml per semver, add its section to CHANGELOG.md and its digest to CHART_RELEASES ({digest}); only "
        f"while main does not have {version} yet, record {digest} as its digest instead")
    sections = re.findall(r"^## (\S+)$", (CHART / "CHANGELOG.md").read_text(), re.M)
    assert sections == versions[::-1], f"CHANGELOG.md's sections {sections}; expected one per version, newest first"
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    assert chart["appVersion"] == values["image"]["master"]["tag"] == values["image"]["worker"]["tag"], \
        "appVersion is the images' default tag"


def previous_chart(tmp: Path) -> tuple[str, Path]:
    """(version, directory) of the chart as the version before Chart.yaml's was last committed."""
    version = yaml.safe_load((CHART / "Chart.yaml").read_text())["version"]
    where = str(CHART.relative_to(REPO))
    git = functools.partial(subprocess.run, cwd=REPO, capture_output=True, timeout=60, check=True)
    for commit in git(["git", "log", "--format=%H", "--", where], text=True).stdout.split():
        then = yaml.safe_load(git(["git", "show", f"{commit}:{where}/Chart.yaml"], text=True).stdout)["version"]
        if then != version:
            with tarfile.open(fileobj=__import__("io").BytesIO(git(["git", "archive", commit, where]).stdout)) as tar:
                tar.extractall(tmp, filter="data")
            return then, tmp / where
    raise AssertionError(f"no commit of {where} has a version other than {version}: is the clone's history complete?")


class DiscoveryOnly(BaseHTTPRequestHandler):
    """What `helm upgrade --dry-run=client` asks a cluster (its version and API groups, for the templates'
    Capabilities) and nothing more; the release itself comes from Helm's memory driver."""
    ANSWERS = {"/version": {"major": "1", "minor": "30", "gitVersion": "v1.30.0"},
               "/api": {"kind": "APIVersions", "versions": []}, "/apis": {"kind": "APIGroupList", "groups": []}}

    def do_GET(self):
        answer = self.ANSWERS.get(self.path.split("?")[0])
        body = json.dumps(answer or {"kind": "Status", "code": 404}).encode()
        self.send_response(200 if answer else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


INSTALLED_WITH = {"worker": {"replicas": 4, "podAnnotations": {"sidecar.istio.io/inject": "false"}},
                  "influxdb": {"url": "http://influxdb.monitoring:8086", "existingSecret": "team-influx"},
                  "master": {"runTags": {"env": "staging"}}}


@pytest.mark.parametrize("how", ["--reuse-values", "--reset-then-reuse-values"])
def test_helm_upgrade_from_the_previous_version_reusing_its_values(how, tmp_path):
    """A release installed with the previous version of the chart (from the repository's history), upgraded by
    Helm itself: its memory driver holds the release, and `helm upgrade --dry-run=client` renders the new
    chart with what the flag takes (--reuse-values: the old chart's defaults and the release's values, without
    the keys added since; --reset-then-reuse-values: the new defaults). It renders what the new chart renders
    with those values, and a key added since can be set in that upgrade."""
    version, old = previous_chart(tmp_path / "old")
    assert chart_digest(old, tmp_path / "package")[1] == CHART_RELEASES[version], "the recorded release"
    (tmp_path / "installed.json").write_text(json.dumps(INSTALLED_WITH))
    out = helm("install", RELEASE, str(old), "--namespace", "load", "--dry-run=client", "--output", "json",
               "--values", str(tmp_path / "installed.json"))
    assert out.returncode == 0, out.stderr
    release = json.loads(out.stdout)
    release["info"]["status"] = "deployed"
    (tmp_path / "releases.json").write_text(json.dumps([release]))
    server = ThreadingHTTPServer(("127.0.0.1", 0), DiscoveryOnly)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        (tmp_path / "kubeconfig").write_text(yaml.safe_dump({
            "apiVersion": "v1", "kind": "Config", "current-context": "c", "users": [],
            "clusters": [{"name": "c", "cluster": {"server": f"http://127.0.0.1:{server.server_port}"}}],
            "contexts": [{"name": "c", "context": {"cluster": "c", "namespace": "load"}}]}))
        env = {**os.environ, "KUBECONFIG": str(tmp_path / "kubeconfig"), "HELM_DRIVER": "memory",
               "HELM_MEMORY_DRIVER_DATA": str(tmp_path / "releases.json")}
        setting_new_keys = (["--set", "worker.podLabels.team=perf", "--set", "master.priorityClassName=load"],
                            {"worker": {"podLabels": {"team": "perf"}}, "master": {"priorityClassName": "load"}})
        for extra, changed in (([], {}), setting_new_keys):
            out = subprocess.run([tool("helm"), "upgrade", RELEASE, str(CHART), "--namespace", "load", how,
                                  "--dry-run=client", "--output", "json", *extra], capture_output=True, text=True,
                                 timeout=120, env=env)
            assert out.returncode == 0, (extra, out.stderr)
            upgraded = json.loads(out.stdout)
            assert upgraded["chart"]["metadata"]["version"] != version and upgraded["version"] == 2
            values = {part: {**INSTALLED_WITH.get(part, {}), **changed.get(part, {})}
                      for part in {*INSTALLED_WITH, *changed}}
            values["worker"]["podAnnotations"] = INSTALLED_WITH["worker"]["podAnnotations"]
            assert [d for d in yaml.safe_load_all(upgraded["manifest"]) if d] == render(values, tmp_path)[1], extra
    finally:
        server.shutdown()
        server.server_close()
