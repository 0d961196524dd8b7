#!/bin/sh
# Entrypoint of the master image, which serves both roles, as the Locust Kubernetes operator runs
# one image for its master and its workers: given --worker (or LOCUST_MODE_WORKER true), it runs
# the Go worker with the arguments; otherwise the Locust master with this project's locustfile and
# plugin, listening on every interface, the arguments appended (later ones win, so --master-bind-host
# among them takes precedence).
set -eu
for arg in "$@"; do
  if [ "$arg" = --worker ]; then
    exec locust-fleet-worker "$@"
  fi
done
case "$(printf '%s' "${LOCUST_MODE_WORKER:-}" | tr '[:upper:]' '[:lower:]')" in
  true | yes | on | 1) exec locust-fleet-worker "$@" ;;
esac
exec locust -f "$(dirname "$0")/../../master/locustfile.py" --master --master-bind-host 0.0.0.0 "$@"
