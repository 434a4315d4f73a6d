"""``digidevice.appmonitor`` on Baton: the same objects as ``baton.appmonitor``, so that

    from digidevice import appmonitor
    from digidevice.appmonitor import AppMonitorAction

in an existing script registers with the Baton node of this machine."""

from baton.appmonitor import AppMonitorAction, AppMonitorError, AppMonitorHandler, register_app

__all__ = ["AppMonitorAction", "AppMonitorError", "AppMonitorHandler", "register_app"]
