"""Baton application monitor SDK for Python, with the API of Digi's ``digidevice.appmonitor``.

A program registers with the Baton node of its machine, then calls ``refresh()`` more often than
its timeout. When a refresh is late, or the program exits without unregistering, the node carries
out the action chosen at registration: KILL the program, RESTART it (kill it, then run the restart
command as the program's own user) or REBOOT the machine.

    from baton import appmonitor
    handler = appmonitor.register_app(5000, appmonitor.AppMonitorAction.KILL)
    while running:
        handler.refresh()
        time.sleep(1)
    handler.unregister()

Endpoint: ``$BATON_APPMONITOR``, else ``ipc:///run/baton/appmonitor.sock``. Every call waits at
most ``$BATON_APPMONITOR_TIMEOUT_MS`` (default 2000) for the node's answer, then raises
``AppMonitorError``: it never hangs when no node runs. A refresh unanswered for a quarter of that
is sent again on a new connection (the node may have been restarted after reading it); a
registration never is. Invalid arguments raise ``ValueError``
before anything is sent. Dropping a handler does NOT unregister: a program that stops refreshing,
or exits, without calling ``unregister()`` is caught by the node, which is the point of a
watchdog. A handler is not thread-safe: use one per thread, or guard it with a lock.

The wire protocol is the one of the C++ SDK: docs/protocol.md and schemas/appmonitor/.
"""

import enum
import math
import os
import re
import time

import msgpack
import zmq

__all__ = ["AppMonitorAction", "AppMonitorError", "AppMonitorHandler", "refresh_all",
           "register_app"]

DEFAULT_ENDPOINT = "ipc:///run/baton/appmonitor.sock"
DEFAULT_WAIT_MS = 2000

# The limits of schemas/appmonitor/register.json, checked here so that a bad argument fails
# before anything is sent rather than as a refusal from the node.
_PROTOCOL_VERSION = 1
_MAX_TIMEOUT_MS = 7 * 24 * 3600 * 1000
_MAX_RESTART_COMMAND_BYTES = 4096
_MAX_APP_ID_BYTES = 128
_MAX_ID = 2**64 - 1
_MAX_REFRESH_IDS = 1024  # schemas/appmonitor/refresh_many.json


class AppMonitorAction(enum.Enum):
    """What the node does when a refresh is late or the program exits without unregistering."""

    KILL = "kill"  # SIGTERM, then SIGKILL after the node's grace period
    RESTART = "restart"  # kill as above, then run the restart command as the program's user
    REBOOT = "reboot"  # run the node's reboot command (only on a node started --allow-reboot)


class AppMonitorError(Exception):
    """The node is unreachable within the bounded wait, refused the request, or no longer knows
    the registration (unregistered, or its action already ran)."""


