"""Static checks of deploy/: the Compose stack and the Kubernetes manifests.

Nothing is started. Compose is validated by `docker compose config` (no engine needed) and its
normalised model checked; the Kubernetes manifests are cross-checked (selectors, Service ports,
ConfigMap/Secret references, resources, images) as written and as kustomize renders them
(Compose and kustomize are built into .tools/bin by `make setup`). Every problem names the file, the object and what is wrong; the checker
functions are also fed broken documents, so that they cannot pass by checking nothing.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

pytestmark = pytest.mark.builds  # the tools `make setup` builds into .tools/bin

REPO = Path(__file__).resolve().parents[1]
DEPLOY = REPO / "deploy"
COMPOSE_FILE = DEPLOY / "docker-compose.yml"
K8S = DEPLOY / "k8s"
NAMESPACE = "locust-fleet"
GRAFANA_MOUNTS = {"/etc/grafana/provisioning", "/var/lib/grafana/dashboards"}


def rel(path: Path | str) -> str:
    path = Path(path)
    return str(path.relative_to(REPO)) if path.is_absolute() and path.is_relative_to(REPO) else str(path)


def image_problem(image: str | None) -> str | None:
    """Why an image reference is not pinned, or None when it is (a tag other than latest, or a digest)."""
    if not image:
        return "no image"
    if "@sha256:" in image:
        return None
    name, _, tag = image.rpartition(":")
    if not name or "/" in tag:  # the colon was a registry port, not a tag
        return f"image {image!r} has no tag"
    if tag == "latest":
        return f"image {image!r} uses the tag latest"
    return None


# ---------------------------------------------------------------- Compose


TOOLS = REPO / ".tools" / "bin"  # built by `make setup` (make tools), pinned versions


def tool(name: str) -> str:
    path = TOOLS / name
    assert path.exists(), f"{rel(path)} is missing: `make tools` (part of `make setup`) builds it"
    return str(path)


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


def option(args: list[str], flag: str) -> str | None:
    """The value of `flag VALUE` or `flag=VALUE` in an argument list."""
    for i, arg in enumerate(args):
        if arg == flag and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(flag + "="):
            return arg.split("=", 1)[1]
    return None


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
                     "nothing is mounted at /var/lib/grafana/dashboards"):
        assert expected in text, f"the Compose checker missed {expected!r}; it reported:\n{text}"


# ---------------------------------------------------------------- Kubernetes


class Manifests:
    """Kubernetes objects with the file each came from, plus the names kustomize generates."""

    def __init__(self, docs: list[tuple[str, dict]], generated: dict[str, dict[str, set[str] | None]] | None = None):
        self.docs = [(f, d) for f, d in docs if isinstance(d, dict)]
        # kind -> name -> keys (None when unknown), for ConfigMaps and Secrets from manifests and generators.
        self.data: dict[str, dict[str, set[str] | None]] = {"ConfigMap": {}, "Secret": {}}
        for kind, names in (generated or {}).items():
            self.data[kind].update(names)
        for _, doc in self.of_kind("ConfigMap", "Secret"):
            keys = set(doc.get("data") or {}) | set(doc.get("binaryData") or {}) | set(doc.get("stringData") or {})
            self.data[doc["kind"]][name_of(doc)] = keys

    def of_kind(self, *kinds: str):
        return [(f, d) for f, d in self.docs if d.get("kind") in kinds]

    def workloads(self):
        return self.of_kind("Deployment", "StatefulSet", "DaemonSet")

    def services(self) -> dict[str, tuple[str, dict]]:
        return {name_of(d): (f, d) for f, d in self.of_kind("Service")}


def name_of(doc: dict) -> str:
    return (doc.get("metadata") or {}).get("name", "?")


def obj(file: str, doc: dict) -> str:
    return f"{file}: {doc.get('kind')}/{name_of(doc)}"


def pod_spec(doc: dict) -> dict:
    return ((doc.get("spec") or {}).get("template") or {}).get("spec") or {}


def pod_labels(doc: dict) -> dict:
    return (((doc.get("spec") or {}).get("template") or {}).get("metadata") or {}).get("labels") or {}


def containers(doc: dict) -> list[dict]:
    spec = pod_spec(doc)
    return (spec.get("initContainers") or []) + (spec.get("containers") or [])


def selects(selector: dict, labels: dict) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def check_selectors(m: Manifests) -> list[str]:
    problems = []
    for f, d in m.workloads():
        selector = ((d.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
        if not selects(selector, pod_labels(d)):
            problems.append(f"{obj(f, d)}: selector.matchLabels {selector} is not a subset of the pod "
                            f"template labels {pod_labels(d)}")
    return problems


def check_services(m: Manifests) -> list[str]:
    problems = []
    for f, svc in m.of_kind("Service"):
        selector = (svc.get("spec") or {}).get("selector") or {}
        pods = [d for _, d in m.workloads() if selects(selector, pod_labels(d))]
        if not pods:
            problems.append(f"{obj(f, svc)}: selector {selector} matches the pods of no Deployment/StatefulSet")
            continue
        for port in (svc.get("spec") or {}).get("ports") or []:
            target = port.get("targetPort", port.get("port"))
            for d in pods:
                declared = [p for c in containers(d) for p in c.get("ports") or []]
                if not any(p.get("name") == target or p.get("containerPort") == target for p in declared):
                    problems.append(f"{obj(f, svc)}: port {port.get('name') or port.get('port')} targets "
                                    f"{target!r}, which is no containerPort of {d['kind']}/{name_of(d)}")
    return problems


def references(doc: dict):
    """(kind, name, key or None, where) of every ConfigMap and Secret a pod template uses."""
    spec = pod_spec(doc)
    for vol in spec.get("volumes") or []:
        if "configMap" in vol:
            yield "ConfigMap", vol["configMap"].get("name"), None, f"volume {vol.get('name')!r}"
        if "secret" in vol:
            yield "Secret", vol["secret"].get("secretName"), None, f"volume {vol.get('name')!r}"
        for source in (vol.get("projected") or {}).get("sources") or []:
            if "configMap" in source:
                yield "ConfigMap", source["configMap"].get("name"), None, f"volume {vol.get('name')!r}"
            if "secret" in source:
                yield "Secret", source["secret"].get("name"), None, f"volume {vol.get('name')!r}"
    for c in containers(doc):
        for src in c.get("envFrom") or []:
            if "configMapRef" in src:
                yield "ConfigMap", src["configMapRef"].get("name"), None, f"container {c.get('name')!r} envFrom"
            if "secretRef" in src:
                yield "Secret", src["secretRef"].get("name"), None, f"container {c.get('name')!r} envFrom"
        for env in c.get("env") or []:
            value_from = env.get("valueFrom") or {}
            for field, kind in (("configMapKeyRef", "ConfigMap"), ("secretKeyRef", "Secret")):
                if field in value_from:
                    ref = value_from[field]
                    yield kind, ref.get("name"), ref.get("key"), f"container {c.get('name')!r} env {env.get('name')}"


def check_references(m: Manifests) -> list[str]:
    problems = []
    for f, d in m.workloads():
        for kind, name, key, where in references(d):
            if name not in m.data[kind]:
                problems.append(f"{obj(f, d)}: {where} uses {kind} {name!r}, which is neither a manifest nor "
                                "generated by kustomization.yaml")
            elif key is not None and m.data[kind][name] is not None and key not in m.data[kind][name]:
                problems.append(f"{obj(f, d)}: {where} uses key {key!r} of {kind} {name!r}, which has only "
                                f"{sorted(m.data[kind][name])}")
        spec = pod_spec(d)
        volumes = {v.get("name") for v in spec.get("volumes") or []}
        volumes |= {name_of(t) for t in (d.get("spec") or {}).get("volumeClaimTemplates") or []}
        for c in containers(d):
            for mount in c.get("volumeMounts") or []:
                if mount.get("name") not in volumes:
                    problems.append(f"{obj(f, d)}: container {c.get('name')!r} mounts volume {mount.get('name')!r}, "
                                    "which the pod does not declare")
    return problems


def check_resources(m: Manifests) -> list[str]:
    problems = []
    for f, d in m.workloads():
        for c in containers(d):
            res = c.get("resources") or {}
            for part in ("requests", "limits"):
                for what in ("cpu", "memory"):
                    if not (res.get(part) or {}).get(what):
                        problems.append(f"{obj(f, d)}: container {c.get('name')!r} has no resources.{part}.{what}")
    return problems


def check_images(m: Manifests) -> list[str]:
    return [f"{obj(f, d)}: container {c.get('name')!r}: {bad}"
            for f, d in m.workloads() for c in containers(d) if (bad := image_problem(c.get("image")))]


def check_non_root(m: Manifests) -> list[str]:
    problems = []
    for f, d in m.workloads():
        pod_level = (pod_spec(d).get("securityContext") or {}).get("runAsNonRoot")
        for c in containers(d):
            container_level = (c.get("securityContext") or {}).get("runAsNonRoot")
            if not (container_level if container_level is not None else pod_level):
                problems.append(f"{obj(f, d)}: container {c.get('name')!r} does not set securityContext.runAsNonRoot")
    return problems


def check_statefulsets(m: Manifests) -> list[str]:
    services = m.services()
    problems = []
    for f, d in m.of_kind("StatefulSet"):
        name = (d.get("spec") or {}).get("serviceName")
        if name not in services:
            problems.append(f"{obj(f, d)}: serviceName {name!r} names no Service")
        elif (services[name][1].get("spec") or {}).get("clusterIP") != "None":
            problems.append(f"{obj(f, d)}: serviceName {name!r} is not a headless Service (clusterIP: None)")
    return problems


def check_worker_args(m: Manifests) -> list[str]:
    """The workers' --master-host is the master's Service and --master-port its `workers` port; the
    master's Service stays ClusterIP (the worker port has no authentication)."""
    services = m.services()
    problems, seen = [], False
    for f, d in m.workloads():
        for c in containers(d):
            args = [str(a) for a in (c.get("command") or []) + (c.get("args") or [])]
            host = option(args, "--master-host")
            if host is None:
                continue
            seen = True
            where = f"{obj(f, d)}: container {c.get('name')!r}"
            if host not in services:
                problems.append(f"{where}: --master-host {host!r} names no Service")
                continue
            svc = services[host][1]
            ports = {str(p.get("port")): p.get("name") for p in (svc.get("spec") or {}).get("ports") or []}
            port = option(args, "--master-port") or "5557"
            if ports.get(port) != "workers":
                problems.append(f"{where}: --master-port {port} is not the port named 'workers' of Service "
                                f"{host!r} (its ports: {ports})")
            if (svc.get("spec") or {}).get("type", "ClusterIP") != "ClusterIP":
                problems.append(f"{services[host][0]}: Service/{host}: type {svc['spec']['type']} exposes the "
                                "unauthenticated worker port; keep it ClusterIP")
            env = {e.get("name"): e.get("value") for e in c.get("env") or []}
            target = re.sub(r"\$\((\w+)\)", lambda g: env.get(g.group(1)) or g.group(0), option(args, "--target") or "")
            url = urlsplit(target)
            if url.hostname not in services or not any(
                    str(p.get("port")) == str(url.port or 80) for p in services[url.hostname][1]["spec"]["ports"]):
                problems.append(f"{where}: --target {target!r} is not a port of a Service in these manifests")
    if not seen:
        problems.append("no container passes --master-host: the worker Deployment is missing")
    return problems


CHECKS = [check_selectors, check_services, check_references, check_resources, check_images,
          check_non_root, check_statefulsets, check_worker_args]


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
                ("Service", "grafana")}
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
    "broken.yaml: Service/other: selector {'app': 'nothing'} matches the pods of no Deployment/StatefulSet",
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
