"""Fixtures for the Python SDK tests: a short temporary folder, a real baton-node in it, and
client processes that are always cleaned up."""

import os
import shutil
import subprocess
import sys
import tempfile

import pytest

from node_process import NodeProcess, stop_process

HERE = os.path.dirname(os.path.abspath(__file__))
KILL_GRACE_MS = 400


@pytest.fixture
def workdir():
    # Our own folder rather than pytest's tmp_path: an ipc:// path must stay under 108 bytes, and
    # tmp_path grows with the test's name.
    path = tempfile.mkdtemp(prefix="baton-py-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def node(workdir):
    started = NodeProcess(workdir, ["--kill-grace", str(KILL_GRACE_MS)])
    yield started
    started.stop()


@pytest.fixture
def node_env(node, monkeypatch):
    """This process talks to `node`."""
    monkeypatch.setenv("BATON_APPMONITOR", node.endpoint)
    monkeypatch.delenv("BATON_APPMONITOR_TIMEOUT_MS", raising=False)
    monkeypatch.delenv("DIRIGENT_APPID", raising=False)
    return node


class Clients:
    """Starts Python programs (tests/python/*.py) that talk to the node; kills what is left."""

    def __init__(self, node, workdir):
        self._node = node
        self._workdir = workdir
        self._processes = []

    def start(self, script, *args, env=None):
        environment = dict(os.environ)
        environment["BATON_APPMONITOR"] = self._node.endpoint
        environment.update(env or {})
        output = open(self.output_path(len(self._processes)), "wb")
        with output:
            process = subprocess.Popen([sys.executable, os.path.join(HERE, script), *args],
                                       stdin=subprocess.DEVNULL, stdout=output,
                                       stderr=subprocess.STDOUT, env=environment)
        process.output_path = output.name
        self._processes.append(process)
        return process

    def output_path(self, index):
        return os.path.join(self._workdir, f"client-{index}.log")

    @staticmethod
    def output(process):
        with open(process.output_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def stop_all(self):
        for process in self._processes:
            stop_process(process)


@pytest.fixture
def clients(node, workdir):
    started = Clients(node, workdir)
    yield started
    started.stop_all()
