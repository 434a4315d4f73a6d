"""Invalid arguments raise ValueError before anything is sent: a bare ROUTER stands where the
node would be, and must receive nothing."""

import pytest
import zmq

from baton import appmonitor
from baton.appmonitor import AppMonitorAction

KILL, RESTART = AppMonitorAction.KILL, AppMonitorAction.RESTART


@pytest.fixture
def mute_router(workdir, monkeypatch):
    context = zmq.Context()
    router = context.socket(zmq.ROUTER)
    router.setsockopt(zmq.LINGER, 0)
    endpoint = f"ipc://{workdir}/am.sock"
    router.bind(endpoint)
    monkeypatch.setenv("BATON_APPMONITOR", endpoint)
    yield router
    router.close()
    context.term()


@pytest.mark.parametrize("timeout, action, command, says", [
    (0, KILL, None, "greater than 0"),
    (-5, KILL, None, "greater than 0"),
    (7 * 24 * 3600 * 1000 + 1, KILL, None, "one week"),
    (1.5, KILL, None, "integer"),
    ("5000", KILL, None, "integer"),
    (True, KILL, None, "integer"),
    (None, KILL, None, "integer"),
    (1000, RESTART, None, "RESTART needs a restart command"),
    (1000, RESTART, "", "RESTART needs a restart command"),
    (1000, RESTART, "x" * 4097, "longer than 4096 bytes"),
    (1000, RESTART, b"systemctl restart app", "must be a string"),
    (1000, KILL, 42, "must be a string"),
    (1000, "kill", None, "AppMonitorAction"),
    (1000, 0, None, "AppMonitorAction"),
    (1000, None, None, "AppMonitorAction"),
])
def test_invalid_arguments_raise_value_error(mute_router, timeout, action, command, says):
    with pytest.raises(ValueError, match=says):
        appmonitor.register_app(timeout, action, command)
    # Long enough for a request that was sent to arrive: none may.
    assert mute_router.poll(100) == 0, "something was sent"


def test_arguments_are_checked_before_the_environment(monkeypatch):
    monkeypatch.setenv("BATON_APPMONITOR", "ipc:///nonexistent/baton.sock")
    monkeypatch.setenv("BATON_APPMONITOR_TIMEOUT_MS", "soon")
    with pytest.raises(ValueError):
        appmonitor.register_app(0, KILL)


def test_value_error_and_appmonitor_error_are_distinct():
    assert not issubclass(appmonitor.AppMonitorError, ValueError)
    assert issubclass(appmonitor.AppMonitorError, Exception)
    assert [a.name for a in AppMonitorAction] == ["KILL", "RESTART", "REBOOT"]
