"""Compatibility with Digi's ``digidevice`` package: only ``digidevice.appmonitor``, served by
Baton, so that a script written for a Digi device runs unchanged on a Baton machine."""
