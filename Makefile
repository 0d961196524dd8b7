# The single entry point: `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
# System packages the tests use as real components: InfluxDB 1.x server, headless Chromium (reports),
# openssl (a certificate for the https test).
SYSTEM_PACKAGES := influxdb chromium openssl
SYSTEM_COMMANDS := influxd chromium openssl
# Tools the deploy tests run, built from the Go module proxy into .tools/bin (pinned).
TOOLS := .tools/bin
KUSTOMIZE_VERSION := v5.5.0
HELM_VERSION := v4.3.2
COMPOSE_VERSION := v2.40.3
# vegeta, the open-model generator the open-model benchmark compares with (make bench).
VEGETA_VERSION := v12.13.0
# The current InfluxDB 1.x and 2.x, built from their Go modules for `make test-influxdb` (not part of
# setup: each takes minutes, docs/influxdb-versions.md). InfluxDB 3 is a Rust server with no build
# here: its tests run against the double in harness/influxdb3_double.py.
INFLUXDB1_VERSION := v1.13.2
INFLUXDB2_VERSION := v2.8.0
INFLUXDB_BUILDS := .tools/influxdb
# Extra packages for `make bench`: the reference target and load generator.
BENCH_PACKAGES := nginx-light wrk
BENCH_COMMANDS := nginx wrk

# Settings of `make up` (see README): exported so deploy/local/up.sh reads them.
export RUN_DIR WORKERS WORKERS_WAIT USERS SPAWN_RATE RUN_TIME HEADLESS TARGET SCENARIO MASTER_BIND MASTER_PORT WEB_HOST WEB_PORT TARGET_PORT LOCUST_ARGS INFLUXDB INFLUXDB_URL INFLUXDB_PORT INFLUXDB_DATABASE INFLUXDB_RPC_PORT INFLUXDB_TOKEN THRESHOLDS

.PHONY: help setup system-packages venv tools go-modules go-build up down test test-go test-py test-unit test-faults test-fresh soak bench dashboards vectors verify-protocol verify-matrix influxdb-servers test-influxdb

# pytest processes for the end-to-end cases (pytest-xdist); the machine has 2 cores and the cases
# mostly wait on report intervals and run times.
TEST_PROCS ?= 3
# Sequences per master mode that `make test-faults` plays (`make test` plays 3; tests/test_e2e_sequences.py).
FAULT_SEQUENCES ?= 20
SOAK_MINUTES ?= 30

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

setup: system-packages venv go-build tools ## Idempotent set-up: system packages, .venv with the project, Go build, tools

# apt-install PACKAGES COMMANDS: install the packages when one of the commands is missing.
define apt-install
	@missing=""; for c in $(2); do command -v $$c >/dev/null || missing=1; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" != 0 ]; then echo "setup: run as root or install: $(1)" >&2; exit 2; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(1) >/dev/null; \
	fi
endef

system-packages: ## Install the Debian packages the tests need (only those missing)
	$(call apt-install,$(SYSTEM_PACKAGES),$(SYSTEM_COMMANDS))

venv: $(VENV)/.installed ## Python venv at .venv with the project installed (locust, locust-fleet, pybridge)

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

tools: $(TOOLS)/kustomize $(TOOLS)/helm $(TOOLS)/docker-compose $(TOOLS)/k8s-fields ## kustomize, helm, docker compose and k8s-fields for the deploy tests, in .tools/bin

$(TOOLS)/kustomize:
	GOBIN=$(abspath $(TOOLS)) go install sigs.k8s.io/kustomize/kustomize/v5@$(KUSTOMIZE_VERSION)

$(TOOLS)/helm:
	GOBIN=$(abspath $(TOOLS)) go install helm.sh/helm/v4/cmd/helm@$(HELM_VERSION)

# Decodes Kubernetes objects into client-go's types as strict field validation does (harness/manifests.py).
$(TOOLS)/k8s-fields: deploy/tools/k8s-fields/main.go deploy/tools/k8s-fields/go.mod deploy/tools/k8s-fields/go.sum
	cd deploy/tools/k8s-fields && go build -o $(abspath $@) .

$(TOOLS)/docker-compose:
	deploy/tools/build-compose.sh $(COMPOSE_VERSION) $@

# `go mod download` fetches what the worker builds with; `go mod tidy -diff` also fetches what tidy
# reads (the tests of the worker's dependencies), so a module of one's own (docs/go-tasks.md) can
# run `go mod tidy` offline afterwards, and fails when go.mod or go.sum is not tidy.
go-modules: ## Download the Go modules the worker builds with and those `go mod tidy` reads; check go.mod/go.sum are tidy
	cd workers-go && go mod download && go mod tidy -diff

