"""Response classes. Each renders its body once, at construction; subclasses override only
``render`` (and ``media_type``), as in Starlette."""
import orjson


class Response:
    __slots__ = ("status_code", "body", "raw_headers", "background")
    media_type = None
    charset = "utf-8"

    def __init__(self, content=None, status_code=200, headers=None, media_type=None, background=None):
        self.status_code = status_code
        self.body = self.render(content)
        self.background = background
        media_type = media_type if media_type is not None else self.media_type
        raw = [(k.lower(), str(v)) for k, v in (headers or {}).items()]
        if media_type is not None and not any(k == "content-type" for k, _ in raw):
            if media_type.startswith("text/") and "charset=" not in media_type.lower():
                media_type += "; charset=" + self.charset
            raw.append(("content-type", media_type))
        # (name, value) pairs; content-length is added by the server.
        self.raw_headers = raw

    def render(self, content):
        if content is None:
            return b""
        if isinstance(content, (bytes, memoryview)):
            return bytes(content)
        return content.encode(self.charset)

    @property
    def headers(self):
        return dict(self.raw_headers)

    def set_header(self, name, value):
        name = name.lower()
        self.raw_headers = [(k, v) for k, v in self.raw_headers if k != name] + [(name, str(value))]


class JSONResponse(Response):
    __slots__ = ()
    media_type = "application/json"

    def render(self, content):
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)


class PlainTextResponse(Response):
    __slots__ = ()
    media_type = "text/plain"


class HTMLResponse(Response):
    __slots__ = ()
    media_type = "text/html"
