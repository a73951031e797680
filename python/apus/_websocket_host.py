"""ASGI WebSocket sessions on the runtime's asyncio loop.

The runtime calls ``Server.handle_websocket`` for a request that is a valid WebSocket
handshake, with the request's parts and ``native``, which takes what the app sends.
``WebSocketCycle`` is the session as the app sees it: ``receive`` and ``send`` of the ASGI
``websocket`` scope (spec 2.4, with the ``websocket.http.response`` extension).

Messages to ``native`` (the named tuples of ``_contract``, one type per kind):
- ``WebSocketAccept(subprotocol, headers)``: the 101. From then on the runtime hands each
  message to ``received(cycle, event)`` as it arrives: ``("text", str, size)``, ``("bytes",
  bytes, size)``, and last ``("close", code, reason)``;
- ``WebSocketConsumed(count)``: the app took a message of ``count`` bytes (past 32 untaken,
  the runtime stops reading the client);
- ``WebSocketSend(data)``: a message, text or bytes; ``native`` returns True (the app may go
  on), False (the session is over), or None: the client is behind, and ``send_done(cycle, ok)``
  comes once it has room;
- ``WebSocketClose(code, reason)``: the app closes the session;
- ``Body``, ``More``, ``Error``, ``Abort``: a denial response (``websocket.close`` before
  ``websocket.accept`` is a 403) and failures, as for HTTP (see ``_asgi_host``); after the
  accept a failure closes the session with 1011.
"""
import collections
import traceback
from urllib.parse import quote

from . import _asyncio_host
from ._contract import Abort, Body, Error, More, WebSocketAccept, WebSocketClose, WebSocketConsumed, WebSocketSend
from ._asgi_host import ClientDisconnected, _is_client_gone

_CONNECTING, _ACCEPTED, _RESPONDING, _CLOSED = range(4)
_CONNECT = {"type": "websocket.connect"}


