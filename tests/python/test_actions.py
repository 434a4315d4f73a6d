"""What the node does with a Python program (appmon_client.py) that refreshes, falls silent,
exits or unregisters."""

import os
import re
import signal

from node_process import DEADLINE_S, wait_until

TIMEOUT_MS = 300


def test_refreshing_keeps_it_alive_through_many_timeouts(node, clients):
    # 20 refreshes at timeout/4: five timeouts of wall time, each one refreshed in time.
    client = clients.start("appmon_client.py", "--timeout", str(TIMEOUT_MS), "--refreshes", "20")
    assert client.wait(timeout=DEADLINE_S) == 0, clients.output(client)
    assert "refreshed 20\nunregistered\n" in clients.output(client)
    assert f"unregistered pid {client.pid} " in node.log()
    assert "watchdog timeout" not in node.log()


def test_silence_gets_it_killed(node, clients):
    client = clients.start("appmon_client.py", "--timeout", str(TIMEOUT_MS), "--refreshes", "2",
                           "--then", "hang")
    assert wait_until(lambda: "hanging" in clients.output(client)), clients.output(client)
    # How soon after its timeout is bench_watchdog_precision's business; here that it happens.
    assert client.wait(timeout=DEADLINE_S) == -signal.SIGTERM, node.log()
    assert f"watchdog timeout: pid {client.pid} " in node.log()


def test_restart_runs_the_restart_command(node, clients, workdir):
    marker = os.path.join(workdir, "restarted")
    client = clients.start("appmon_client.py", "--timeout", str(TIMEOUT_MS), "--refreshes", "1",
                           "--then", "hang", "--action", "RESTART", "--restart-command",
                           f'echo "$BATON_WATCHDOG_PID $(id -u)" > {marker}')
    assert client.wait(timeout=DEADLINE_S) == -signal.SIGTERM, node.log()
    assert wait_until(lambda: os.path.exists(marker) and open(marker).read()), node.log()
    # The command knows whom it restarts and runs as the program's user.
    assert open(marker).read() == f"{client.pid} {os.getuid()}\n"


def test_exit_without_unregister_fires_at_once(node, clients, workdir):
    marker = os.path.join(workdir, "restarted")
    # A timeout of ten minutes: only the exit can explain a restart within the test's deadline.
    client = clients.start("appmon_client.py", "--timeout", "600000", "--every", "50",
                           "--refreshes", "1", "--then", "exit", "--action", "RESTART",
                           "--restart-command", f"touch {marker}")
    assert client.wait(timeout=DEADLINE_S) == 0, clients.output(client)
    assert wait_until(lambda: os.path.exists(marker)), node.log()
    assert re.search(rf"pid {client.pid} .*exited without unregistering", node.log()), node.log()


def test_nothing_fires_after_unregister(node, clients, workdir):
    marker = os.path.join(workdir, "restarted")
    client = clients.start("appmon_client.py", "--timeout", str(TIMEOUT_MS), "--refreshes", "2",
                           "--action", "RESTART", "--restart-command", f"touch {marker}")
    assert client.wait(timeout=DEADLINE_S) == 0, clients.output(client)
    assert f"unregistered pid {client.pid} " in node.log()
    # Its exit and its silence both lie behind it now: two timeouts later nothing has fired.
    assert not wait_until(lambda: os.path.exists(marker) or "watchdog" in node.log(),
                          deadline_s=2 * TIMEOUT_MS / 1000)
    assert "exited without unregistering" not in node.log()


def test_the_app_id_comes_from_dirigent_appid(node, clients):
    client = clients.start("appmon_client.py", "--timeout", "60000", "--refreshes", "1",
                           "--every", "10", env={"DIRIGENT_APPID": "m1.py-client"})
    assert client.wait(timeout=DEADLINE_S) == 0, clients.output(client)
    assert f"registered pid {client.pid} (app m1.py-client)" in node.log()
