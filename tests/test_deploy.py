"""Static checks of deploy/: the Compose stack, the Kubernetes manifests, the images' Go builds.

Nothing is started. Compose is validated by `docker compose config` (no engine needed) and its
normalised model checked; the Kubernetes manifests are cross-checked by harness/manifests.py
(selectors, Service ports, ConfigMap/Secret references, resources, images, who reaches the
master's worker port) as written and as kustomize renders them (Compose and kustomize are built
into .tools/bin by `make setup`; the Helm chart's checks are in test_deploy_helm.py). Every problem
names the file, the object and what is wrong; the checker functions are also fed broken documents,
so that they cannot pass by checking nothing. With no Docker engine here, the Go build stage of
each Dockerfile is played step by step (its WORKDIR, COPY and RUN lines) in an empty directory,
offline, with the modules `make setup` downloaded.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from harness.manifests import (CHECKS, Manifests, check_grace_periods, check_images, check_network_policy,
                               check_references, check_selectors, image_problem, name_of, obj, option, pod_spec,
                               problems, rel, stopping_master_needs, stopping_worker_needs, tool)
from harness.procs import REPO

pytestmark = pytest.mark.builds  # the tools `make setup` builds into .tools/bin

DEPLOY = REPO / "deploy"
COMPOSE_FILE = DEPLOY / "docker-compose.yml"
K8S = DEPLOY / "k8s"
NAMESPACE = "locust-fleet"
GRAFANA_MOUNTS = {"/etc/grafana/provisioning", "/var/lib/grafana/dashboards"}


# ---------------------------------------------------------------- Compose


@pytest.fixture(scope="module")
def compose() -> list[str]:
    """Docker Compose v2 run standalone: `config` parses and normalises without a Docker engine."""
    return [tool("docker-compose")]


def run_compose(cmd: list[str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*cmd, "-f", str(COMPOSE_FILE), *args], capture_output=True, text=True,
                          timeout=120, cwd=REPO)


def published_ports(service: dict) -> list[tuple[str, str]]:
    """(host_ip, published) of each published port, from the long form `docker compose config` writes."""
    ports = []
    for port in service.get("ports") or []:
        if isinstance(port, dict):
            if port.get("published"):
                ports.append((port.get("host_ip") or "", str(port["published"])))
        else:  # short form "[HOST_IP:]PUBLISHED:TARGET" in a model that was not normalised
            parts = str(port).split(":")
            if len(parts) >= 2:
                ports.append((":".join(parts[:-2]), parts[-2]))
    return ports


def go_duration_seconds(text: str) -> float:
    """Seconds of a duration as `docker compose config` writes it (Go's: 1m0s, 40s, 1.5s)."""
    units = {"h": 3600, "m": 60, "s": 1, "ms": 0.001}
    return sum(float(n) * units[u] for n, u in re.findall(r"([0-9.]+)(ms|h|m|s)", text))


def compose_problems(model: dict, where: str = "deploy/docker-compose.yml") -> list[str]:
    """Everything wrong with a normalised Compose model (`docker compose config --format json`)."""
    problems = []
    services = model.get("services") or {}
    for name in ("influxdb", "grafana", "target", "master", "worker"):
        if name not in services:
            problems.append(f"{where}: service {name!r} is missing")
    for name, svc in services.items():
        what = f"{where}: service {name!r}"
        if (bad := image_problem(svc.get("image"))):
            problems.append(f"{what}: {bad}")
        for host_ip, published in published_ports(svc):
            if host_ip not in ("127.0.0.1", "::1"):
                problems.append(f"{what}: port {published} is published on {host_ip or 'every interface'}; "
                                "expected 127.0.0.1")
        for dep, spec in (svc.get("depends_on") or {}).items():
            if dep not in services:
                problems.append(f"{what}: depends_on names no service: {dep!r}")
            elif isinstance(spec, dict) and spec.get("condition") == "service_healthy" \
                    and not services[dep].get("healthcheck"):
                problems.append(f"{what}: waits for {dep!r} to be healthy, but {dep!r} has no healthcheck")

    master = services.get("master", {})
    if not any(p == "8089" for _, p in published_ports(master)) or \
            not any(p == "5557" for _, p in published_ports(master)):
        problems.append(f"{where}: service 'master': ports 8089 and 5557 should be published (on 127.0.0.1)")
    if (master.get("depends_on") or {}).get("influxdb", {}).get("condition") != "service_healthy":
        problems.append(f"{where}: service 'master': should wait for influxdb to be healthy")

    # Compose kills a container stop_grace_period (10 s by default) after its SIGTERM.
    for name, needs in (("master", stopping_master_needs([str(a) for a in master.get("command") or []],
                                                         master.get("environment") or {})),
                        ("worker", stopping_worker_needs())):
        grace = go_duration_seconds(services.get(name, {}).get("stop_grace_period") or "10s")
        if grace < needs:
            problems.append(f"{where}: service {name!r}: stop_grace_period is {grace:g} s, below the {needs} s it may "
                            "need to stop without losing the run's last seconds")

    worker = services.get("worker", {})
    if "container_name" in worker:
        problems.append(f"{where}: service 'worker' has container_name {worker['container_name']!r}, "
                        "which breaks `--scale worker=N`")
    if published_ports(worker):
        problems.append(f"{where}: service 'worker' publishes ports, which breaks `--scale worker=N`")
    if worker.get("restart") != "on-failure":
        problems.append(f"{where}: service 'worker': restart is {worker.get('restart')!r}; expected 'on-failure' "
                        "(a worker exits 1 when its master is gone)")
    args = [str(a) for a in worker.get("command") or []]
    host = option(args, "--master-host")
    if host not in services:
        problems.append(f"{where}: service 'worker': --master-host {host!r} is not a service")
    target = option(args, "--target")
    if target is None or urlsplit(target).hostname not in services:
        problems.append(f"{where}: service 'worker': --target {target!r} does not name a service")

    grafana = services.get("grafana", {})
    mounted = set()
    for vol in grafana.get("volumes") or []:
        if not isinstance(vol, dict) or vol.get("type") != "bind":
            continue
        mounted.add(vol.get("target"))
        source = Path(vol["source"])
        if not source.is_absolute():
            source = COMPOSE_FILE.parent / source
        if not source.is_dir():
            problems.append(f"{where}: service 'grafana': bind mount source {rel(source)} does not exist")
    for missing in sorted(GRAFANA_MOUNTS - mounted):
        problems.append(f"{where}: service 'grafana': nothing is mounted at {missing}")
    return problems


def test_compose_config_is_valid(compose):
    out = run_compose(compose, "config", "--quiet")
    assert out.returncode == 0, f"`{' '.join(compose)} config` rejects {rel(COMPOSE_FILE)}:\n{out.stderr}"


def test_compose_model(compose):
    out = run_compose(compose, "config", "--format", "json")
    assert out.returncode == 0, out.stderr
    problems = compose_problems(json.loads(out.stdout))
    assert not problems, "\n".join(problems)


def test_compose_checker_reports_broken_model():
    broken = {"services": {
        "influxdb": {"image": "influxdb"},
        "grafana": {"image": "grafana/grafana:latest", "volumes": [
            {"type": "bind", "source": "/nonexistent/provisioning", "target": "/etc/grafana/provisioning"}]},
        "target": {"image": "localhost:5000/target"},
        "master": {"image": "m:1", "ports": [{"target": 8089, "published": "8089"}],
                   "depends_on": {"influxdb": {"condition": "service_healthy"}}},
        "worker": {"image": "w:1", "container_name": "worker", "restart": "always",
                   "command": ["--master-host", "nowhere", "--target", "http://target:8080"]},
    }}
    text = "\n".join(compose_problems(broken, "broken.yml"))
    for expected in ("service 'influxdb': image 'influxdb' has no tag",
                     "service 'grafana': image 'grafana/grafana:latest' uses the tag latest",
                     "service 'target': image 'localhost:5000/target' has no tag",
                     "port 8089 is published on every interface",
                     "'influxdb' has no healthcheck",
                     "container_name 'worker'",
                     "restart is 'always'",
                     "--master-host 'nowhere' is not a service",
                     "/nonexistent/provisioning does not exist",
                     "nothing is mounted at /var/lib/grafana/dashboards",
                     "service 'master': stop_grace_period is 10 s, below the 31 s it may need",
                     f"service 'worker': stop_grace_period is 10 s, below the {stopping_worker_needs()} s it may need"):
        assert expected in text, f"the Compose checker missed {expected!r}; it reported:\n{text}"


# ---------------------------------------------------------------- Images


DOCKERFILES = sorted((DEPLOY / "docker").glob("*.Dockerfile"))


def dockerfile_stages(path: Path) -> dict[str, list[tuple[str, str]]]:
    """Stage name (or base image) -> its (INSTRUCTION, arguments), continuation lines joined."""
    text = path.read_text().replace("\\\n", " ")
    stages: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        instruction, _, rest = line.partition(" ")
        if instruction.upper() == "FROM":
            words = rest.split()
            current = stages.setdefault(words[-1] if "AS" in (w.upper() for w in words) else words[0], [])
        current.append((instruction.upper(), rest.strip()))
    return stages


def dockerignored(relative: str) -> bool:
    for pattern in (REPO / ".dockerignore").read_text().splitlines():
        pattern = pattern.strip()
        if not pattern or pattern.startswith("#"):
            continue
        if pattern.startswith("**/"):
            if fnmatch.fnmatch(Path(relative).name, pattern[3:]):
                return True
        elif relative == pattern or relative.startswith(pattern + "/") or fnmatch.fnmatch(relative, pattern):
            return True
    return False


def play_stage(steps: list[tuple[str, str]], root: Path, where: str) -> None:
    """Runs a build stage's WORKDIR, COPY and RUN lines under root (standing in for /), with the
    repository as the build context: what the stage copies is all it has."""
    cwd = root
    env = {**os.environ, "GOPROXY": "off", "GOFLAGS": "-mod=readonly"}  # offline: make setup's modules
    for instruction, rest in steps:
        if instruction == "FROM":
            continue
        if instruction == "WORKDIR":
            cwd = root / rest.lstrip("/")
            cwd.mkdir(parents=True, exist_ok=True)
        elif instruction == "COPY":
            words = [w for w in shlex.split(rest) if not w.startswith("--")]
            *sources, dest = words
            target = (root / dest.lstrip("/")) if dest.startswith("/") else cwd / dest
            for source in sources:
                src = REPO / source
                assert src.exists(), f"{where}: COPY {source}: no such file in the build context"
                if src.is_dir():
                    shutil.copytree(src, target, dirs_exist_ok=True, ignore=lambda d, names: [
                        n for n in names if dockerignored(str((Path(d) / n).relative_to(REPO)))])
                else:
                    (target if dest.endswith("/") else target.parent).mkdir(parents=True, exist_ok=True)
                    shutil.copy(src, target / src.name if dest.endswith("/") else target)
        elif instruction == "RUN":
            command = rest.replace(" /out/", f" {root}/out/")
            out = subprocess.run(["sh", "-ec", command], cwd=cwd, env=env, capture_output=True, text=True,
                                 timeout=600)
            assert out.returncode == 0, f"{where}: RUN {rest}\nfails in a build:\n{out.stdout}{out.stderr}"
        else:
            raise AssertionError(f"{where}: {instruction} in the Go build stage; teach play_stage it")


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=[p.name for p in DOCKERFILES])
def test_image_go_stage_builds_from_what_it_copies(dockerfile, tmp_path):
    """The Go stage of each image builds the worker from the files it COPYs, no others: a file a
    step needs (e.g. the go.mod of a module go.mod replaces with a directory) must be copied before
    that step."""
    [(stage, steps)] = [(name, steps) for name, steps in dockerfile_stages(dockerfile).items()
                        if steps[0][1].startswith("golang:")]
    play_stage(steps, tmp_path, f"{rel(dockerfile)} (stage {stage})")
    built = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert built, f"{rel(dockerfile)}: the Go stage built nothing into /out"


