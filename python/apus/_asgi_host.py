"""ASGI 3 requests on the runtime's asyncio loop.

The runtime calls ``start`` on the loop's thread for each request it routes to the ASGI path,
with the request's parts and ``native``, a function of the runtime that takes the response
as the app sends it. ``HTTPCycle`` is the request as the app sees it: ``receive`` and ``send``.

Messages to ``native`` (the named tuples of ``_contract``, one type per kind):
- ``Body(status, headers, body, more, waiter)``: the first body message, with the head;
- ``OuterBody(...)``: the same, for the server-error response of a plan, which the
  middleware the runtime runs itself does not rewrite;
- ``More(body, more, waiter)``: the next ones;
- ``File(status, headers, path)``: the whole response, its body the file at ``path``, which the
  runtime reads and sends (the app sent ``http.response.pathsend``, an extension every scope
  offers: Starlette's ``FileResponse`` uses it, so Python never reads the file);
- ``Error(exception, traceback, answered)``: the app raised; the runtime logs it and,
  unless the app had sent its whole response, answers 500 if nothing was sent yet, else closes
  the connection;
- ``Abort(reason)``: the app broke the protocol; the same, with ``reason`` logged;
- ``Read(waiter)``: ``receive`` wants more of the request body: the runtime resolves the
  waiter with ``(bytes, more_body)``, or None if the body cannot be read to its end.
``waiter`` is a future when ``more`` is true: the runtime resolves it (``resume``) once the
client has taken the bytes, with False if the client is gone. A final body needs no waiter.

Once the client has left (the runtime calls ``disconnected``, or a write found it gone),
``receive`` returns ``http.disconnect`` and ``send`` raises ``ClientDisconnected``, an
``OSError``, as ASGI 2.4 asks: a streaming response stops, its generator is closed.
"""
import os
import traceback
from urllib.parse import unquote

from . import _asyncio_host
from ._contract import Abort, Body, Error, File, More, OuterBody, Read, new
from ._proxy_headers import ProxyHeaders

_DISCONNECT = {"type": "http.disconnect"}


class ClientDisconnected(OSError):
    """``send()`` on a connection whose client has left (ASGI 2.4: an ``OSError``, which
    Starlette's streaming responses rely on to stop)."""


def _is_client_gone(error):
    """An exception that only says the client left: Apus's own, or Starlette's
    ``ClientDisconnect`` raised from it (for a request body that broke off, too)."""
    return isinstance(error, OSError) or type(error).__name__ == "ClientDisconnect"


class _FileBody:
    """A held response body that is a file (``http.response.pathsend``)."""
    __slots__ = ("path",)

    def __init__(self, path):
        self.path = path


