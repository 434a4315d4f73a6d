#!/usr/bin/env bash
# The application monitor demo: a node, a healthy app that refreshes, and an app that hangs and is
# killed by the watchdog. Runs about ten seconds, then stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/bin
run_dir=$(mktemp -d /tmp/baton-demo.XXXXXX)
endpoint="ipc://$run_dir/appmonitor.sock"
pids=()
cleanup() {
  # Apps first, the node last, so the apps can still unregister.
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill "${pids[i]}" 2>/dev/null || true
    wait "${pids[i]}" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  rm -rf "$run_dir"
}
trap cleanup EXIT INT TERM

echo "== starting baton-node (machine demo, appmonitor $endpoint)"
"$bin/baton-node" --machine demo --appmonitor "$endpoint" --kill-grace 1000 &
pids+=($!)
for _ in $(seq 100); do [ -S "$run_dir/appmonitor.sock" ] && break; sleep 0.05; done

export BATON_APPMONITOR="$endpoint"
echo "== starting 'service' (refreshes every 500 ms, timeout 2000 ms)"
DIRIGENT_APPID=service "$bin/baton-demo-app" --mode heartbeat --timeout 2000 &
pids+=($!)
echo "== starting 'stuck' (refreshes 3 times, then hangs; timeout 1500 ms, action KILL)"
DIRIGENT_APPID=stuck "$bin/baton-demo-app" --mode hang --timeout 1500 --refreshes 3 &
stuck=$!
pids+=($stuck)

set +e
wait "$stuck"
echo "== 'stuck' ended with status $? (killed by the node's watchdog)"
sleep 3
echo "== 'service' is still running: $(kill -0 "${pids[1]}" 2>/dev/null && echo yes || echo no)"
echo "== stopping"