# ---------------------------------------------------------------- Kubernetes


def load_kustomization() -> dict:
    return yaml.safe_load((K8S / "kustomization.yaml").read_text())


def generator_files(entry: dict) -> list[tuple[str | None, Path]]:
    """(key, path) of each file a generator entry reads; key None for `envs` files."""
    out = []
    for spec in entry.get("files") or []:
        key, _, path = spec.rpartition("=")
        out.append((key or Path(path).name, K8S / path))
    envs = list(entry.get("envs") or []) + ([entry["env"]] if entry.get("env") else [])
    out += [(None, K8S / path) for path in envs]
    return out


def generated_names(kustomization: dict) -> dict[str, dict[str, set[str] | None]]:
    generated: dict[str, dict[str, set[str] | None]] = {"ConfigMap": {}, "Secret": {}}
    for field, kind in (("configMapGenerator", "ConfigMap"), ("secretGenerator", "Secret")):
        for entry in kustomization.get(field) or []:
            keys: set[str] | None = {lit.split("=", 1)[0] for lit in entry.get("literals") or []}
            for key, _ in generator_files(entry):
                keys = None if key is None or keys is None else keys | {key}
            generated[kind][entry["name"]] = keys
    return generated


def load_k8s_manifests() -> Manifests:
    kustomization = load_kustomization()
    docs = []
    for resource in kustomization.get("resources") or []:
        path = K8S / resource
        if path.is_file():
            docs += [(rel(path), d) for d in yaml.safe_load_all(path.read_text())]
    return Manifests(docs, generated_names(kustomization))


