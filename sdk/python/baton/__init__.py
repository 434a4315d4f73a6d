"""Baton, a distributed application supervisor: the Python SDK.

``baton.appmonitor`` talks to the application monitor of the Baton node on this machine.
"""
