#!/usr/bin/env bash
# `make test-fresh`: proves the tests need nothing outside the clone that `make setup` does not
# create. A clean clone of HEAD (committed work only, as CI sees it) is set up and tested with an
# empty Go module and build cache, an empty pip cache and a fresh HOME (so no ~/.config, no
# tools installed by hand under ~/go/bin), while the ports a default set-up would use are taken.
#
#   tools/test-fresh.sh              make setup, make test-go, then pytest -m builds
#   tools/test-fresh.sh --all        make setup, then the whole `make test`
#   tools/test-fresh.sh -k quickstart   extra arguments go to pytest
#
# The machine's toolchains stay (Go, Python through pyenv, Rust through rustup) and so do the
# Debian packages: `make setup` installs those that are missing, which a fresh container shows.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
all=""
if [ "${1:-}" = "--all" ]; then all=1; shift; fi

scratch=$(mktemp -d /tmp/locust-fleet-fresh.XXXXXX)
holder=""
cleanup() {
  [ -n "$holder" ] && kill "$holder" 2>/dev/null
  # Go makes its module cache read-only; make it writable so it can be removed.
  chmod -R u+w "$scratch" 2>/dev/null
  rm -rf "$scratch"
}
trap cleanup EXIT

git clone -q "$repo" "$scratch/clone"
mkdir -p "$scratch/home"

# The well-known ports of a default set-up (worker port, web UI, InfluxDB and its backup port, the
# demo target): a test that relies on one being free fails here instead of on a busy machine.
python3 - "$scratch/ports" <<'EOF' &
import socket, sys, time
held = []
for port in (5557, 8089, 8086, 8088, 8080):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
        s.listen()
        held.append(s)
    except OSError:
        pass  # already taken by something else: taken either way
open(sys.argv[1], "w").write(" ".join(str(s.getsockname()[1]) for s in held))
time.sleep(24 * 3600)
EOF
holder=$!
for _ in $(seq 50); do [ -s "$scratch/ports" ] && break; sleep 0.1; done

home="$scratch/home"
# PATH without anything under the old HOME but the toolchains the machine provides.
path=$(printf '%s' "$PATH" | tr ':' '\n' | grep -vE "^$HOME/go/bin$" | paste -sd: -)
export RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}" PYENV_ROOT="${PYENV_ROOT:-$HOME/.pyenv}"
export HOME="$home" PATH="$path" CARGO_HOME="$home/.cargo"
unset GOPATH GOMODCACHE GOCACHE GOFLAGS GOENV PIP_CACHE_DIR XDG_CACHE_HOME XDG_CONFIG_HOME
for v in $(env | grep -oE '^LOCUST_[A-Z_]+'); do unset "$v"; done

cd "$scratch/clone"
echo "test-fresh: clean clone of $(git rev-parse --short HEAD) in $scratch/clone, HOME=$HOME," \
     "Go module cache $(go env GOMODCACHE), ports held: $(cat "$scratch/ports" 2>/dev/null)"
if [ -n "$all" ]; then
  make test
else
  make setup
  make test-go
  .venv/bin/python -m pytest -m builds "$@"
fi