def test_k8s_every_yaml_is_a_listed_resource():
    kustomization = load_kustomization()
    listed = {str(K8S / r) for r in kustomization.get("resources") or []}
    unlisted = [rel(p) for p in sorted(K8S.glob("*.yaml")) if p.name != "kustomization.yaml" and str(p) not in listed]
    assert not unlisted, f"deploy/k8s/kustomization.yaml: resources does not list {unlisted}"


def test_k8s_kustomization_files_exist():
    kustomization = load_kustomization()
    missing = [f"deploy/k8s/kustomization.yaml: resources: {r} does not exist"
               for r in kustomization.get("resources") or [] if not (K8S / r).exists()]
    for field in ("configMapGenerator", "secretGenerator"):
        for entry in kustomization.get(field) or []:
            missing += [f"deploy/k8s/kustomization.yaml: {field} {entry['name']!r}: {rel(path)} does not exist"
                        for _, path in generator_files(entry) if not path.is_file()]
    assert kustomization.get("namespace") == NAMESPACE, "deploy/k8s/kustomization.yaml: namespace is not locust-fleet"
    assert not missing, "\n".join(missing)


def test_k8s_manifests_parse():
    for path in sorted(K8S.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            assert doc is None or ("kind" in doc and "apiVersion" in doc), f"{rel(path)}: a document has no kind/apiVersion"


@pytest.mark.parametrize("check", CHECKS, ids=[c.__name__ for c in CHECKS])
def test_k8s_manifests(check):
    problems = check(load_k8s_manifests())
    assert not problems, "\n".join(problems)


def test_k8s_expected_objects():
    m = load_k8s_manifests()
    have = {(d["kind"], name_of(d)) for _, d in m.docs}
    expected = {("Namespace", NAMESPACE), ("Deployment", "locust-master"), ("Service", "locust-master"),
                ("Deployment", "locust-worker"), ("Deployment", "locust-target"), ("Service", "locust-target"),
                ("StatefulSet", "influxdb"), ("Service", "influxdb"), ("Deployment", "grafana"),
                ("Service", "grafana"), ("NetworkPolicy", "locust-master")}
    assert not expected - have, f"deploy/k8s: missing objects {sorted(expected - have)}"
    master_ports = {p["name"]: p["port"] for p in m.services()["locust-master"][1]["spec"]["ports"]}
    assert master_ports == {"workers": 5557, "web": 8089}, f"deploy/k8s/master.yaml: Service/locust-master ports {master_ports}"


def test_k8s_kustomize_build():
    """The rendered output: generated names (with hash suffixes) must still line up everywhere."""
    cmd = [tool("kustomize"), "build", "--load-restrictor", "LoadRestrictionsNone"]
    out = subprocess.run([*cmd, str(K8S)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, f"`{' '.join(cmd)} deploy/k8s` failed:\n{out.stderr}"
    docs = [("kustomize build", d) for d in yaml.safe_load_all(out.stdout) if d]
    problems = [p for check in CHECKS for p in check(Manifests(docs))]
    problems += [f"{obj(f, d)}: namespace is {d['metadata'].get('namespace')!r}, not {NAMESPACE!r}"
                 for f, d in docs if d["kind"] != "Namespace" and d["metadata"].get("namespace") != NAMESPACE]
    dashboards = [d for _, d in docs if d["kind"] == "ConfigMap" and name_of(d).startswith("grafana-dashboards")]
    for d in dashboards:
        for key, text in d["data"].items():
            assert (DEPLOY / "grafana" / "dashboards" / key).read_text() == text, f"ConfigMap {name_of(d)}: {key} differs"
    assert dashboards, "kustomize build: no grafana-dashboards ConfigMap"
    assert not problems, "\n".join(problems)


# The checkers on deliberately broken manifests: each must report what is wrong.

BROKEN = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: webb}}
    spec:
      containers:
        - name: web
          image: nginx
          ports: [{name: http, containerPort: 80}]
          env:
            - name: PASSWORD
              valueFrom: {secretKeyRef: {name: creds, key: pasword}}
          volumeMounts: [{name: conf, mountPath: /etc/conf}]
      volumes:
        - name: conf
          configMap: {name: missing-config}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      securityContext: {runAsNonRoot: true}
      containers:
        - name: db
          image: influxdb:latest
          resources: {requests: {cpu: 1, memory: 1Gi}, limits: {cpu: 1}}
          args: ["--master-host", "web", "--master-port", "5557", "--target", "http://nowhere:80"]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: NodePort
  selector: {app: webb}
  ports: [{name: workers, port: 5557, targetPort: admin}]
---
apiVersion: v1
kind: Service
metadata: {name: other}
spec:
  selector: {app: nothing}
  ports: [{port: 80}]
"""


def broken_report() -> str:
    m = Manifests([("broken.yaml", d) for d in yaml.safe_load_all(BROKEN)],
                  {"ConfigMap": {}, "Secret": {"creds": {"password"}}})
    return "\n".join(p for check in CHECKS for p in check(m))


@pytest.mark.parametrize("expected", [
    "broken.yaml: Deployment/web: selector.matchLabels {'app': 'web'} is not a subset",
    "broken.yaml: Deployment/web: volume 'conf' uses ConfigMap 'missing-config', which is neither a manifest",
    "broken.yaml: Deployment/web: container 'web' env PASSWORD uses key 'pasword' of Secret 'creds'",
    "broken.yaml: Deployment/web: container 'web': image 'nginx' has no tag",
    "broken.yaml: Deployment/web: container 'web' has no resources.requests.cpu",
    "broken.yaml: Deployment/web: container 'web' does not set securityContext.runAsNonRoot",
    "broken.yaml: StatefulSet/db: container 'db' has no resources.limits.memory",
    "broken.yaml: StatefulSet/db: container 'db': image 'influxdb:latest' uses the tag latest",
    "broken.yaml: StatefulSet/db: serviceName 'db' names no Service",
    "broken.yaml: Service/web: port workers targets 'admin', which is no containerPort of Deployment/web",
    "broken.yaml: Service/other: selector {'app': 'nothing'} matches the pods of no workload",
    "broken.yaml: Service/web: type NodePort exposes the unauthenticated worker port",
    "--target 'http://nowhere:80' is not a port of a Service",
])
def test_k8s_checkers_report_broken_manifests(expected):
    report = broken_report()
    assert expected in report, f"the checkers missed {expected!r}; they reported:\n{report}"


def test_k8s_checkers_accept_the_fixed_parts():
    """The reports above come from the faults, not from checkers that flag everything."""
    fixed = BROKEN.replace("app: webb", "app: web").replace("image: nginx", "image: nginx:1.27")
    m = Manifests([("fixed.yaml", d) for d in yaml.safe_load_all(fixed)], {"ConfigMap": {"missing-config": None}})
    assert check_selectors(m) == []
    assert [p for p in check_images(m) if "Deployment/web" in p] == []
    assert [p for p in check_references(m) if "missing-config" in p] == []


# The checks of who reaches the master, autoscalers, budgets and secrets, on a small fleet: a
# master, its workers, a target and a Job, each with its own labels (tier: load on two of them).

FLEET = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: master}
spec:
  selector: {matchLabels: {app: master}}
  template:
    metadata: {labels: {app: master}}
    spec:
      containers:
        - name: master
          image: m:1
          ports: [{name: workers, containerPort: 5557}]
          env: [{name: LOCUST_INFLUXDB_TOKEN, value: s3cret}]
---
apiVersion: v1
kind: Service
metadata: {name: master}
spec:
  selector: {app: master}
  ports: [{name: workers, port: 5557, targetPort: workers}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: worker}
spec:
  replicas: 3
  selector: {matchLabels: {app: worker}}
  template:
    metadata: {labels: {app: worker, tier: load}}
    spec:
      containers:
        - {name: worker, image: w:1, args: [--worker, --master-host=master, --master-port=5557]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: target}
spec:
  selector: {matchLabels: {app: target}}
  template:
    metadata: {labels: {app: target, tier: load}}
    spec:
      containers: [{name: target, image: t:1}]
---
apiVersion: batch/v1
kind: Job
metadata: {name: once}
spec:
  template:
    metadata: {labels: {app: once}}
    spec:
      restartPolicy: Never
      containers: [{name: once, image: o:1}]
"""

POLICIES = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: open}
spec:
  podSelector: {matchLabels: {app: master}}
  policyTypes: [Ingress]
  ingress:
    - ports: [{port: 5557}]
    - ports: [{port: workers}]
      from: [{namespaceSelector: {}}]
    - from: [{podSelector: {matchLabels: {tier: load}}}]
    - ports: [{port: 8089}]
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: worker}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: worker}
  minReplicas: 5
  maxReplicas: 2
  metrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}}]
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: lost}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: nothing}
  maxReplicas: 2
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: once}
spec:
  maxUnavailable: 1
  selector: {matchLabels: {app: once}}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: nobody}
