#!/usr/bin/env bash
# Starts the local stack that `make up` promises: a local InfluxDB (unless INFLUXDB=off or
# INFLUXDB_URL names one), a demo HTTP target (unless TARGET is set), the Locust master with
# master/locustfile.py exporting to InfluxDB, and WORKERS supervised Go workers. Each runs in its own
# process group, recorded in .run/*.pid so that down.sh can stop all of it. With HEADLESS set, the
# run goes to its end, its HTML report is written to .run/reports/, and the stack stops; InfluxDB's
# data in .run/influxdb/ stays for the next `make up`. THRESHOLDS (';'-separated) judge the run: a
# headless one exits 3 when one fails and leaves its JUnit file in .run/reports/thresholds.xml.
set -euo pipefail
cd "$(dirname "$0")/../.."

: "${WORKERS:=2}" "${USERS:=10}" "${SPAWN_RATE:=10}" "${RUN_TIME:=30s}" "${HEADLESS:=}"
: "${TARGET:=}" "${SCENARIO:=}" "${MASTER_BIND:=127.0.0.1}" "${MASTER_PORT:=5557}"
: "${WEB_HOST:=127.0.0.1}" "${WEB_PORT:=8089}" "${TARGET_PORT:=8080}" "${LOCUST_ARGS:=}" "${WORKERS_WAIT:=60}"
# The master's own env vars name an InfluxDB too: one set there is used as INFLUXDB_URL would be.
: "${INFLUXDB:=on}" "${INFLUXDB_URL:=${LOCUST_INFLUXDB_URL:-}}" "${INFLUXDB_PORT:=8086}"
: "${INFLUXDB_DATABASE:=${LOCUST_INFLUXDB_DATABASE:-locust}}"
# An InfluxDB 2.x or 3 named by INFLUXDB_URL needs a token: handed to the master (and to the
# `locust-fleet runs` commands printed below) through its env var, never on a command line.
: "${INFLUXDB_TOKEN:=${LOCUST_INFLUXDB_TOKEN:-}}"
[ -z "$INFLUXDB_TOKEN" ] || export LOCUST_INFLUXDB_TOKEN="$INFLUXDB_TOKEN"
: "${THRESHOLDS:=${LOCUST_THRESHOLDS:-}}"
# influxd also listens for backup and restore, on 8088 by default: two above the HTTP port here.
: "${INFLUXDB_RPC_PORT:=$((INFLUXDB_PORT + 2))}"
run=${RUN_DIR:-.run}
# The command that stops this stack: make down looks in .run unless it is given the same RUN_DIR.
down="make down"
[ "$run" = .run ] || down="make down RUN_DIR=$(printf %q "$run")"

fail() { echo "make up: $*" >&2; exit 2; }
[[ "$WORKERS" =~ ^[0-9]+$ ]] && [ "$WORKERS" -ge 1 ] || fail "WORKERS: got '$WORKERS'; expected a whole number >= 1"
[[ "$WORKERS_WAIT" =~ ^[0-9]+$ ]] && [ "$WORKERS_WAIT" -ge 1 ] \
  || fail "WORKERS_WAIT: got '$WORKERS_WAIT'; expected whole seconds >= 1"
[ -z "$SCENARIO" ] || [ -r "$SCENARIO" ] || fail "SCENARIO: cannot read '$SCENARIO'"
[[ "$INFLUXDB" =~ ^(on|off)$ ]] || fail "INFLUXDB: got '$INFLUXDB'; expected on or off"
# Any text used to mean headless, so HEADLESS=0 ran a headless test and stopped the stack.
case "$HEADLESS" in
  1|true|yes|on) HEADLESS=1 ;;
  ""|0|false|no|off) HEADLESS="" ;;
  *) fail "HEADLESS: got '$HEADLESS'; expected 1 (a headless run) or 0 (the web UI)" ;;
esac
for setting in INFLUXDB_PORT INFLUXDB_RPC_PORT MASTER_PORT WEB_PORT TARGET_PORT; do
  [[ "${!setting}" =~ ^[0-9]+$ ]] && [ "${!setting}" -ge 1 ] && [ "${!setting}" -le 65535 ] \
    || fail "$setting: got '${!setting}'; expected a port number 1-65535"
