#!/usr/bin/env python3
"""Prints every app state change of a Baton fleet, as a monitoring client not written in C++.

It asks the broker's control socket (hello) where the bus is, subscribes to status/ there and
prints one line per AppState: machine.app, flags, pid, exit code, restarts. Needs only Debian's
python3-zmq and python3-msgpack.

  examples/monitor.py [--broker ENDPOINT] [--prefix status/] [--count N] [--for S]

Without --broker or $BATON_BROKER it finds the broker where `baton` does: this user's own broker's
ipc:// socket ($XDG_RUNTIME_DIR/baton/control.sock) when it exists, else the system's
(/run/baton/control.sock). The user must be in the socket file's group (baton-broker --group).
"""
import argparse
import os
import sys
import time

import msgpack
import zmq


def default_broker():
    """The control endpoint `baton` uses without --broker (common/net/runtime_folder.hpp)."""
    system = "ipc:///run/baton/control.sock"
    if os.geteuid() == 0:
        return system
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    folder = os.path.join(runtime, "baton") if runtime else f"/tmp/baton-{os.geteuid()}"
    own = os.path.join(folder, "control.sock")
    return "ipc://" + own if os.path.exists(own) else system


def hello(context, control, timeout_ms):
    """The broker's bus endpoint, from its answer to hello (schemas/control/request.json)."""
    dealer = context.socket(zmq.DEALER)
    dealer.setsockopt(zmq.LINGER, 0)
    dealer.connect(control)
    request = {"v": 1, "id": "monitor-1", "op": "hello",
               "args": {"role": "client", "version": "monitor.py"}}
    dealer.send(msgpack.packb(request))
    if not dealer.poll(timeout_ms):
        sys.exit(f"monitor.py: cannot reach the broker at {control} (no answer in {timeout_ms} ms)")
    reply = msgpack.unpackb(dealer.recv(), raw=False)
    dealer.close()
    if not reply.get("ok"):
        sys.exit(f"monitor.py: hello refused: {reply.get('error')}")
    return reply["result"]["bus"]


def describe(state):
    """One line for an AppState (schemas/bus/app_state.json)."""
    flags = ",".join(state["flags"]) or "-"
    exit_code = state.get("exit_code")
    return (f"{state['machine']}.{state['app']}: {flags} pid={state['pid']} "
            f"exit={'-' if exit_code is None else exit_code} restarts={state['restarts']} "
            f"seq={state['seq']}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--broker", default=os.environ.get("BATON_BROKER") or default_broker())
    parser.add_argument("--prefix", default="status/", help="topic prefix to follow")
    parser.add_argument("--count", type=int, default=0, help="stop after N messages (0: never)")
    parser.add_argument("--for", dest="seconds", type=float, default=0,
                        help="stop after this many seconds (0: never)")
    args = parser.parse_args()

    context = zmq.Context()
    bus = hello(context, args.broker, 5000)
    sub = context.socket(zmq.SUB)
    sub.setsockopt(zmq.LINGER, 0)
    sub.setsockopt_string(zmq.SUBSCRIBE, args.prefix)
    sub.connect(bus)
    print(f"following {args.prefix} on {bus}", flush=True)

    deadline = time.monotonic() + args.seconds if args.seconds > 0 else None
    seen = 0
    try:
        while args.count == 0 or seen < args.count:
            wait = 1000 if deadline is None else max(0, int((deadline - time.monotonic()) * 1000))
            if deadline is not None and wait == 0:
                break
            if not sub.poll(wait):
                continue
            topic, payload = sub.recv_multipart()
            try:
                message = msgpack.unpackb(payload, raw=False)
            except Exception as error:  # a frame we cannot read is reported, not fatal
                print(f"{topic.decode(errors='replace')}: undecodable payload ({error})", flush=True)
                continue
            if topic.startswith(b"status/"):
                print(describe(message), flush=True)
            else:
                print(f"{topic.decode(errors='replace')}: {message}", flush=True)
            seen += 1
    except KeyboardInterrupt:
        pass
    finally:
        sub.close()
        context.term()


if __name__ == "__main__":
    main()
