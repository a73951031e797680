"""The two responses most endpoints produce, written without building a Response object: a
``JSONResponse`` of plain data, and the JSON bytes of FastAPI's ``dump_json`` path in a
``Response(media_type="application/json")``. Byte for byte what Starlette writes (its render:
``json.dumps(ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":"))``, then
``content-length`` and ``content-type``); checked against the installed Starlette at import, and
not used if it writes anything else."""
from starlette.responses import JSONResponse, Response

from .._compact_json import encode as _encode
from .._contract import Body, new


def json_message(status, content):
    """The runtime's message for ``JSONResponse(content, status_code=status)`` of plain JSON
    data."""
    return bytes_message(status, _encode(content).encode("utf-8"))


# The length headers of bodies under 1 KB, each made on its first use and kept: an app's
# responses have a few lengths, and all 1,024 made at once took 100 KB of every server.
_LENGTHS = [None] * 1024


def bytes_message(status, body):
    """The runtime's message for ``Response(body, media_type="application/json", status_code=status)``."""
    size = len(body)
    if size < 1024:
        length = _LENGTHS[size]
        if length is None:
            length = _LENGTHS[size] = (b"content-length", str(size).encode("latin-1"))
    else:
        length = (b"content-length", str(size).encode("latin-1"))
    return new(Body, (status, (length, (b"content-type", b"application/json")), body, False, None))


def _agrees_with_starlette():
    sample = {"text": "café ☕ \"quoted\"\n\t\u0001", "small": 1e-07, "big": 1e16, "int": 2**70,
              "list": [1, 2.5, None, True, False], "nested": {"": []}}
    try:
        response = JSONResponse(sample, status_code=201)
        raw = Response(content=b'{"a":1}', media_type="application/json")
    except Exception:  # noqa: BLE001 - a Starlette that cannot render the sample: no fast path
        return False
    return ((response.status_code, response.raw_headers, response.body) == _as_starlette(json_message(201, sample))
            and (raw.status_code, raw.raw_headers, raw.body) == _as_starlette(bytes_message(200, b'{"a":1}')))


def _as_starlette(message):
    """A message's status, headers and body, the headers as a list as Starlette keeps them."""
    return message.status, list(message.headers), message.body


AVAILABLE = _agrees_with_starlette()
