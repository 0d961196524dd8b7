#!/usr/bin/env bash
# Keeps one worker running: a worker exits 1 when its master is gone, and a fresh one registers
# with the next master. Exit 0 (the master said quit, or the worker was stopped) ends the loop.
# Usage: supervise.sh CMD [ARG...]
set -u
child=0
trap 'kill -TERM "$child" 2>/dev/null; wait "$child"; exit 0' TERM INT
while true; do
  "$@" &
  child=$!
  wait "$child"
  rc=$?
  if [ "$rc" -eq 0 ] || [ "$rc" -eq 2 ]; then
    exit "$rc"  # 0: quit on purpose; 2: bad flags or scenario, restarting cannot help
  fi
  echo "supervise: worker exited with code $rc; starting a fresh one in 1 s" >&2
  sleep 1
done