class HTTPCycle:
    __slots__ = ("scope", "_body", "_more_body", "_native", "_hold", "_held", "_last_piece", "_started", "_complete",
                 "_status", "_headers", "_sent_head", "_disconnected", "_waiter", "_head_kind")

    def __init__(self, scope, body, native, hold, more_body=False):
        self.scope = scope
        self._body = body
        # More of the body is still to arrive: `receive` asks the runtime for it.
        self._more_body = more_body
        self._native = native
        # Hold the end of the response until the app returns (the TestClient's semantics:
        # background tasks and server exceptions belong to the request that caused them).
        self._hold = hold
        self._held = None
        # In testing mode, the latest streamed piece: it goes out when the next one comes, so
        # the client never has the whole body before the app returns.
        self._last_piece = None
        self._started = False
        self._complete = False
        self._sent_head = False
        self._status = 200
        self._headers = ()
        self._disconnected = False
        self._waiter = None
        self._head_kind = Body

    async def receive(self):
        body = self._body
        if body is not None:
            self._body = None
            return {"type": "http.request", "body": body, "more_body": self._more_body}
        if self._more_body and not self._disconnected and self._native is not None:
            waiter = _asyncio_host.loop().create_future()
            self._native(Read(waiter))
            piece = await waiter
            if piece is None:
                self._more_body = False
                self.disconnected()
                return _DISCONNECT
            body, self._more_body = piece
            return {"type": "http.request", "body": body, "more_body": self._more_body}
        if not (self._disconnected or self._complete):
            waiter = self._waiter = _asyncio_host.loop().create_future()
            try:
                await waiter
            finally:
                self._waiter = None
        return _DISCONNECT

    def body_taken(self):
        """A plan's ``Request`` holds the whole body, as if the app had received it: the app's
        next ``receive`` waits for the client to leave, as it would after reading the body."""
        if not self._more_body:
            self._body = None

    async def send(self, message):
        if self._disconnected:
            raise ClientDisconnected("the client has closed the connection")
        kind = message["type"]
        if kind == "http.response.start":
            if self._started:
                raise RuntimeError("Unexpected ASGI message 'http.response.start' sent, after response already started.")
            self._started = True
            self._status = message["status"]
            self._headers = message.get("headers", ())
        elif kind == "http.response.body":
            if not self._started:
                raise RuntimeError("Unexpected ASGI message 'http.response.body' sent, before 'http.response.start'.")
            if self._complete:
                raise RuntimeError("Unexpected ASGI message 'http.response.body' sent, after response already completed.")
            body = message.get("body", b"")
            more = message.get("more_body", False)
            if self._hold:
                # Starlette's TestClient gives the response once the app has returned: a
                # body sent in pieces (BaseHTTPMiddleware re-sends every body so) is held a
                # piece behind, its last piece until then, with the background tasks run.
                held, self._last_piece = self._last_piece, None
                if not more:
                    if held is not None:
                        body = held + body
                elif not body:
                    self._last_piece = held
                    return
                else:
                    self._last_piece = body
                    if held is None:
                        return
                    body = held
            if not more:
                self._complete = True
                self._wake()
                if self._hold:
                    self._held = body
                    return
            waiter = _asyncio_host.loop().create_future() if more else None
            self._emit(body, more, waiter)
            if waiter is not None and not await waiter:
                self.disconnected()
                raise ClientDisconnected("the client has closed the connection")
        elif kind == "http.response.pathsend":
            if not self._started:
                raise RuntimeError("Unexpected ASGI message 'http.response.pathsend' sent, before 'http.response.start'.")
            if self._complete or self._sent_head:
                raise RuntimeError("Unexpected ASGI message 'http.response.pathsend' sent, after the response's body began.")
            path = message.get("path")
            if not isinstance(path, str) or not os.path.isabs(path):
                raise RuntimeError(f"'http.response.pathsend' needs an absolute path, not {path!r}")
            self._complete = True
            self._wake()
            if self._hold:
                self._held = _FileBody(path)
                return
            self._sent_head = True
            self._native(new(File, (self._status, self._headers, path)))
        elif kind == "http.response.trailers":
            raise RuntimeError("HTTP trailers are not supported (no 'http.response.trailers' extension)")
        else:
            raise RuntimeError(f"Unexpected ASGI message '{kind}' sent, for an 'http' scope.")

    def respond(self, status, headers, body):
        """A whole response at once (a native plan's), from any thread: as ``send`` of a start
        and a final body, held in testing mode until ``release``."""
        self._started = True
        self._status = status
        self._headers = headers
        self._complete = True
        self._wake()
        if self._hold:
            self._held = body
        elif not self._disconnected:
            self._emit(body, False, None)

    @property
    def started(self):
        return self._started

    def answer_outside_middleware(self):
        """The response is the server-error answer, made outside the app's middleware
        (Starlette's ServerErrorMiddleware is the outermost layer): middleware the runtime runs
        itself leaves it alone."""
        self._head_kind = OuterBody

    def close(self):
        """The request is over: drops the runtime's function, which holds the runtime's side
        of the request (which holds this cycle)."""
        self._native = None

    def _emit(self, body, more, waiter):
        if self._sent_head:
            self._native(new(More, (body, more, waiter)))
        else:
            self._sent_head = True
            self._native(new(self._head_kind, (self._status, self._headers, body, more, waiter)))

    def disconnected(self):
        """The client went away (called by the runtime, on the loop's thread)."""
        self._disconnected = True
        self._wake()

    def _wake(self):
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def finish(self):
        if self._disconnected and not self._complete:
            return  # the client left first: an unfinished response is no fault of the app's
        if not self._started:
            self._native(Abort("ASGI callable returned without starting response."))
        elif not self._complete:
            self._native(Abort("ASGI callable returned without completing response."))
        else:
            self.release()

    def fail(self, error):
        if self._disconnected and _is_client_gone(error):
            # The app stopped because its client left: nothing to answer, nothing to report.
            return
        # `answered`: the app sent its whole response (maybe held) before raising, as
        # Starlette's ServerErrorMiddleware does; it goes out after the error is reported.
        answered = self._complete
        self._native(Error(error, "".join(traceback.format_exception(error)), answered))
        if answered:
            self.release()

    def release(self):
        """Sends the held end of the response, if any."""
        held, self._held = self._held, None
        if held is None or self._disconnected:
            return
        if isinstance(held, _FileBody):
            self._sent_head = True
            self._native(new(File, (self._status, self._headers, held.path)))
        else:
            self._emit(held, False, None)


