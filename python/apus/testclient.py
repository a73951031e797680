"""Starlette's TestClient, with every request sent as real HTTP to Apus serving the test's own
app object in this process (on a loopback port of the runtime's shared loop).

The interface and behaviour are Starlette's: ``with`` runs the lifespan (and a client that is
never entered works too), ``raise_server_exceptions`` raises the app's exception in the test,
``base_url``, ``root_path``, ``client``, cookies, headers, ``follow_redirects`` and ``app_state``
work as there. As with Starlette's client, a response is complete only once the app has
returned, background tasks included.

The values a test client puts in the scope but HTTP cannot carry (the scheme of the test URL,
``root_path``, the client's address) travel in one ``apus-testclient`` header, which the server
reads only for a TestClient's app and removes before the app sees the request.

``websocket_connect`` opens a real WebSocket to the same server (``_testclient_websocket``),
with Starlette's session interface."""
import asyncio
import weakref
from urllib.parse import quote

import starlette.testclient as _starlette_testclient
from starlette.testclient import TestClient as _StarletteTestClient
from starlette.testclient import _Upgrade

from . import _asyncio_host
from ._lifespan import Lifespan
from ._native import serve
from ._testclient_websocket import ApusWebSocketSession

__all__ = ["TestClient"]

# The HTTP client Starlette's TestClient is built on: `httpx2` when it is installed (Starlette
# 1.x prefers it, and warns that `httpx` is deprecated), else `httpx`. The transport must be of
# the same package, or the client refuses its URLs and requests.
httpx = _starlette_testclient.httpx


class _ApusTransport(httpx.BaseTransport):
    """Sends each request to the in-process Apus server hosting the app (started on first use)."""

    def __init__(self, app, app_state, raise_server_exceptions, root_path, client):
        self.app = app
        self.app_state = app_state
        self.raise_server_exceptions = raise_server_exceptions
        self.root_path = root_path
        self.client = client
        self._server = None
        self._finalizer = None
        self._errors = []
        self._http = httpx.HTTPTransport()

    def start(self):
        if self._server is None:
            self._server = serve(self.app, port=0, root_path=self.root_path, on_exception=self._errors.append,
                                 testing=True, state=self.app_state)
            # A client the test never closes is closed when it is collected: its pooled
            # connections first (an unclosed socket would warn), then its server.
            self._finalizer = weakref.finalize(self, _shut_down, self._http, self._server)
        return self._server

    def handle_request(self, request):
        url = request.url
        server = self.start()
        port = url.port or {"http": 80, "https": 443, "ws": 80, "wss": 443}.get(url.scheme, 80)
        headers = request.headers.copy()
        headers["apus-testclient"] = " ".join((
            url.scheme, quote(self.root_path, safe=""), quote(str(self.client[0]), safe=""), str(self.client[1]),
            quote(url.host, safe=""), str(port)))
        if url.scheme in ("ws", "wss"):
            self._errors.clear()
            raise _Upgrade(ApusWebSocketSession(
                server.host, server.port, url.raw_path.decode("latin-1"), headers.raw, self._errors,
                self.raise_server_exceptions))
        extensions = dict(request.extensions)
        extensions["timeout"] = {"connect": None, "read": None, "write": None, "pool": None}
        forwarded = httpx.Request(
            request.method, url.copy_with(scheme="http", host=server.host, port=server.port),
            headers=headers, stream=request.stream, extensions=extensions)
        self._errors.clear()
        response = self._http.handle_request(forwarded)
        if self._errors:
            error = self._errors[0]
            self._errors.clear()
            if self.raise_server_exceptions:
                response.close()
                raise error
        return response

    def close(self):
        if self._finalizer is not None:
            self._finalizer()
        else:
            self._http.close()
        self._server = None


def _shut_down(http, server):
    http.close()
    server.stop()


class TestClient(_StarletteTestClient):
    __test__ = False

    def __init__(self, app, *args, **kwargs):
        super().__init__(app, *args, **kwargs)
        starlette_transport = self._transport
        self._transport = _ApusTransport(
            self.app, self.app_state, starlette_transport.raise_server_exceptions, starlette_transport.root_path,
            getattr(starlette_transport, "client", ("testclient", 50000)))
        self._lifespan = None

    def __enter__(self):
        self._transport.start()
        lifespan = Lifespan(self.app, "on", state=self.app_state)
        _run(lifespan.startup())
        self._lifespan = lifespan
        return self

    def __exit__(self, *exc_info):
        lifespan, self._lifespan = self._lifespan, None
        if lifespan is not None:
            _run(lifespan.shutdown())

    def close(self):
        super().close()
        self._transport.close()


def _run(coroutine):
    """Runs a coroutine on the runtime's asyncio loop and waits for it, from the test's thread."""
    return asyncio.run_coroutine_threadsafe(coroutine, _asyncio_host.running_loop()).result()
