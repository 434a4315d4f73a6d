"""A Python program under the node's watch, for the tests: registers through baton.appmonitor,
refreshes --refreshes times every --every ms (default timeout/4; -1 refreshes: forever), then
unregisters, hangs without refreshing, or exits without unregistering (--then). It prints each
step on its own line so that a test can poll its output.
Exit codes: 0 done, 3 AppMonitorError, 4 ValueError."""

import argparse
import sys
import time

from baton import appmonitor


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--timeout", type=int, default=1000)
    parser.add_argument("--action", choices=["KILL", "RESTART", "REBOOT"], default="KILL")
    parser.add_argument("--restart-command")
    parser.add_argument("--every", type=int, default=0)
    parser.add_argument("--refreshes", type=int, default=3)
    parser.add_argument("--then", choices=["unregister", "hang", "exit"], default="unregister")
    args = parser.parse_args()
    every_s = (args.every or max(1, args.timeout // 4)) / 1000

    try:
        handler = appmonitor.register_app(args.timeout, appmonitor.AppMonitorAction[args.action],
                                          args.restart_command)
        print(f"registered {handler.id:016x}", flush=True)
        done = 0
        while args.refreshes < 0 or done < args.refreshes:
            handler.refresh()
            done += 1
            print(f"refreshed {done}", flush=True)
            time.sleep(every_s)
        if args.then == "exit":
            print("exiting without unregistering", flush=True)
            return 0
        if args.then == "hang":
            print("hanging", flush=True)
            while True:
                time.sleep(1)
        handler.unregister()
        print("unregistered", flush=True)
        return 0
    except appmonitor.AppMonitorError as e:
        print(f"AppMonitorError: {e}", flush=True)
        return 3
    except ValueError as e:
        print(f"ValueError: {e}", flush=True)
        return 4


if __name__ == "__main__":
    sys.exit(main())