async def run_app(app, cycle):
    try:
        await app(cycle.scope, cycle.receive, cycle.send)
    except BaseException as error:  # noqa: BLE001 - a request never stops the loop (uvicorn does the same)
        cycle.fail(error)
    else:
        cycle.finish()
    finally:
        cycle.close()


class Server:
    """What every request of one server shares: the app, ``root_path``, the lifespan state, and
    whether a TestClient drives it (``testing``: the client's scope values arrive in the
    ``apus-testclient`` header, and the end of each response waits for the app to return)."""

    __slots__ = ("app", "root_path", "state", "testing", "proxy_headers", "scheme")

    def __init__(self, app, root_path="", state=None, testing=False, forwarded_allow_ips=None, scheme="http"):
        self.app = app
        self.root_path = root_path
        # The server's own: "https" when it terminates TLS.
        self.scheme = scheme
        self.state = state
        self.testing = testing
        # Proxy headers are read from trusted peers (None: not read; the TestClient never).
        self.proxy_headers = None
        if forwarded_allow_ips is not None and not testing:
            self.proxy_headers = ProxyHeaders(forwarded_allow_ips)

    def make_scope(self, request):
        """The ``http`` scope of one request (a ``RequestParts``, see ``_contract``)."""
        path = request.path
        raw_path = request.raw_path
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.4"},
            "http_version": request.http_version,
            "method": request.method,
            "scheme": self.scheme,
            "path": path,
            "raw_path": raw_path,
            "query_string": request.query_string,
            "root_path": self.root_path,
            "headers": request.headers,
            "client": _address(request.client),
            "server": _address(request.server),
            "extensions": {"http.response.pathsend": {}},
        }
        if request.tls is not None:
            # ASGI's TLS extension (and the client's SNI name as `server_name`).
            scope["extensions"] = {"http.response.pathsend": {}, "tls": request.tls}
        if self.state is not None:
            scope["state"] = self.state.copy()
        if self.testing:
            _apply_testclient_header(scope)
        elif self.proxy_headers is not None:
            self.proxy_headers.apply(scope)
        root_path = scope["root_path"]
        if root_path:
            # As uvicorn sends it: `path` includes `root_path`, which the app strips.
            scope["path"] = root_path + path
            scope["raw_path"] = root_path.encode() + raw_path
        return scope

    def handle_websocket(self, request, native):
        """Starts the app for a WebSocket handshake; returns the cycle, which the runtime keeps
        to report a client that leaves before the accept."""
        from ._websocket_host import WebSocketCycle, run_websocket, websocket_scope

        cycle = WebSocketCycle(websocket_scope(self.make_scope(request)), native, self.testing)
        _asyncio_host.start(run_websocket(self.app, cycle))
        return cycle

    def handle(self, request, body, native):
        """Starts the app for one request, its first step now; returns the cycle, which the
        runtime keeps to report a disconnect."""
        more_body = request.more_body
        cycle = HTTPCycle(self.make_scope(request), body, native, self.testing, more_body)
        _asyncio_host.start(run_app(self.app, cycle))
        return cycle


def _apply_testclient_header(scope):
    headers = scope["headers"]
    for index, (name, value) in enumerate(headers):
        if name == b"apus-testclient":
            del headers[index]
            scheme, root_path, client_host, client_port, server_host, server_port = value.decode().split(" ")
            scope["scheme"] = scheme
            scope["root_path"] = unquote(root_path)
            scope["client"] = (unquote(client_host), int(client_port))
            scope["server"] = (unquote(server_host), int(server_port)) if server_port != "-" else None
            return


def resume(waiter, ok):
    """The runtime took (True) or dropped (False) a streamed body piece."""
    if not waiter.done():
        waiter.set_result(ok)


def disconnected(cycle):
    cycle.disconnected()


def _address(text):
    """("ip", port) from "ip:port" or "[v6]:port"; None if unknown. Remembered: the server's
    address is the same for every request, a client's for every request of its connection."""
    address = _addresses.get(text)
    if address is not None:
        return address
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit():
        return None
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if len(_addresses) >= 4096:
        _addresses.clear()
    address = _addresses[text] = (host, int(port))
    return address


_addresses = {}
