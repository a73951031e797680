"""A functions tree served without FastAPI: for an environment that has no FastAPI installed
(a tree of Node, PHP, Go and Rust functions needs none), the tree's app is built from these
classes instead of FastAPI's and Starlette's, with the same routes in the same order and the same
answers, from the standard library alone.

``PlainApp`` is an ASGI app with a FastAPI-like ``router.routes`` list of ``PlainRoute``s, so that
``apus.functions.app`` builds it as it builds a FastAPI app; ``route_entries`` gives the plan
compiler its rows (a ``worker`` row per function in another language, served by the runtime's
worker pools; the rest answered by this app). The responses are Starlette's, byte for byte, but
for files: served whole (no ``Range``), with Starlette's ``etag`` and ``last-modified``.

Not served without FastAPI: Python functions (they are FastAPI routes: the tree fails to load,
saying what to install), and the tree's ``/openapi.json`` and ``/docs``."""
import email.utils
import hashlib
import inspect
import mimetypes
import os
import re
from urllib.parse import quote

from .._compact_json import encode
from ..plans.rows import ANY_PATH, RouteEntry

_PARAMETER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(?::(str|int|float|uuid|path))?\}")
_CONVERTERS = {None: "[^/]+", "str": "[^/]+", "int": "[0-9]+", "float": r"[0-9]+(?:\.[0-9]+)?",
               "uuid": "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "path": ".*"}


class PlainAnswer:
    """An answer as Starlette's ``Response`` writes it: a body with ``content-length`` and, given
    a media type, ``content-type`` (with ``charset=utf-8`` for text)."""

    media_type = None

    def __init__(self, content=b"", status_code=200, headers=None, media_type=None):
        self.status_code = status_code
        self.body = content.encode() if isinstance(content, str) else bytes(content or b"")
        media_type = media_type or self.media_type
        self.raw_headers = [(name.lower().encode("latin-1"), str(value).encode("latin-1"))
                            for name, value in (headers or {}).items()]
        names = {name for name, _ in self.raw_headers}
        if b"content-length" not in names and not (status_code < 200 or status_code in (204, 304)):
            self.raw_headers.append((b"content-length", str(len(self.body)).encode()))
        if media_type is not None and b"content-type" not in names:
            if media_type.startswith("text/") and "charset=" not in media_type.lower():
                media_type += "; charset=utf-8"
            self.raw_headers.append((b"content-type", media_type.encode("latin-1")))

    async def __call__(self, scope, receive, send):
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        await send({"type": "http.response.body", "body": b"" if scope.get("method") == "HEAD" else self.body})


class JSONAnswer(PlainAnswer):
    media_type = "application/json"

    def __init__(self, content, status_code=200, headers=None):
        super().__init__(encode(content).encode("utf-8"), status_code, headers)


class RedirectAnswer(PlainAnswer):
    def __init__(self, url, status_code=307, headers=None):
        super().__init__(b"", status_code, headers)
        self.raw_headers.append((b"location", quote(str(url), safe=":/%#?=@[]!$&'()*+,;").encode("latin-1")))


class FileAnswer(PlainAnswer):
    """A file whole, headed as Starlette's ``FileResponse`` heads it (``content-type`` guessed from
    the name, ``content-length``, ``last-modified``, ``etag``); read when sent."""

    def __init__(self, path, status_code=200):
        self.path = path
        self.status_code = status_code
        status = os.stat(path)
        media_type = mimetypes.guess_type(path)[0] or "text/plain"
        if media_type.startswith("text/"):
            media_type += "; charset=utf-8"
        etag = hashlib.md5(f"{status.st_mtime}-{status.st_size}".encode(), usedforsecurity=False).hexdigest()
        self.raw_headers = [(b"content-type", media_type.encode("latin-1")),
                            (b"content-length", str(status.st_size).encode()),
                            (b"last-modified", email.utils.formatdate(status.st_mtime, usegmt=True).encode()),
                            (b"etag", f'"{etag}"'.encode())]

    async def __call__(self, scope, receive, send):
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        if scope.get("method") == "HEAD":
            return await send({"type": "http.response.body", "body": b""})
        with open(self.path, "rb") as file:
            while True:
                chunk = file.read(64 * 1024)
                more = len(chunk) == 64 * 1024
                await send({"type": "http.response.body", "body": chunk, "more_body": more})
                if not more:
                    break


class _HeaderFields:
    def __init__(self, raw):
        self._values = {}
        for name, value in raw:
            self._values.setdefault(name.decode("latin-1").lower(), value.decode("latin-1"))

    def get(self, name, default=None):
        return self._values.get(name.lower(), default)


class _PathOnly:
    def __init__(self, path):
        self.path = path


class RequestView:
    """What the tree's endpoints read of a request: its method, path and headers."""

    def __init__(self, scope):
        self.scope = scope
        self.method = scope["method"]
        self.url = _PathOnly(scope["path"])
        self.headers = _HeaderFields(scope.get("headers", ()))


class PlainRoute:
    """A route as ``apus.functions.app`` makes them (``APIRoute``'s constructor, the options it
    does not need ignored): a path template, its methods, an endpoint that returns a response."""

    def __init__(self, path, endpoint, methods=None, name=None, include_in_schema=True, **_options):
        self.path = path
        self.endpoint = endpoint
        self.methods = {method.upper() for method in (methods or ["GET"])}
        self.name = name
        self.include_in_schema = include_in_schema
        self._pattern = re.compile("^" + _template_pattern(path) + "$")
        self._takes_request = bool(inspect.signature(endpoint).parameters)

    def matches_path(self, path):
        return self._pattern.match(path) is not None

    async def respond(self, scope, receive, send):
        response = self.endpoint(RequestView(scope)) if self._takes_request else self.endpoint()
        if inspect.isawaitable(response):
            response = await response
        await response(scope, receive, send)


class _RouteList:
    def __init__(self):
        self.routes = []
        self.default = None


class PlainApp:
    """The tree's routes, matched in order as Starlette's router matches them: the first route
    whose path and method match answers; a path matched only with other methods is a 405 (as
    FastAPI answers it); the rest goes to ``router.default``."""

    def __init__(self):
        self.router = _RouteList()
        self.openapi_schema = None

    async def __call__(self, scope, receive, send):
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    return await send({"type": "lifespan.shutdown.complete"})
        if scope["type"] != "http":
            return await send({"type": "websocket.close", "code": 1000})
        partial = None
        for route in self.router.routes:
            if route.matches_path(scope["path"]):
                if scope["method"] in route.methods:
                    return await route.respond(scope, receive, send)
                partial = partial or route
        if partial is not None:
            # FastAPI's answer to Starlette's 405 (the first route of the path, its methods).
            response = JSONAnswer({"detail": "Method Not Allowed"}, 405, {"allow": ", ".join(partial.methods)})
            return await response(scope, receive, send)
        await self.router.default(scope, receive, send)

    def route_entries(self):
        """The plan compiler's rows, in the routes' order: a function in another language is a
        ``worker`` row; every other route, and any path no route has, is answered here."""
        entries = []
        for route in self.router.routes:
            worker = getattr(route, "apus_worker", None)
            if worker is not None:
                entries.append(RouteEntry(route.methods, route.path, "worker", where=worker, name=route.name,
                                          worker=worker))
            else:
                entries.append(RouteEntry(route.methods, route.path, "asgi", reason=_WITHOUT_FASTAPI, name=route.name))
        entries.append(RouteEntry(None, ANY_PATH, "asgi", reason=_WITHOUT_FASTAPI))
        return entries


_WITHOUT_FASTAPI = "the tree's own router (no FastAPI installed)"


def _template_pattern(path):
    pattern, end = "", 0
    for match in _PARAMETER.finditer(path):
        pattern += re.escape(path[end:match.start()]) + f"(?P<{match.group(1)}>{_CONVERTERS[match.group(2)]})"
        end = match.end()
    return pattern + re.escape(path[end:])
