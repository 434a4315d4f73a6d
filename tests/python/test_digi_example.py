"""Scripts written for Digi's digidevice.appmonitor run unchanged against Baton, through the
digidevice compatibility package."""

import os
import re

import pytest

from node_process import DEADLINE_S, wait_until


def test_the_compatibility_module_is_the_baton_sdk():
    from digidevice import appmonitor as digi
    from digidevice.appmonitor import AppMonitorAction

    from baton import appmonitor
    assert AppMonitorAction is appmonitor.AppMonitorAction
    assert digi.register_app is appmonitor.register_app
    assert digi.AppMonitorError is appmonitor.AppMonitorError
    assert digi.AppMonitorHandler is appmonitor.AppMonitorHandler


def test_digis_usage_example_runs_unchanged(node, clients):
    # Digi's example: register (5000 ms, KILL), refresh in a loop, unregister; 5 quick rounds.
    script = clients.start("digi_example.py", "5", "0.05")
    assert script.wait(timeout=DEADLINE_S) == 0, clients.output(script)
    assert clients.output(script) == "refreshed 5 times, unregistered\n"
    log = node.log()
    assert re.search(rf"registered pid {script.pid} .*: timeout 5000 ms, action kill", log), log
    assert f"unregistered pid {script.pid} " in log
    assert "watchdog timeout" not in log


def test_digis_example_without_its_unregister_is_caught(node, clients):
    # Stopped while in its refresh loop, as a crash would stop it: the node acts at once.
    script = clients.start("digi_example.py")
    pid = script.pid
    assert wait_until(lambda: f"registered pid {pid} " in node.log()), node.log()
    script.kill()
    script.wait(timeout=DEADLINE_S)
    exited = re.compile(rf"pid {pid} .*exited without unregistering")
    assert wait_until(lambda: exited.search(node.log())), node.log()


def test_digis_other_registrations(node_env, workdir):
    from digidevice import appmonitor
    from digidevice.appmonitor import AppMonitorAction

    marker = os.path.join(workdir, "never")
    mon_handle = appmonitor.register_app(5000, AppMonitorAction.RESTART, f"touch {marker}")
    mon_handle.refresh()
    mon_handle.unregister()
    with pytest.raises(appmonitor.AppMonitorError, match="--allow-reboot"):
        appmonitor.register_app(5000, AppMonitorAction.REBOOT)
