#!/usr/bin/env bash
# Builds InfluxDB's server from its source on the Go module proxy, by its documented build path, for
# `make test-influxdb`: build-influxd.sh MODULE VERSION OUTPUT, MODULE github.com/influxdata/influxdb
# (1.x) or github.com/influxdata/influxdb/v2. Its query engine, Flux, has a Rust part (libflux) that
# InfluxData's pkg-config wrapper builds with cargo when cgo asks for it. Two departures from the
# documented path, both because of the Rust here (docs/influxdb-versions.md):
# - Flux pins an old Rust in rust-toolchain.toml, which cannot be downloaded here: RUSTUP_TOOLCHAIN
#   builds it with the installed stable one;
# - libflux denies warnings (`#![deny(warnings)]` with its default "strict" feature), and today's
#   Rust warns about code that was clean in its day: rustc-cap-lints turns those denials back into
#   warnings, for the build scripts too (RUSTFLAGS would miss them: cargo builds them for the host).
# The module is copied and built as the main module, as its go.mod's replace directives need.
set -euo pipefail
module=$1 version=$2 out=$(realpath -m "$3")
here=$(cd "$(dirname "$0")" && pwd)
tools=$(dirname "$out")
mkdir -p "$tools"
src=$(go mod download -json "$module@$version" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')
work=$(mktemp -d)
trap 'chmod -R u+w "$work"; rm -rf "$work"' EXIT
cp -r "$src/." "$work"
chmod -R u+w "$work"
cd "$work"
# the wrapper at the version the server's go.mod pins, as its own pkg-config.sh builds it
go build -o "$work/.pkg-config" github.com/influxdata/pkg-config
PKG_CONFIG="$work/.pkg-config" RUSTUP_TOOLCHAIN=stable RUSTC_WRAPPER="$here/rustc-cap-lints" \
  go build -trimpath -ldflags "-X main.version=${version#v} -X main.branch=release -X main.commit=$version" \
  -o "$out" ./cmd/influxd