spec:
  minAvailable: 1
  selector: {matchLabels: {app: nobody}}
"""


def fleet(*extra: str) -> Manifests:
    return Manifests([("fleet.yaml", d) for text in (FLEET, *extra) for d in yaml.safe_load_all(text)])


@pytest.mark.parametrize("expected", [
    "fleet.yaml: NetworkPolicy/open: ingress[0] admits every source to the worker port 5557",
    "fleet.yaml: NetworkPolicy/open: ingress[1] admits ['namespaceSelector'] peers to the worker port 5557; "
    "expected the workers' podSelector only",
    "fleet.yaml: NetworkPolicy/open: ingress[2] admits Deployment/target to the worker port 5557, not only the workers",
    "fleet.yaml: HorizontalPodAutoscaler/worker: Deployment/worker sets replicas, which every upgrade would reset",
    "fleet.yaml: HorizontalPodAutoscaler/worker: minReplicas 5 > maxReplicas 2",
    "fleet.yaml: HorizontalPodAutoscaler/worker: scales on CPU, but container 'worker' of Deployment/worker "
    "requests no CPU",
    "fleet.yaml: HorizontalPodAutoscaler/lost: scaleTargetRef Deployment/nothing is no Deployment or StatefulSet",
    "fleet.yaml: PodDisruptionBudget/once: maxUnavailable or a percentage on the pods of Job/once",
    "fleet.yaml: PodDisruptionBudget/nobody: selector {'app': 'nobody'} matches the pods of no workload",
    "fleet.yaml: Deployment/master: container 'master' env LOCUST_INFLUXDB_TOKEN is written in the manifest; "
    "expected valueFrom.secretKeyRef",
])
def test_k8s_checkers_report_a_broken_fleet(expected):
    report = "\n".join(problems(fleet(POLICIES)))
    assert expected in report, f"the checkers missed {expected!r}; they reported:\n{report}"


def test_k8s_checkers_report_grace_periods_shorter_than_a_stop():
    """A worker killed before its last report loses its last requests; a master killed in its drain or final
    write to InfluxDB loses its run's end (Kubernetes' default grace is 30 s)."""
    m = fleet()
    docs = {name_of(d): d for _, d in m.workloads()}
    master = pod_spec(docs["master"])
    master["containers"][0]["args"] = ["--drain-timeout", "10"]
    master["containers"][0]["env"].append({"name": "LOCUST_INFLUXDB_URL", "value": "http://influxdb:8086"})
    for worker_grace, master_grace, expected in [
        (stopping_worker_needs() - 1, 25, [
            f"fleet.yaml: Deployment/worker: terminationGracePeriodSeconds {stopping_worker_needs() - 1} is below "
            f"the {stopping_worker_needs()} s a stopping worker may need to report its last requests",
            "fleet.yaml: Deployment/master: terminationGracePeriodSeconds 25 is below the 26 s a stopping master may "
            "need to drain its workers and write the run out"]),
        (stopping_worker_needs(), 26, []),
    ]:
        pod_spec(docs["worker"])["terminationGracePeriodSeconds"] = worker_grace
        master["terminationGracePeriodSeconds"] = master_grace
        assert check_grace_periods(m) == expected


def test_k8s_checkers_report_a_master_without_a_network_policy():
    assert check_network_policy(fleet()) == [
        "fleet.yaml: Deployment/master: worker port 5557: no NetworkPolicy selects the master's pods; every pod "
        "of the cluster reaches this unauthenticated port"]


def test_k8s_checkers_accept_a_policy_that_admits_the_workers_only():
    only_workers = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: workers-only}
spec:
  podSelector: {matchLabels: {app: master}}
  policyTypes: [Ingress]
  ingress:
    - ports: [{port: workers}]
      from: [{podSelector: {matchLabels: {app: worker}}}]
    - ports: [{port: 8089}]
"""
    assert check_network_policy(fleet(only_workers)) == []
    assert check_network_policy(fleet(only_workers.replace("app: worker}", "app: target}"))) == [
        "fleet.yaml: NetworkPolicy/workers-only: ingress[0] admits Deployment/target to the worker port 5557, "
        "not only the workers",
        "fleet.yaml: NetworkPolicy/workers-only: ingress[0]: podSelector {'app': 'target'} does not select the pods "
        "of Deployment/worker",
        "fleet.yaml: Deployment/master: worker port 5557: no NetworkPolicy rule admits Deployment/worker (fleet.yaml)",
    ]
