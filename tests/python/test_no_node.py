"""Without a node every call raises AppMonitorError within the bounded wait: it never hangs."""

import os
import threading
import time

import msgpack
import pytest
import zmq

from baton import appmonitor
from baton.appmonitor import AppMonitorAction, AppMonitorError
from node_process import DEADLINE_S, NodeProcess


def timed(call):
    start = time.monotonic()
    with pytest.raises(AppMonitorError) as error:
        call()
    return str(error.value), time.monotonic() - start


def test_missing_socket_file_fails_at_once(monkeypatch):
    monkeypatch.setenv("BATON_APPMONITOR", "ipc:///nonexistent/baton/appmonitor.sock")
    # "At once": without waiting for an answer, which would take this long.
    monkeypatch.setenv("BATON_APPMONITOR_TIMEOUT_MS", str(int(DEADLINE_S * 1000)))
    message, took = timed(lambda: appmonitor.register_app(1000, AppMonitorAction.KILL))
    assert "no Baton node is listening at ipc:///nonexistent/baton/appmonitor.sock" in message
    assert took < DEADLINE_S


@pytest.mark.skipif(os.path.exists("/run/baton/appmonitor.sock"),
                    reason="a node listens at the default endpoint on this machine")
def test_default_endpoint_is_the_nodes_default(monkeypatch):
    monkeypatch.delenv("BATON_APPMONITOR", raising=False)
    message, _ = timed(lambda: appmonitor.register_app(1000, AppMonitorAction.KILL))
    assert "ipc:///run/baton/appmonitor.sock" in message


def test_node_killed_without_cleanup_fails_within_the_bounded_wait(workdir, monkeypatch):
    # SIGKILL leaves the socket file behind with nobody listening: a crashed node.
    node = NodeProcess(workdir)
    node.kill()
    assert os.path.exists(node.socket_path)
    monkeypatch.setenv("BATON_APPMONITOR", node.endpoint)
    monkeypatch.setenv("BATON_APPMONITOR_TIMEOUT_MS", "300")
    message, took = timed(lambda: appmonitor.register_app(1000, AppMonitorAction.KILL))
    assert "within 300 ms" in message
    assert 0.3 <= took < DEADLINE_S  # bounded: it does not hang


def test_silent_endpoint_fails_within_the_bounded_wait(workdir, monkeypatch):
    # Something holds the socket but never answers: a hung or stopped node.
    context = zmq.Context()
    mute = context.socket(zmq.ROUTER)
    mute.setsockopt(zmq.LINGER, 0)
    try:
        mute.bind(f"ipc://{workdir}/am.sock")
        monkeypatch.setenv("BATON_APPMONITOR", f"ipc://{workdir}/am.sock")
        monkeypatch.setenv("BATON_APPMONITOR_TIMEOUT_MS", "300")
        message, took = timed(lambda: appmonitor.register_app(1000, AppMonitorAction.KILL))
        assert "no answer from the Baton node" in message and "within 300 ms" in message
        assert 0.3 <= took < DEADLINE_S  # bounded: it does not hang
    finally:
        mute.close()
        context.term()


def test_node_gone_after_registration_fails_within_the_bounded_wait(workdir, monkeypatch):
    node = NodeProcess(workdir)
    try:
        monkeypatch.setenv("BATON_APPMONITOR", node.endpoint)
        monkeypatch.setenv("BATON_APPMONITOR_TIMEOUT_MS", "300")
        handler = appmonitor.register_app(60000, AppMonitorAction.KILL)
    finally:
        assert node.stop() == 0
    message, took = timed(handler.refresh)
    assert "within 300 ms" in message
    assert took < DEADLINE_S  # bounded: it does not hang


@pytest.mark.parametrize("wait", ["soon", "0", "-5", "1.5"])
def test_unusable_wait_setting_is_an_error(monkeypatch, wait):
    monkeypatch.setenv("BATON_APPMONITOR_TIMEOUT_MS", wait)
    message, _ = timed(lambda: appmonitor.register_app(1000, AppMonitorAction.KILL))
    assert "BATON_APPMONITOR_TIMEOUT_MS" in message


def test_malformed_endpoint_is_an_error(monkeypatch):
    monkeypatch.setenv("BATON_APPMONITOR", "nonsense://endpoint")
    message, _ = timed(lambda: appmonitor.register_app(1000, AppMonitorAction.KILL))
    assert "nonsense://endpoint" in message


def test_a_refresh_left_unanswered_is_sent_again_within_the_wait(workdir, monkeypatch):
    # A node killed after reading a refresh never answers it; the node restarted on the same
    # socket does. A ROUTER that speaks the protocol plays the node and ignores the first refresh:
    # refresh() sends it again on a new connection and succeeds, and nothing registers twice.
    context = zmq.Context()
    node = context.socket(zmq.ROUTER)
    node.setsockopt(zmq.LINGER, 0)
    seen = {"register": 0, "refresh": []}
    done = threading.Event()

    def serve():
        while not done.is_set():
            if node.poll(20, zmq.POLLIN) == 0:
                continue
            identity, frame = node.recv_multipart()
            request = msgpack.unpackb(frame, raw=False)
            if request.get("op") == "register":
                seen["register"] += 1
                reply = {"ok": True, "id": 42}
            elif request.get("op") == "refresh":
                seen["refresh"].append(request["seq"])
                if len(seen["refresh"]) == 1:
                    continue  # read, never answered: the node died here
                reply = {"ok": True, "seq": request["seq"]}
            else:
                continue
            node.send_multipart([identity, msgpack.packb(reply, use_bin_type=True)])

    try:
        node.bind(f"ipc://{workdir}/am.sock")
        monkeypatch.setenv("BATON_APPMONITOR", f"ipc://{workdir}/am.sock")
        monkeypatch.setenv("BATON_APPMONITOR_TIMEOUT_MS", "2000")
        server = threading.Thread(target=serve)
        server.start()
        try:
            handler = appmonitor.register_app(5000, AppMonitorAction.KILL)
            handler.refresh()
        finally:
            done.set()
            server.join()
        assert seen["register"] == 1
        assert len(seen["refresh"]) == 2 and seen["refresh"][0] == seen["refresh"][1]
    finally:
        node.close(linger=0)
        context.term()
