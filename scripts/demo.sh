#!/usr/bin/env bash
# make demo: `baton up plans/demo.xml --plan demo` — the broker and a node in one process, running
# the demo plan (see plans/demo.xml): a service that heartbeats through the SDK, an app that
# crashes and is restarted, one that hangs and is killed by the watchdog, one initialized by its
# exit code, with dependencies between them. It stops by itself after DEMO_SECONDS (default 40);
# Ctrl-C stops it earlier. Either way the apps are killed and nothing is left running.
set -euo pipefail
cd "$(dirname "$0")/.."
run_dir=$(mktemp -d /tmp/baton-demo.XXXXXX)
trap 'rm -rf "$run_dir"' EXIT
exec_args=(build/bin/baton up plans/demo.xml --plan demo --exit-after "${DEMO_SECONDS:-40}"
           --appmonitor "ipc://$run_dir/appmonitor.sock" --log-dir "$run_dir/logs")
echo "== ${exec_args[*]}"
echo "== app output goes to $run_dir/logs; try 'build/bin/baton status' in another terminal"
build/bin/baton up plans/demo.xml --plan demo --exit-after "${DEMO_SECONDS:-40}" \
  --appmonitor "ipc://$run_dir/appmonitor.sock" --log-dir "$run_dir/logs"
