"""The event a Python function gets is built by the runtime; it must be the event
``apus.functions.event.make_event`` (the reference, which the app's own ASGI path uses) builds
from the same request bytes: the same keys, values and order."""
import json
import os
import re
import sys
import types

import pytest

from functions_support import call_json, serve, write_tree

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))
from apus.functions import event as events  # noqa: E402

HANDLER = """
def handler(event):
    return {"event": event, "keys": list(event), "same_params": event["params"] is event["path_params"]}
"""
UPLOAD = """
def handler(event):
    return {"got": len(event["body"] or "")}
"""
ENV = {"K": {"value": "v", "is_secret": True}, "PLAIN": "p"}
METHODS = '{"invoke": {"methods": ["GET", "POST", "PUT", "DELETE"]}}'


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = write_tree(tmp_path_factory.mktemp("events"), {"ev/[id].py": HANDLER, "ev/fn.env.json": json.dumps(ENV),
                                                                    "ev/fn.config.json": METHODS,
                                                                    "small/post.upload.py": UPLOAD,
                                                                    "small/fn.config.json": '{"max_body_bytes": 16}'})
    server = serve(root)
    yield server
    server.stop()


def exchange(server, method, target, headers, body=b""):
    """Sends one request as raw bytes; the handler's JSON."""
    head = f"{method} {target} HTTP/1.1\r\n".encode() + b"Host: t\r\n"
    for name, value in headers:
        head += name + b": " + value + b"\r\n"
    if body:
        head += b"Content-Length: " + str(len(body)).encode() + b"\r\n"
    with server.connect() as sock:
        sock.sendall(head + b"Connection: close\r\n\r\n" + body)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    status_line, _, rest = received.partition(b"\r\n")
    assert b" 200 " in status_line, received
    return json.loads(rest.partition(b"\r\n\r\n")[2])


def reference(server_event, method, path, raw_path, query, headers, body, params):
    """make_event's event for the same request, with the served event's id and ts."""
    # A header value reaches the app without the whitespace around it (RFC 9112 5.1).
    sent = [(b"host", b"t")] + [(name.lower(), value.strip(b" \t")) for name, value in headers]
    if body:
        sent.append((b"content-length", str(len(body)).encode()))
    sent.append((b"connection", b"close"))
    context = dict(server_event["context"])
    context.pop("request_id")
    function = types.SimpleNamespace(context=context, env=server_event["env"])
    expected = events.make_event(method, path, raw_path, query, sent, body, params, "127.0.0.1:1", function)
    expected["id"] = server_event["id"]
    expected["context"]["request_id"] = server_event["id"]
    expected["ts"] = server_event["ts"]
    return json.loads(json.dumps(expected))


CASES = [
    ("GET", "/ev/caf%C3%A9", "a=1&a=2&flag&b=%20x+y&e=%C3%A9&bad=%ZZ&f2&f2=v&=empty",
     [(b"X-Two", b"1"), (b"x-two", b"2"), (b"Cookie", b"sid=s1; theme=dark"), (b"Cookie", b" sid=s2 "),
      (b"User-Agent", b"one"), (b"User-Agent", b"two"), (b"X-Latin", b"caf\xe9")], b""),
    ("POST", "/ev/7", "", [(b"User-Agent", b"tester"), (b"Cookie", b"session_id=abc")], "héllo body".encode()),
    ("PUT", "/ev/7", "x", [], b"\xff\xfe\x00binary"),
    ("DELETE", "/ev/x%20y", "", [(b"Cookie", b"novalue; =x; a=b=c")], b""),
]


@pytest.mark.parametrize("method,raw_path,query,headers,body", CASES)
def test_a_python_functions_event_is_make_events(server, method, raw_path, query, headers, body):
    target = raw_path + ("?" + query if query else "")
    answer = exchange(server, method, target, headers, body)
    served = answer["event"]
    assert served["env"] == {"K": "v", "PLAIN": "p"}
    assert answer["same_params"] is True
    from urllib.parse import unquote
    path = unquote(raw_path)
    params = {"id": path.rsplit("/", 1)[1]}
    expected = reference(served, method, path, raw_path, query, headers, body, params)
    assert re.fullmatch(r"req-\d{13}-\d+-\d{6}", served["id"]), served["id"]  # FastFN's shape
    assert served["client"]["ip"] == "127.0.0.1"
    served["client"]["ip"] = expected["client"]["ip"]
    assert served == expected
    assert answer["keys"] == list(expected)


def test_a_body_over_a_python_functions_max_body_bytes_is_413(server):
    assert call_json(server, "/small/upload", method="POST", body="x" * 16) == (200, {"got": 16})
    assert call_json(server, "/small/upload", method="POST", body="x" * 17) == (413, {"error": "payload too large"})


def test_the_apps_own_asgi_path_gives_the_same_event(tmp_path):
    """The functions app served by another ASGI server (here Starlette's in-memory TestClient)
    runs a Python function through its endpoint, whose event ``make_event`` builds."""
    from starlette.testclient import TestClient
    from apus.functions import load

    root = write_tree(tmp_path, {"ev/[id].py": HANDLER, "ev/fn.env.json": json.dumps(ENV), "ev/fn.config.json": METHODS,
                                 "small/post.upload.py": UPLOAD, "small/fn.config.json": '{"max_body_bytes": 16}'})
    client = TestClient(load(str(root)).app)
    answer = client.post("/ev/7?a=1&a=2&flag", content=b"hi", headers={"Cookie": "sid=s1"}).json()
    event = answer["event"]
    assert answer["same_params"] is True and event["params"] == {"id": "7"}
    assert event["query"] == {"a": ["1", "2"], "flag": True} and event["body"] == "hi"
    assert event["session"]["id"] == "s1" and event["env"] == {"K": "v", "PLAIN": "p"}
    assert event["context"]["request_id"] == event["id"]
    refused = client.post("/small/upload", content=b"x" * 17)
    assert (refused.status_code, refused.json()) == (413, {"error": "payload too large"})


def test_the_first_parameter_is_the_event_whatever_its_name(tmp_path):
    """As FastFN calls a handler: its first parameter gets the event, named `event` or not,
    unannotated or annotated as a mapping; a parameter typed otherwise makes a typed handler."""
    root = write_tree(tmp_path, {
        "underscore.py": "def handler(_event):\n    return {'method': _event['method']}\n",
        "request.py": "def handler(req: dict, context=None):\n    return {'query': req['query']}\n",
        "stringly.py": "from __future__ import annotations\n\ndef handler(e: dict[str, object]):\n    return {'id': e['id'] != ''}\n",
        "typed.py": "def handler(count: int = 1):\n    return {'count': count}\n",
    })
    server = serve(root)
    try:
        assert call_json(server, "/underscore") == (200, {"method": "GET"})
        assert call_json(server, "/request?a=1") == (200, {"query": {"a": "1"}})
        assert call_json(server, "/stringly") == (200, {"id": True})
        assert call_json(server, "/typed?count=3") == (200, {"count": 3})
        assert call_json(server, "/typed?count=x")[0] == 422
    finally:
        server.stop()