done
[ -z "$INFLUXDB_URL" ] || [[ "$INFLUXDB_URL" =~ ^https?:// ]] \
  || fail "INFLUXDB_URL: got '$INFLUXDB_URL'; expected an http:// or https:// URL"
[ -n "$INFLUXDB_DATABASE" ] || fail "INFLUXDB_DATABASE: empty; expected a database name"
if [ -n "$THRESHOLDS" ]; then  # every mistake now, before anything starts (the master would say the same)
  problems=$(.venv/bin/python -c 'import sys; from locust_fleet.threshold_syntax import parse_all
print("\n".join(parse_all([sys.argv[1]], "THRESHOLDS")[1]))' "$THRESHOLDS") || exit 2
  [ -z "$problems" ] || fail "$problems"
fi
mkdir -p "$run"
for pidfile in "$run"/*.pid; do
  [ -e "$pidfile" ] || continue
  if kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    fail "already up ($(basename "$pidfile" .pid) is running); run '$down' first"
  fi
  rm -f "$pidfile"
done

# in_use PORT [HOST]: something already listens on HOST:PORT (127.0.0.1 by default, and for 0.0.0.0)
in_use() {
  local host=${2:-127.0.0.1}
  [ "$host" != 0.0.0.0 ] || host=127.0.0.1
  (exec 3<>"/dev/tcp/$host/$1") 2>/dev/null
}
# A port of the stack in use would not stop it: Locust runs on without its web UI (the URL printed
# would show another server), and workers would send their load to whatever listens on TARGET_PORT.
in_use "$MASTER_PORT" "$MASTER_BIND" && fail "MASTER_PORT: port $MASTER_PORT on $MASTER_BIND is in use; stop what \
listens there or choose another (make up MASTER_PORT=5567)"
if [ -z "$HEADLESS" ] && in_use "$WEB_PORT" "$WEB_HOST"; then
  fail "WEB_PORT: port $WEB_PORT on $WEB_HOST is in use; stop what listens there or choose another (make up WEB_PORT=8099)"
fi
if [ -z "$TARGET" ] && in_use "$TARGET_PORT"; then
  fail "TARGET_PORT: port $TARGET_PORT on 127.0.0.1 (the demo target's) is in use; stop what listens there, choose \
another (make up TARGET_PORT=8081) or name your target (TARGET=http://...)"
fi

# Where the master exports to: a local influxd (started below), a server of the user's, or nowhere.
influx_local=""
if [ "$INFLUXDB" = off ]; then
  INFLUXDB_URL=""
elif [ -z "$INFLUXDB_URL" ]; then
  influx_local=1
  INFLUXDB_URL="http://127.0.0.1:$INFLUXDB_PORT"
  in_use "$INFLUXDB_PORT" && fail "INFLUXDB_PORT: port $INFLUXDB_PORT on 127.0.0.1 is in use; stop what listens \
there, choose another (make up INFLUXDB_PORT=8087), name a running server (INFLUXDB_URL=http://...) or run without \
one (INFLUXDB=off)"
  in_use "$INFLUXDB_RPC_PORT" && fail "INFLUXDB_RPC_PORT: port $INFLUXDB_RPC_PORT on 127.0.0.1 (InfluxDB's backup \
port) is in use; choose another (make up INFLUXDB_RPC_PORT=8098)"
fi

# start NAME CMD...: run CMD in a new session (its own process group) with output to .run/NAME.log
start() {
  local name=$1; shift
  setsid "$@" >"$run/$name.log" 2>&1 < /dev/null &
  echo $! >"$run/$name.pid"
}

if [ -n "$influx_local" ]; then
  # The data stays in $run/influxdb between runs, so earlier runs remain listed and comparable.
  mkdir -p "$run/influxdb"
  data=$(cd "$run/influxdb" && pwd)
  cat >"$run/influxdb.conf" <<CONF
# Written by deploy/local/up.sh for the local stack; data in $data.
reporting-disabled = true
bind-address = "127.0.0.1:$INFLUXDB_RPC_PORT"
[meta]
  dir = "$data/meta"
[data]
  dir = "$data/data"
  wal-dir = "$data/wal"
  query-log-enabled = false
[http]
  bind-address = "127.0.0.1:$INFLUXDB_PORT"
  log-enabled = false
[monitor]
  store-enabled = false
CONF
  start influxdb influxd -config "$run/influxdb.conf"
  for _ in $(seq 1 150); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$INFLUXDB_URL/ping")" = 204 ] && break
    kill -0 "$(cat "$run/influxdb.pid")" 2>/dev/null || break
    sleep 0.2
  done
  if [ "$(curl -s -o /dev/null -w '%{http_code}' "$INFLUXDB_URL/ping")" != 204 ]; then
    deploy/local/down.sh >/dev/null
    fail "InfluxDB did not answer on $INFLUXDB_URL within 30 s; its log, $run/influxdb.log, ends with:
$(tail -n 5 "$run/influxdb.log")"
  fi
fi

if [ -z "$TARGET" ]; then
  start target workers-go/bin/target --listen "127.0.0.1:$TARGET_PORT"
  TARGET="http://127.0.0.1:$TARGET_PORT"
fi

# TARGET reaches the master (as -H) and the workers (as --target) through LOCUST_HOST, which both read
# as that option: on their command lines a password in it showed in every process listing.
export LOCUST_HOST="$TARGET"
master_args=(-f master/locustfile.py --master --master-bind-host "$MASTER_BIND" --master-bind-port "$MASTER_PORT"
             --web-host "$WEB_HOST" --web-port "$WEB_PORT")
if [ -n "$INFLUXDB_URL" ]; then
  master_args+=(--influxdb-url "$INFLUXDB_URL" --influxdb-database "$INFLUXDB_DATABASE" --spool-dir "$run/spool")
fi
junit=""
if [ -n "$THRESHOLDS" ]; then
  junit="$run/reports/thresholds.xml"
  master_args+=(--threshold "$THRESHOLDS" --junit-xml "$junit")
fi
# shellcheck disable=SC2206  # LOCUST_ARGS is a list of extra flags on purpose
master_args+=($LOCUST_ARGS)
worker_args=(--master-host 127.0.0.1 --master-port "$MASTER_PORT")
# What is printed of TARGET: a password in it shown as ***, as the worker logs it and the run record keeps it.
shown_target=$(sed -E 's#^([A-Za-z][A-Za-z0-9+.-]*://[^/:@]*):[^/]*@#\1:***@#' <<<"$TARGET")
[ -n "$SCENARIO" ] && worker_args+=(--scenario "$SCENARIO")

if [ -n "$HEADLESS" ]; then
  master_args+=(--headless -u "$USERS" -r "$SPAWN_RATE" -t "$RUN_TIME" --expect-workers "$WORKERS")
else
  start master .venv/bin/locust "${master_args[@]}"
fi
for i in $(seq 1 "$WORKERS"); do
  start "worker$i" deploy/local/supervise.sh workers-go/bin/worker "${worker_args[@]}"
done

# The commands that read the stored runs, with the options that reach this InfluxDB.
runs="locust-fleet runs"
runs_options="--influxdb-url $INFLUXDB_URL"
[ "$INFLUXDB_DATABASE" = locust ] || runs_options+=" --influxdb-database $INFLUXDB_DATABASE"
token_note=""
[ -z "$INFLUXDB_TOKEN" ] || token_note="
                  (with the token in LOCUST_INFLUXDB_TOKEN)"

if [ -n "$HEADLESS" ]; then
  echo "Headless run: $USERS users, spawn rate $SPAWN_RATE/s, $RUN_TIME, $WORKERS Go workers -> $shown_target"
  set +e
  .venv/bin/locust "${master_args[@]}" 2>&1 | tee "$run/master.log"
  rc=${PIPESTATUS[0]}
  report_rc=0
  # 1: the run had failures, 3: a threshold failed; either way its report counts
  if [ -n "$INFLUXDB_URL" ] && { [ "$rc" -le 1 ] || [ "$rc" -eq 3 ]; }; then
    # The exporter logs "Run RUN_ID stopped: ..." once the run record is written.
    run_id=$(sed -n 's/.*Run \([0-9]\{8\}-[0-9]\{6\}-[0-9a-f]\{4\}\) stopped: .*/\1/p' "$run/master.log" | tail -n 1)
    if [ -z "$run_id" ]; then
      echo "make up: the master logged no stopped run (see $run/master.log); no report written" >&2
      report_rc=1
    else
      kept=""
      [ -z "$influx_local" ] || kept=" (data in $run/influxdb/, served again by the next make up)"
      mkdir -p "$run/reports"
      # shellcheck disable=SC2086  # runs_options is a list of options
      .venv/bin/$runs report "$run_id" -o "$run/reports/$run_id.html" $runs_options >/dev/null
      report_rc=$?
      [ "$report_rc" -eq 0 ] && cat <<MSG

Run $run_id: report $run/reports/$run_id.html
  runs in InfluxDB  $INFLUXDB_URL database $INFLUXDB_DATABASE$kept
  list them         .venv/bin/$runs list $runs_options
  compare two       .venv/bin/$runs compare BASELINE_ID $run_id $runs_options
MSG
    fi
  fi
  [ -n "$INFLUXDB_URL" ] || echo "No report: nothing was exported (INFLUXDB=off)"
  [ -z "$junit" ] || [ ! -e "$junit" ] || echo "Thresholds (JUnit XML): $junit"
  set -e
  deploy/local/down.sh >/dev/null
  [ "$rc" -ne 0 ] && exit "$rc"
  exit "$report_rc"
fi

# Return once every worker has joined the master (a POST /swarm right after `make up` then starts
# them all): each says "joined the master" in its log when the master acknowledged it. Bounded by
# WORKERS_WAIT seconds; the workers that did not join are named, with the end of their log.
waited=0
missing=""
while :; do
  # A master that stopped at start (a bad option in LOCUST_ARGS, say) is what went wrong, not its workers.
  if ! kill -0 "$(cat "$run/master.pid")" 2>/dev/null; then
    echo "make up: the master exited at start; its log, $run/master.log, ends with:" >&2
    tail -n 5 "$run/master.log" | sed 's/^/    /' >&2
    deploy/local/down.sh >/dev/null
    exit 2
  fi
  missing=""
  for i in $(seq 1 "$WORKERS"); do
    grep -q "joined the master at" "$run/worker$i.log" 2>/dev/null || missing+=" worker$i"
  done
  [ -z "$missing" ] && break
  [ "$waited" -ge $((WORKERS_WAIT * 5)) ] && break
  waited=$((waited + 1))
  sleep 0.2
done
if [ -n "$missing" ]; then
  for w in $missing; do
    echo "make up: $w did not join the master within $WORKERS_WAIT s (WORKERS_WAIT); its log, $run/$w.log, ends with:" >&2
    tail -n 3 "$run/$w.log" 2>/dev/null | sed 's/^/    /' >&2
  done
  echo "make up: the rest of the stack is up; $down stops it" >&2
  exit 1
fi

if [ -n "$INFLUXDB_URL" ]; then
  where=""
  [ -z "$influx_local" ] || where=" (data in $run/influxdb/)"
  influx_lines="  InfluxDB        $INFLUXDB_URL database $INFLUXDB_DATABASE$where
  list runs       .venv/bin/$runs list $runs_options
  report a run    .venv/bin/$runs report RUN_ID -o report.html $runs_options
  compare runs    .venv/bin/$runs compare BASELINE_ID CANDIDATE_ID $runs_options$token_note"
else
  influx_lines="  InfluxDB        off: nothing is exported (INFLUXDB=off)"
fi
cat <<MSG
Local stack is up:
  Locust web UI   http://$WEB_HOST:$WEB_PORT
  worker port     $MASTER_BIND:$MASTER_PORT  ($WORKERS Go workers joined, restarted if they exit with an error)
  target          $shown_target
$influx_lines
  logs            $run/master.log, $run/worker1.log ... $run/worker$WORKERS.log$( [ -e "$run/target.log" ] && echo ", $run/target.log")$( [ -n "$influx_local" ] && echo ", $run/influxdb.log")
Stop everything with: $down
MSG