class _Connection:
    """One DEALER connection to the node. A request left unanswered in time closes the socket,
    so that a late answer can never be taken for the answer to a later request."""

    def __init__(self, endpoint, wait_ms):
        self.endpoint = endpoint
        self._wait_ms = wait_ms
        self._socket = None

    def request(self, message, what, resend=False):
        """Sends one request and returns the node's answer (a dict with "ok": True). With
        resend (a refresh: sent twice, it only moves the deadline twice), a request unanswered for
        a quarter of the wait goes again on a new connection: a node killed after reading it never
        answers, the restarted node does."""
        give_up = time.monotonic() + self._wait_ms / 1000
        attempt_ms = max(self._wait_ms // 4, 1) if resend else self._wait_ms
        frame = msgpack.packb(message, use_bin_type=True)
        while True:
            if self._socket is None:
                self._connect(what)
            try:
                # Never blocks: a connecting DEALER queues the frame until the node accepts it.
                self._socket.send(frame, zmq.NOBLOCK)
                left_ms = max(0, math.ceil((give_up - time.monotonic()) * 1000))
                answered = self._socket.poll(min(left_ms, attempt_ms), zmq.POLLIN) != 0
                reply = self._socket.recv(zmq.NOBLOCK) if answered else None
            except zmq.ZMQError as e:
                self.close()
                raise AppMonitorError(f"cannot {what}: {e} ({self.endpoint})") from None
            if reply is not None:
                return self._decode(reply, what)
            # A late answer must never pass for the answer to the next request: a new connection.
            self.close()
            if not resend or time.monotonic() >= give_up:
                raise AppMonitorError(
                    f"cannot {what}: no answer from the Baton node at {self.endpoint} within "
                    f"{self._wait_ms} ms (is baton-node running?)")

    def close(self):
        if self._socket is not None:
            self._socket.close(linger=0)
            self._socket = None

    def _connect(self, what):
        # One context per process; instance() makes a new one in a forked child.
        socket = zmq.Context.instance().socket(zmq.DEALER)
        socket.setsockopt(zmq.LINGER, 0)
        try:
            socket.connect(self.endpoint)
        except zmq.ZMQError as e:
            socket.close(linger=0)
            raise AppMonitorError(
                f"cannot {what}: cannot connect to {self.endpoint!r}: {e}") from None
        self._socket = socket

    @staticmethod
    def _decode(frame, what):
        try:
            reply = msgpack.unpackb(frame, raw=False)
        except Exception as e:  # msgpack raises several unrelated types for bad input
            raise AppMonitorError(f"cannot {what}: malformed answer from the node: {e}") from None
        if not isinstance(reply, dict) or not isinstance(reply.get("ok"), bool):
            raise AppMonitorError(f"cannot {what}: answer without 'ok' field")
        if not reply["ok"]:
            error = reply.get("error")
            raise AppMonitorError(
                f"cannot {what}: {error if isinstance(error, str) else 'the node refused'}")
        return reply


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _endpoint_from_env():
    return os.environ.get("BATON_APPMONITOR") or DEFAULT_ENDPOINT


def _wait_from_env():
    text = os.environ.get("BATON_APPMONITOR_TIMEOUT_MS", "")
    if text == "":
        return DEFAULT_WAIT_MS
    if not re.fullmatch(r"[0-9]+", text) or int(text) <= 0:
        raise AppMonitorError("BATON_APPMONITOR_TIMEOUT_MS must be a positive number of "
                              f"milliseconds, not {text!r}")
    return int(text)


def _app_id_from_env():
    app = os.environ.get("DIRIGENT_APPID", "")
    # Cut to the schema's byte limit without splitting a UTF-8 sequence.
    return app.encode("utf-8", "surrogateescape")[:_MAX_APP_ID_BYTES].decode("utf-8", "ignore")


def _check_arguments(timeout, action, restart_command):
    if not _is_int(timeout):
        raise ValueError(f"timeout must be an integer number of milliseconds, not {timeout!r}")
    if timeout <= 0:
        raise ValueError("timeout must be greater than 0")
    if timeout > _MAX_TIMEOUT_MS:
        raise ValueError(f"timeout must be at most {_MAX_TIMEOUT_MS} ms (one week)")
    if not isinstance(action, AppMonitorAction):
        raise ValueError(f"action must be an AppMonitorAction, not {action!r}")
    if restart_command is not None and not isinstance(restart_command, str):
        raise ValueError(f"restart_command must be a string, not {restart_command!r}")
    if action is AppMonitorAction.RESTART and not restart_command:
        raise ValueError("RESTART needs a restart command")
    if restart_command and len(restart_command.encode("utf-8")) > _MAX_RESTART_COMMAND_BYTES:
        raise ValueError(
            f"restart command is longer than {_MAX_RESTART_COMMAND_BYTES} bytes")


class AppMonitorHandler:
    """A live registration, returned by register_app()."""

    def __init__(self, connection, registration_id, timeout, action, restart_command):
        self._connection = connection
        self._id = registration_id
        self._timeout = timeout
        self._action = action
        self._restart_command = restart_command
        self._seq = 0
        self._registered = True

    @property
    def timeout(self):
        """The refresh timeout in milliseconds, as registered."""
        return self._timeout

    @property
    def action(self):
        """The AppMonitorAction the node carries out on failure."""
        return self._action

    @property
    def restart_command(self):
        """The restart command as registered (None when none was given)."""
        return self._restart_command

    @property
    def id(self):
        """The node's registration id."""
        return self._id

    @property
    def registered(self):
        """False once unregister() succeeded."""
        return self._registered

    def refresh(self):
        """Tells the node the program is alive. Raises AppMonitorError when the node does not
        answer, or no longer knows the registration (unregistered, or its action already ran)."""
        if not self._registered:
            raise AppMonitorError("cannot refresh: the application is not registered")
        self._seq += 1
        reply = self._connection.request({"op": "refresh", "id": self._id, "seq": self._seq},
                                         "refresh", resend=True)
        if reply.get("seq") != self._seq:
            raise AppMonitorError(
                f"cannot refresh: the node answered sequence {reply.get('seq')!r} to {self._seq}")

    def unregister(self):
        """Ends monitoring. Raises AppMonitorError on failure; a second call raises too."""
        if not self._registered:
            raise AppMonitorError("cannot unregister: the application is not registered")
        self._connection.request({"op": "unregister", "id": self._id}, "unregister")
        self._registered = False
        self._connection.close()

    def __repr__(self):
        state = "registered" if self._registered else "unregistered"
        return (f"<AppMonitorHandler id={self._id:016x} timeout={self._timeout} "
                f"action={self._action.name} {state}>")


def refresh_all(handlers):
    """Refreshes several registrations with one message and one answer, through the connection
    of the first: for a program that holds many (one per worker, say) and refreshes them together.

    Raises ValueError before sending anything for no handlers, more than 1024, or something that
    is not an AppMonitorHandler; AppMonitorError when one is not registered, when the node does
    not answer, or when it no longer knows some of them (the message names their ids; the others
    were refreshed).
    """
    handlers = list(handlers)
    if not handlers:
        raise ValueError("refresh_all: no handlers to refresh")
    if len(handlers) > _MAX_REFRESH_IDS:
        raise ValueError(f"refresh_all: at most {_MAX_REFRESH_IDS} handlers at once, "
                         f"not {len(handlers)}")
    for i, handler in enumerate(handlers):
        if not isinstance(handler, AppMonitorHandler):
            raise ValueError(f"refresh_all: item {i} is not an AppMonitorHandler: {handler!r}")
        if not handler.registered:
            raise AppMonitorError(f"cannot refresh: handler {i} of the list is not registered")
    first = handlers[0]
    # The request rides on the first handler's connection and sequence.
    first._seq += 1
    reply = first._connection.request(
        {"op": "refresh_many", "ids": [h.id for h in handlers], "seq": first._seq}, "refresh",
        resend=True)
    if reply.get("seq") != first._seq:
        raise AppMonitorError(
            f"cannot refresh: the node answered sequence {reply.get('seq')!r} to {first._seq}")


def register_app(timeout, action, restart_command=None):
    """Registers the calling process with the node and returns its AppMonitorHandler.

    timeout: the longest gap in milliseconds between refreshes (and before the first one).
    action: an AppMonitorAction. restart_command: the shell command RESTART runs.
    Raises ValueError before sending anything when timeout <= 0 or when RESTART comes without a
    restart command; AppMonitorError when the node is unreachable or refuses (e.g. REBOOT on a
    node started without --allow-reboot).
    """
    _check_arguments(timeout, action, restart_command)
    endpoint = _endpoint_from_env()
    wait_ms = _wait_from_env()
    if endpoint.startswith("ipc://") and not os.path.exists(endpoint[len("ipc://"):]):
        raise AppMonitorError(f"cannot register: no Baton node is listening at {endpoint} "
                              "(the socket file does not exist)")

    request = {"op": "register", "v": _PROTOCOL_VERSION, "pid": os.getpid(),
               "timeout_ms": timeout, "action": action.value}
    if restart_command:
        request["restart_command"] = restart_command
    app = _app_id_from_env()
    if app:
        request["app"] = app

    connection = _Connection(endpoint, wait_ms)
    try:
        reply = connection.request(request, "register")
    except AppMonitorError:
        connection.close()
        raise
    registration_id = reply.get("id")
    if not _is_int(registration_id) or not 1 <= registration_id <= _MAX_ID:
        connection.close()
        raise AppMonitorError(
            f"cannot register: unexpected answer from the node (id {registration_id!r})")
    return AppMonitorHandler(connection, registration_id, timeout, action, restart_command)
