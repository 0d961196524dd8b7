#!/usr/bin/env bash
# Stops what up.sh started: each process group gets SIGTERM, then SIGKILL after 10 s.
# Workers go first so that their supervisors do not restart them when the master goes away; InfluxDB
# goes last, once the master has written its last points. Its data in .run/influxdb/ stays.
set -u
cd "$(dirname "$0")/../.."
run=${RUN_DIR:-.run}
[ -d "$run" ] || { echo "nothing to stop"; exit 0; }

stop_group() {
  local pidfile=$1 pgid
  pgid=$(cat "$pidfile")
  if kill -0 -- "-$pgid" 2>/dev/null; then
    kill -TERM -- "-$pgid" 2>/dev/null
    for _ in $(seq 1 100); do
      kill -0 -- "-$pgid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL -- "-$pgid" 2>/dev/null && echo "stopped $(basename "$pidfile" .pid) (killed)" \
      || echo "stopped $(basename "$pidfile" .pid)"
  fi
  rm -f "$pidfile"
}

for pidfile in "$run"/worker*.pid "$run"/master.pid "$run"/target.pid "$run"/influxdb.pid; do
  [ -e "$pidfile" ] && stop_group "$pidfile"
done
exit 0
