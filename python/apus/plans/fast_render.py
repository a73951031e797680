"""The two responses most endpoints produce, written without building a Response object: a
``JSONResponse`` of plain data, and the JSON bytes of FastAPI's ``dump_json`` path in a
``Response(media_type="application/json")``. Byte for byte what Starlette writes (its render:
``json.dumps(ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":"))``, then
``content-length`` and ``content-type``); checked against the installed Starlette at import, and
not used if it writes anything else."""
import json

from starlette.responses import JSONResponse, Response

_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":"))
_JSON = b"application/json"


def json_message(status, content):
    """The runtime's message for ``JSONResponse(content, status_code=status)``."""
    return bytes_message(status, _ENCODER.encode(content).encode("utf-8"))


def bytes_message(status, body):
    """The runtime's message for ``Response(body, media_type="application/json", status_code=status)``."""
    return ("body", status, [(b"content-length", str(len(body)).encode("latin-1")), (b"content-type", _JSON)],
            body, False, None)


def _agrees_with_starlette():
    sample = {"text": "café ☕ \"quoted\"\n\t\u0001", "small": 1e-07, "big": 1e16, "int": 2**70,
              "list": [1, 2.5, None, True, False], "nested": {"": []}}
    try:
        response = JSONResponse(sample, status_code=201)
        raw = Response(content=b'{"a":1}', media_type="application/json")
    except Exception:  # noqa: BLE001 - a Starlette that cannot render the sample: no fast path
        return False
    return ((response.status_code, response.raw_headers, response.body) == json_message(201, sample)[1:4]
            and (raw.status_code, raw.raw_headers, raw.body) == bytes_message(200, b'{"a":1}')[1:4])


AVAILABLE = _agrees_with_starlette()
