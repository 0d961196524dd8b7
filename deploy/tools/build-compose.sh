#!/usr/bin/env bash
# Builds Docker Compose v2 (the `docker compose` plugin, also usable as `docker-compose`) from its
# source on the Go module proxy: build-compose.sh VERSION OUTPUT. Compose's go.mod has exclude and
# replace directives, which only apply when it is the main module, hence the copy of its source.
set -euo pipefail
version=$1 out=$(realpath -m "$2")
src=$(go mod download -json "github.com/docker/compose/v2@$version" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')
work=$(mktemp -d)
trap 'chmod -R u+w "$work"; rm -rf "$work"' EXIT
cp -r "$src/." "$work"
chmod -R u+w "$work"
mkdir -p "$(dirname "$out")"
(cd "$work" && go build -trimpath -ldflags "-X github.com/docker/compose/v2/internal.Version=$version" -o "$out" ./cmd)
