"""The event a function gets, and what becomes of what it returns (FastFN's contract).

``event``: ``id``, ``ts`` (epoch ms), ``method``, ``path``, ``raw_path`` (with the query),
``query`` (a value per name; a list for a repeated name; ``true`` for a bare name), ``params``
(and ``path_params``, the same), ``headers`` (lower-case names; a list for a repeated one),
``body`` (the text, or None without a body; a body that is not UTF-8 is base64 with
``is_base64: true``), ``session`` (``{id, raw, cookies}`` from the Cookie header, None without
one), ``client`` (``{ip, ua}``), ``context`` (``request_id``, ``function_name``, ``runtime``,
``version``, ``timeout_ms``, ``max_concurrency``, ``max_body_bytes``, ``worker_pool``) and
``env`` (``fn.env.json``).

A result ``{status, headers, body}`` (or ``statusCode``; ``is_base64`` with ``body_base64``, or
``isBase64Encoded`` with a base64 ``body``) is the response; a tuple ``(body, status, headers)``
too; a ``bytes`` body is sent as it is. Anything else is shorthand: a string is text (HTML if it
looks like HTML), None an empty 200, any other value JSON."""
import base64
import itertools
import os
import time
from urllib.parse import unquote_plus

from .._compact_json import encode as _encode_json

ENVELOPE_KEYS = frozenset(("status", "statusCode", "headers", "body", "is_base64", "isBase64Encoded", "body_base64"))
SESSION_COOKIES = ("session_id", "sessionid", "sid")
_PID = os.getpid()
# FastFN's ids end in six digits; a counter keeps them distinct within a millisecond.
_SEQUENCE = itertools.count()
_JSON_HEADERS = [("content-type", "application/json")]


_PID_PART = f"-{_PID}-"


def request_id(now_ms):
    # str(1000000 + n)[1:] is n in six digits, without a format specification to parse.
    return "req-" + str(now_ms) + _PID_PART + str(1000000 + next(_SEQUENCE) % 1000000)[1:]


def query_values(query_string):
    """``a=1&a=2&flag`` → ``{"a": ["1", "2"], "flag": True}``."""
    values = {}
    for part in query_string.split("&"):
        if not part:
            continue
        name, equals, value = part.partition("=")
        name = unquote_plus(name)
        value = unquote_plus(value) if equals else True
        if name in values:
            # In a list, a bare name is an empty value.
            current = values[name]
            listed = current if isinstance(current, list) else ["" if current is True else current]
            values[name] = listed + ["" if value is True else value]
        else:
            values[name] = value
    return values


def header_values(headers):
    """``headers``: ASGI's (bytes, bytes) pairs, names already lower-case."""
    values = {}
    for raw_name, raw_value in headers:
        name = raw_name.decode("latin-1")
        value = raw_value.decode("latin-1")
        if name in values:
            current = values[name]
            values[name] = current + [value] if isinstance(current, list) else [current, value]
        else:
            values[name] = value
    return values


def session_of(cookie_header):
    if cookie_header is None:
        return None
    if isinstance(cookie_header, list):
        cookie_header = "; ".join(cookie_header)
    cookies = {}
    for part in cookie_header.split(";"):
        name, equals, value = part.partition("=")
        if equals and name.strip():
            cookies[name.strip()] = value.strip()
    session_id = next((cookies[name] for name in SESSION_COOKIES if name in cookies), None)
    return {"id": session_id, "raw": cookie_header, "cookies": cookies}


def make_event(method, path, raw_path, query_string, headers, body, params, client, function):
    """The event of one request to ``function`` (a ``Function``). ``raw_path`` and
    ``query_string`` are str; ``headers`` are (bytes, bytes) pairs; ``body`` is bytes."""
    header_map = header_values(headers)
    now_ms = time.time_ns() // 1_000_000
    rid = request_id(now_ms)
    event = {
        "id": rid,
        "ts": now_ms,
        "method": method,
        "path": path,
        "raw_path": raw_path + ("?" + query_string if query_string else ""),
        "query": query_values(query_string) if query_string else {},
        "params": params,
        "path_params": params,
        "headers": header_map,
        "body": None,
        "session": session_of(header_map["cookie"]) if "cookie" in header_map else None,
        "client": {"ip": client.rpartition(":")[0] if ":" in client else client, "ua": header_map.get("user-agent")},
        "context": {"request_id": rid, **function.context},
        "env": {**function.env},
    }
    if body:
        try:
            event["body"] = body.decode("utf-8")
        except UnicodeDecodeError:
            event["body"] = base64.b64encode(body).decode("ascii")
            event["is_base64"] = True
    return event


def _looks_like_html(text):
    head = text.lstrip()[:64].lower()
    return head.startswith(("<!doctype html", "<html")) or "<body" in text or "</html>" in text


def _text_type(text):
    return "text/html; charset=utf-8" if _looks_like_html(text) else "text/plain; charset=utf-8"


def response_parts(result):
    """(status, [(name, value)], body bytes) for what a handler returned."""
    if isinstance(result, dict):  # the usual answer, first
        if ENVELOPE_KEYS.isdisjoint(result):
            return 200, _JSON_HEADERS, _json(result)
        return _envelope(result)
    if isinstance(result, tuple) and 1 <= len(result) <= 3:
        body, status, headers = (list(result) + [200, {}])[:3]
        return _envelope({"body": body, "status": status, "headers": headers or {}})
    if result is None:
        return 200, [], b""
    if isinstance(result, str):
        return 200, [("content-type", _text_type(result))], result.encode()
    if isinstance(result, (bytes, bytearray, memoryview)):
        return 200, [("content-type", "application/octet-stream")], bytes(result)
    return 200, [("content-type", "application/json")], _json(result)


def _envelope(result):
    status = result.get("status", result.get("statusCode", 200))
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        raise TypeError(f"the response status must be an integer from 100 to 599, not {status!r}")
    headers = result.get("headers") or {}
    if not isinstance(headers, dict):
        raise TypeError("the response headers must be an object")
    pairs = []
    for name, value in headers.items():
        for one in value if isinstance(value, list) else [value]:
            pairs.append((str(name).lower(), str(one)))
    names = {name for name, _ in pairs}
    if result.get("is_base64") and "body_base64" in result:
        return status, pairs, base64.b64decode(result["body_base64"])
    body = result.get("body")
    if result.get("isBase64Encoded") and isinstance(body, str):
        return status, pairs, base64.b64decode(body)
    if body is None:
        return status, pairs, b""
    if isinstance(body, (bytes, bytearray, memoryview)):
        return status, pairs, bytes(body)
    if isinstance(body, str):
        return status, pairs, body.encode()
    if "content-type" not in names:
        pairs.append(("content-type", "application/json"))
    return status, pairs, _json(body)


def _json(value):
    """Compact UTF-8 JSON, as Starlette's JSONResponse writes it (NaN is an error)."""
    return _encode_json(value).encode()


# What a client is told of a failure outside `apus dev` (the log has the rest): the same words
# for every language (the worker pools' own answers, in Swift, use them too).
INTERNAL_ERROR = "internal server error"
UNAVAILABLE = "function unavailable"


def error_parts(status, message):
    """A FastFN error answer: ``{"error": message}``."""
    return status, [("content-type", "application/json")], _json({"error": message})