go-build: go-modules ## Build the Go worker, the demo target and the certs tool into workers-go/bin
	cd workers-go && go build -o bin/worker . && go build -o bin/target ./cmd/target && go build -o bin/certs ./cmd/certs

up: setup ## Start InfluxDB (unless INFLUXDB=off or INFLUXDB_URL), master, WORKERS Go workers, demo target (unless TARGET); HEADLESS=1 runs a test to the end and writes its report
	deploy/local/up.sh

down: ## Stop everything `make up` started (InfluxDB's data in .run/influxdb stays)
	deploy/local/down.sh

dashboards: venv ## Regenerate the Grafana dashboards in deploy/grafana/dashboards from deploy/grafana/generate.py
	$(PY) deploy/grafana/generate.py

vectors: venv ## Regenerate the golden vectors in tests/contract/vectors from the installed Locust
	$(PY) -m tools.vectors

verify-protocol: setup ## Check the Go worker against the Locust wire contract (pybridge verify-protocol)
	.venv/bin/pybridge verify-protocol

verify-matrix: setup ## The Go worker and the contract against the pinned and two older Locust 2.x versions
	$(PY) -m tools.matrix

test: setup ## Run every test: Go with -race beside pytest (TEST_PROCS processes)
	@$(MAKE) --no-print-directory -j2 test-go test-py

test-go: ## Go tests with the race detector
	cd workers-go && go vet ./... && go test -race ./...

test-py: ## Python tests (unit, contract, end to end, faults), in TEST_PROCS processes
	$(PY) -m pytest -n $(TEST_PROCS) --dist loadgroup

test-unit: venv ## Go and Python unit tests only (no processes started, no network): under 2 minutes
	cd workers-go && go vet ./... && go test ./...
	$(PY) -m pytest -m "not e2e and not builds" -q

test-fresh: ## make setup, the Go tests and every test that builds or installs, in a clean clone with an empty Go module cache, pip cache and HOME, the usual ports taken
	tools/test-fresh.sh $(FRESH_ARGS)

influxdb-servers: $(INFLUXDB_BUILDS)/influxd-1 $(INFLUXDB_BUILDS)/influxd-2 ## Build the current InfluxDB 1.x and 2.x into .tools/influxdb (Rust and Go; minutes each, kept)

$(INFLUXDB_BUILDS)/influxd-1:
	deploy/tools/build-influxd.sh github.com/influxdata/influxdb $(INFLUXDB1_VERSION) $@

$(INFLUXDB_BUILDS)/influxd-2:
	deploy/tools/build-influxd.sh github.com/influxdata/influxdb/v2 $(INFLUXDB2_VERSION) $@

test-influxdb: setup influxdb-servers ## The exporter, runs, spool and dashboards against each InfluxDB: Debian's 1.6, the current 1.x and 2.x, the InfluxDB 3 double
	LOCUST_FLEET_INFLUXDB_BUILDS=1 $(PY) -m pytest tests/test_e2e_influx_versions.py tests/test_influxdb3_double.py tests/test_writer.py

test-faults: setup ## Only the fault suite (outages, crashes, bad frames, bad input, secrets, FAULT_SEQUENCES message sequences from a new seed), with its figures
	seed=$${SEQUENCE_SEED:-$$(date +%s)}; echo "test-faults: message sequences from seed $$seed (replay: SEQUENCE_SEED=$$seed)"; \
	$(PY) -m pytest -n $(TEST_PROCS) --dist loadgroup -m faults --sequences $(FAULT_SEQUENCES) --sequence-seed $$seed

soak: setup ## A long run (SOAK_MINUTES, default 30): workers joining and leaving, an InfluxDB outage, a stats reset; memory slope, loop lag, exact counts
	$(PY) -m tools.soak --minutes $(SOAK_MINUTES)

$(TOOLS)/vegeta:
	GOBIN=$(abspath $(TOOLS)) go install github.com/tsenart/vegeta/v12@$(VEGETA_VERSION)

bench: setup $(TOOLS)/vegeta ## Benchmarks (not tests): writes BENCHMARKS.md; BENCH_ARGS='--seconds 20 --repeat 5' or '--sections scaling'
	$(call apt-install,$(BENCH_PACKAGES),$(BENCH_COMMANDS))
	$(PY) -m pip install -q -e '.[test,bench]'
	$(PY) -m bench.run $(BENCH_ARGS)
