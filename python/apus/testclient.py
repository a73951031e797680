"""TestClient: requests to an app served by the real runtime, in this process, on a loopback
port (no ASGI emulation: what the test sees is what a client sees). As with FastAPI's own
TestClient, an exception a handler does not handle is raised again in the test
(``raise_server_exceptions=False`` returns the 500 instead). Needs httpx.

    client = TestClient(app)
    assert client.get("/items/1").json() == {...}
"""
import httpx

from ._native import serve


class TestClient:
    __test__ = False  # not a pytest test class

    def __init__(self, app, base_url="http://testserver", raise_server_exceptions=True,
                 follow_redirects=True, headers=None):
        self.app = app
        self.raise_server_exceptions = raise_server_exceptions
        self._errors = []
        self.base_url = base_url
        self._follow_redirects = follow_redirects
        self._headers = headers or {}
        self._server = None
        self._client = None

    def _ensure_started(self):
        if self._server is None:
            # Handler exceptions are recorded before their 500 is sent, so the request that
            # caused one finds it here when its response arrives.
            self._server = serve(self.app, port=0, on_exception=self._errors.append)
            host = httpx.URL(self.base_url).netloc.decode()
            # Requests go to the loopback port but carry the test host, as FastAPI's client does.
            self._client = httpx.Client(
                base_url=self._server.url, follow_redirects=self._follow_redirects,
                headers={"host": host, **self._headers})
        return self._client

    def request(self, method, url, **kwargs):
        response = self._ensure_started().request(method, url, **kwargs)
        if self._errors:
            error = self._errors.pop(0)
            self._errors.clear()
            if self.raise_server_exceptions:
                raise error
        return response

    def get(self, url, **kwargs):
        return self.request("GET", url, **kwargs)

    def post(self, url, **kwargs):
        return self.request("POST", url, **kwargs)

    def put(self, url, **kwargs):
        return self.request("PUT", url, **kwargs)

    def patch(self, url, **kwargs):
        return self.request("PATCH", url, **kwargs)

    def delete(self, url, **kwargs):
        return self.request("DELETE", url, **kwargs)

    def options(self, url, **kwargs):
        return self.request("OPTIONS", url, **kwargs)

    def head(self, url, **kwargs):
        return self.request("HEAD", url, **kwargs)

    def close(self):
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self):
        self._ensure_started()
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass
