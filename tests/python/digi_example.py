"""Digi's own usage example for digidevice.appmonitor, from Digi's documentation,
as a script written for a Digi device would hold it: register, refresh loop, unregister.

Only the loop's end differs: Digi's `while True` runs forever, so this one stops after
argv[1] refreshes (default: never) and sleeps argv[2] seconds (default: Digi's 1) between them.
"""

import sys

from digidevice import appmonitor
from digidevice.appmonitor import AppMonitorAction

REFRESHES = int(sys.argv[1]) if len(sys.argv) > 1 else None
INTERVAL = float(sys.argv[2]) if len(sys.argv) > 2 else 1

mon_handle = appmonitor.register_app(5000, AppMonitorAction.KILL)
#mon_handle = appmonitor.register_app(5000, AppMonitorAction.REBOOT)
#mon_handle = appmonitor.register_app(5000, AppMonitorAction.RESTART, "<restart_command>")

import time

refreshed = 0
while REFRESHES is None or refreshed < REFRESHES:
    mon_handle.refresh()
    time.sleep(INTERVAL)
    refreshed += 1

mon_handle.unregister()
print(f"refreshed {refreshed} times, unregistered", flush=True)
