"""A real baton-node for tests, and waiting for conditions by polling.

The node binary comes from $BATON_NODE (ctest passes $<TARGET_FILE:baton-node>). Each node gets
its own ipc:// socket and log directory in a folder of the caller's, and is stopped by its PID.
"""

import os
import signal
import subprocess
import time

# Generous: CI machines are small and shared, sanitizer builds are slow.
DEADLINE_S = 20.0


def wait_until(condition, deadline_s=DEADLINE_S, interval_s=0.01):
    """Polls condition() until it is true or the deadline passes; returns its last value."""
    end = time.monotonic() + deadline_s
    while True:
        value = condition()
        if value or time.monotonic() >= end:
            return value
        time.sleep(interval_s)


def node_binary():
    path = os.environ.get("BATON_NODE")
    if not path:
        raise RuntimeError("BATON_NODE must name the baton-node binary (ctest sets it)")
    return path


def stop_process(process, deadline_s=DEADLINE_S):
    """SIGTERM by PID, then SIGKILL if it is still there at the deadline; always reaps it."""
    if process.poll() is None:
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=deadline_s)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
    return process.returncode


class NodeProcess:
    """baton-node --machine M --appmonitor ipc://DIR/M.sock --log-dir DIR/logs-M
    --state-dir DIR/state-M, output in DIR/node-M.log. Started on construction; ready once its
    socket file exists."""

    def __init__(self, directory, extra_args=(), machine="m1"):
        self.socket_path = os.path.join(directory, f"{machine}.sock")
        self.endpoint = "ipc://" + self.socket_path
        self.log_path = os.path.join(directory, f"node-{machine}.log")
        log_dir = os.path.join(directory, f"logs-{machine}")
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [node_binary(), "--machine", machine, "--appmonitor", self.endpoint,
                 "--log-dir", log_dir, "--state-dir", os.path.join(directory, f"state-{machine}"),
                 *extra_args],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        try:
            ready = wait_until(lambda: os.path.exists(self.socket_path)
                               or self.process.poll() is not None)
            if not ready or self.process.poll() is not None:
                raise RuntimeError("baton-node did not start: " + self.log())
        except BaseException:
            self.stop()
            raise

    @property
    def pid(self):
        return self.process.pid

    def log(self):
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def log_contains(self, text):
        return text in self.log()

    def stop(self):
        """Stops the node by its PID (SIGTERM, SIGKILL at the deadline); returns its exit code."""
        return stop_process(self.process)

    def kill(self):
        """SIGKILL: the node dies without cleaning up, leaving its socket file behind."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()
