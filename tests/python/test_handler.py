"""The handler in this process, against a real node. Registrations here use long timeouts and
end before the node stops: the node acts on this very process (pytest) otherwise."""

import os
import re
import shutil

import pytest

from baton import appmonitor
from baton.appmonitor import AppMonitorAction, AppMonitorError
from node_process import NodeProcess


def test_register_refresh_unregister(node_env):
    handler = appmonitor.register_app(60000, AppMonitorAction.RESTART, "true")
    assert handler.registered
    assert handler.timeout == 60000
    assert handler.action is AppMonitorAction.RESTART
    assert handler.restart_command == "true"
    assert 1 <= handler.id < 2**64
    assert re.search(rf"registered pid {os.getpid()} .*: timeout 60000 ms, action restart",
                     node_env.log())
    for _ in range(100):
        handler.refresh()
    handler.unregister()
    assert not handler.registered
    assert f"unregistered pid {os.getpid()} " in node_env.log()


def test_unknown_after_unregister(node_env):
    handler = appmonitor.register_app(60000, AppMonitorAction.KILL)
    assert handler.restart_command is None
    handler.unregister()
    with pytest.raises(AppMonitorError, match="not registered"):
        handler.refresh()
    with pytest.raises(AppMonitorError, match="not registered"):
        handler.unregister()


def test_node_that_forgot_answers_unknown_registration(workdir, node_env, monkeypatch):
    handler = appmonitor.register_app(60000, AppMonitorAction.KILL)
    # A node that restarts without its state folder knows nothing of the registration.
    assert node_env.stop() == 0
    shutil.rmtree(os.path.join(workdir, "state-m1"))
    restarted = NodeProcess(workdir)
    try:
        with pytest.raises(AppMonitorError, match="unknown registration"):
            handler.refresh()
        with pytest.raises(AppMonitorError, match="unknown registration"):
            handler.unregister()
    finally:
        restarted.stop()


def test_handlers_are_independent(node_env):
    first = appmonitor.register_app(60000, AppMonitorAction.KILL)
    second = appmonitor.register_app(60000, AppMonitorAction.KILL)
    assert first.id != second.id
    first.unregister()
    second.refresh()
    second.unregister()


def test_refresh_all_refreshes_together_and_names_the_forgotten(workdir, node_env):
    handlers = [appmonitor.register_app(60000, AppMonitorAction.KILL) for _ in range(3)]
    for _ in range(10):
        appmonitor.refresh_all(handlers)
    with pytest.raises(ValueError, match="no handlers"):
        appmonitor.refresh_all([])
    with pytest.raises(ValueError, match="not an AppMonitorHandler"):
        appmonitor.refresh_all([handlers[0], "handler"])
    # A node that restarts without its state folder knows none of them; one registered since is
    # refreshed, the others are named.
    assert node_env.stop() == 0
    shutil.rmtree(os.path.join(workdir, "state-m1"))
    restarted = NodeProcess(workdir)
    try:
        fresh = appmonitor.register_app(60000, AppMonitorAction.KILL)
        with pytest.raises(AppMonitorError, match=f"unknown registration ids {handlers[0].id:016x}"):
            appmonitor.refresh_all(handlers + [fresh])
        fresh.refresh()
        fresh.unregister()
        with pytest.raises(AppMonitorError, match="handler 3 of the list is not registered"):
            appmonitor.refresh_all(handlers + [fresh])
    finally:
        restarted.stop()


def test_reboot_is_refused_without_allow_reboot(node_env):
    with pytest.raises(AppMonitorError, match="--allow-reboot"):
        appmonitor.register_app(60000, AppMonitorAction.REBOOT)


def test_reboot_is_taken_where_allowed(workdir, monkeypatch):
    node = NodeProcess(workdir, ["--allow-reboot", "--reboot-command", "true"])
    try:
        monkeypatch.setenv("BATON_APPMONITOR", node.endpoint)
        handler = appmonitor.register_app(60000, AppMonitorAction.REBOOT)
        assert handler.action is AppMonitorAction.REBOOT
        handler.unregister()
    finally:
        node.stop()


def test_app_id_comes_from_dirigent_appid(node_env, monkeypatch):
    monkeypatch.setenv("DIRIGENT_APPID", "py-app")
    handler = appmonitor.register_app(60000, AppMonitorAction.KILL)
    handler.unregister()
    assert f"registered pid {os.getpid()} (app py-app)" in node_env.log()


def test_repr_says_what_it_is(node_env):
    handler = appmonitor.register_app(60000, AppMonitorAction.KILL)
    assert "action=KILL registered" in repr(handler)
    handler.unregister()
    assert "unregistered" in repr(handler)