class WebSocketCycle:
    __slots__ = ("scope", "_native", "_testing", "_state", "_connected", "_ending", "_gone_waiter",
                 "_response_started", "_status", "_headers", "_inbox", "_receive_waiter", "_send_waiter")

    def __init__(self, scope, native, testing=False):
        self.scope = scope
        self._native = native
        # Served for the TestClient: a refused handshake says its close code (see
        # `_testclient_websocket`).
        self._testing = testing
        self._state = _CONNECTING
        self._connected = False
        # The disconnect message every receive gets once the session is over.
        self._ending = None
        self._gone_waiter = None
        self._response_started = False
        self._status = 0
        self._headers = ()
        # Messages the runtime handed over that the app has not received yet.
        self._inbox = collections.deque()
        self._receive_waiter = None
        self._send_waiter = None

    async def receive(self):
        if not self._connected:
            self._connected = True
            return _CONNECT
        inbox = self._inbox
        if inbox:
            event = inbox.popleft()
        elif self._ending is not None:
            return self._ending
        elif self._state == _CONNECTING:
            # Before the accept there is nothing to receive but the client leaving.
            waiter = self._gone_waiter = _asyncio_host.loop().create_future()
            await waiter
            return self._ending
        else:
            waiter = self._receive_waiter = _asyncio_host.loop().create_future()
            try:
                event = await waiter
            finally:
                self._receive_waiter = None
        kind = event[0]
        if kind == "close":
            self._ending = {"type": "websocket.disconnect", "code": event[1], "reason": event[2]}
            return self._ending
        native = self._native
        if native is not None:
            native(WebSocketConsumed(event[2]))
        if kind == "text":
            return {"type": "websocket.receive", "text": event[1]}
        return {"type": "websocket.receive", "bytes": event[1]}

    def deliver(self, event):
        """A message from the client, or the session's end (the runtime, on the loop's thread)."""
        waiter = self._receive_waiter
        if waiter is not None and not waiter.done():
            self._receive_waiter = None
            waiter.set_result(event)
        else:
            self._inbox.append(event)

    def send_done(self, ok):
        """The client took what was queued (True), or the session is over (False)."""
        waiter, self._send_waiter = self._send_waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(ok)

    async def send(self, message):
        kind = message["type"]
        state = self._state
        if self._ending is not None and not self._inbox and state != _CLOSED and kind != "websocket.close":
            raise ClientDisconnected("the WebSocket client has left")
        if kind == "websocket.accept" and state == _CONNECTING:
            self._state = _ACCEPTED
            self._native(WebSocketAccept(message.get("subprotocol"), list(message.get("headers") or ())))
        elif kind == "websocket.send" and state == _ACCEPTED:
            data = message.get("bytes")
            if data is None:
                data = message.get("text")
            if data is None:
                raise RuntimeError("'websocket.send' needs 'bytes' or 'text'")
            sent = self._native(WebSocketSend(data))
            if sent is None:  # the client is behind: wait until it has room
                waiter = self._send_waiter = _asyncio_host.loop().create_future()
                sent = await waiter
            if not sent:
                raise ClientDisconnected("the WebSocket client has left")
        elif kind == "websocket.close" and state in (_CONNECTING, _ACCEPTED):
            if state == _CONNECTING:
                # A close before the accept refuses the handshake (uvicorn: 403).
                headers = []
                if self._testing:
                    code = message.get("code") or 1000
                    reason = quote(message.get("reason") or "")
                    headers.append((b"apus-websocket-close", f"{code} {reason}".encode()))
                self._native(Body(403, headers, b"", False, None))
            else:
                self._native(WebSocketClose(message.get("code") or 1000, message.get("reason") or ""))
            self._state = _CLOSED
        elif kind == "websocket.close" and state == _CLOSED:
            return
        elif kind == "websocket.http.response.start" and state == _CONNECTING:
            self._state = _RESPONDING
            self._status = message["status"]
            self._headers = list(message.get("headers") or ())
        elif kind == "websocket.http.response.body" and state == _RESPONDING:
            body = message.get("body", b"")
            more = message.get("more_body", False)
            waiter = _asyncio_host.loop().create_future() if more else None
            if not self._response_started:
                self._response_started = True
                self._native(Body(self._status, self._headers, body, more, waiter))
            else:
                self._native(More(body, more, waiter))
            if not more:
                self._state = _CLOSED
            elif not await waiter:
                raise ClientDisconnected("the WebSocket client has left")
        else:
            raise RuntimeError(f"Unexpected ASGI message '{kind}', after sending {_STATE_NAMES[state]}.")

    def disconnected(self):
        """The client left before the accept (called by the runtime)."""
        if self._ending is None:
            self._ending = {"type": "websocket.disconnect", "code": 1006, "reason": ""}
        waiter = self._gone_waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def finish(self):
        state = self._state
        if state == _CONNECTING and self._ending is None:
            self._native(Abort("ASGI callable returned without sending handshake."))
        elif state == _RESPONDING:
            self._native(Abort("ASGI callable returned without completing the denial response."))
        elif state == _ACCEPTED and self._ending is None:
            self._native(WebSocketClose(1000, ""))

    def fail(self, error):
        if self._ending is not None and _is_client_gone(error):
            return
        self._native(Error(error, "".join(traceback.format_exception(error)), False))

    def close(self):
        self._native = None


_STATE_NAMES = {_CONNECTING: "nothing", _ACCEPTED: "'websocket.accept'", _RESPONDING: "'websocket.http.response.start'",
                _CLOSED: "'websocket.close'"}


async def run_websocket(app, cycle):
    try:
        await app(cycle.scope, cycle.receive, cycle.send)
    except BaseException as error:  # noqa: BLE001 - a session never stops the loop
        cycle.fail(error)
    else:
        cycle.finish()
    finally:
        cycle.close()


def websocket_scope(http_scope):
    """The ``websocket`` scope of a handshake, from the ``http`` scope the server builds."""
    scope = http_scope
    scope["type"] = "websocket"
    del scope["method"]
    scheme = scope.get("scheme", "http")
    scope["scheme"] = "wss" if scheme in ("https", "wss") else "ws"
    subprotocols = []
    for name, value in scope["headers"]:
        if name == b"sec-websocket-protocol":
            subprotocols.extend(item.strip() for item in value.decode("latin-1").split(",") if item.strip())
    scope["subprotocols"] = subprotocols
    scope["extensions"] = {"websocket.http.response": {}}
    return scope


def received(cycle, event):
    cycle.deliver(event)


def send_done(cycle, ok):
    cycle.send_done(ok)
