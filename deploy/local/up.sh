#!/usr/bin/env bash
# Starts the local stack that `make up` promises: a demo HTTP target (unless TARGET is set), the
# Locust master with master/locustfile.py, and WORKERS supervised Go workers. Each runs in its own
# process group, recorded in .run/*.pid so that down.sh can stop all of it.
set -euo pipefail
cd "$(dirname "$0")/../.."

: "${WORKERS:=2}" "${USERS:=10}" "${SPAWN_RATE:=10}" "${RUN_TIME:=30s}" "${HEADLESS:=}"
: "${TARGET:=}" "${SCENARIO:=}" "${MASTER_BIND:=127.0.0.1}" "${MASTER_PORT:=5557}"
: "${WEB_HOST:=127.0.0.1}" "${WEB_PORT:=8089}" "${TARGET_PORT:=8080}" "${LOCUST_ARGS:=}"
run=${RUN_DIR:-.run}
mkdir -p "$run"

fail() { echo "make up: $*" >&2; exit 2; }
[[ "$WORKERS" =~ ^[0-9]+$ ]] && [ "$WORKERS" -ge 1 ] || fail "WORKERS: got '$WORKERS'; expected a whole number >= 1"
[ -z "$SCENARIO" ] || [ -r "$SCENARIO" ] || fail "SCENARIO: cannot read '$SCENARIO'"
for pidfile in "$run"/*.pid; do
  [ -e "$pidfile" ] || continue
  if kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    fail "already up ($(basename "$pidfile" .pid) is running); run 'make down' first"
  fi
  rm -f "$pidfile"
done

# start NAME CMD...: run CMD in a new session (its own process group) with output to .run/NAME.log
start() {
  local name=$1; shift
  setsid "$@" >"$run/$name.log" 2>&1 < /dev/null &
  echo $! >"$run/$name.pid"
}

if [ -z "$TARGET" ]; then
  start target workers-go/bin/target --listen "127.0.0.1:$TARGET_PORT"
  TARGET="http://127.0.0.1:$TARGET_PORT"
fi

master_args=(-f master/locustfile.py --master --master-bind-host "$MASTER_BIND" --master-bind-port "$MASTER_PORT"
             --web-host "$WEB_HOST" --web-port "$WEB_PORT" -H "$TARGET")
# shellcheck disable=SC2206  # LOCUST_ARGS is a list of extra flags on purpose
master_args+=($LOCUST_ARGS)
worker_args=(--master-host 127.0.0.1 --master-port "$MASTER_PORT" --target "$TARGET")
[ -n "$SCENARIO" ] && worker_args+=(--scenario "$SCENARIO")

if [ -n "$HEADLESS" ]; then
  master_args+=(--headless -u "$USERS" -r "$SPAWN_RATE" -t "$RUN_TIME" --expect-workers "$WORKERS")
else
  start master .venv/bin/locust "${master_args[@]}"
fi
for i in $(seq 1 "$WORKERS"); do
  start "worker$i" deploy/local/supervise.sh workers-go/bin/worker "${worker_args[@]}"
done

if [ -n "$HEADLESS" ]; then
  echo "Headless run: $USERS users, spawn rate $SPAWN_RATE/s, $RUN_TIME, $WORKERS Go workers -> $TARGET"
  set +e
  .venv/bin/locust "${master_args[@]}" 2>&1 | tee "$run/master.log"
  rc=${PIPESTATUS[0]}
  set -e
  deploy/local/down.sh >/dev/null
  exit "$rc"
fi

cat <<MSG
Local stack is up:
  Locust web UI   http://$WEB_HOST:$WEB_PORT
  worker port     $MASTER_BIND:$MASTER_PORT  ($WORKERS Go workers, restarted if they exit with an error)
  target          $TARGET
  logs            $run/master.log, $run/worker1.log ... $run/worker$WORKERS.log$( [ -e "$run/target.log" ] && echo ", $run/target.log")
Stop everything with: make down
MSG
