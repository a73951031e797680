"""The app `make run` serves: a router with a `yield` dependency and models, and /docs that works
with no network (its assets come from a PyPI package, served by the app)."""
import json
import os

import pytest

from conftest import ApusServer, read_response

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "examples")


@pytest.fixture(scope="module")
def example():
    server = ApusServer("app:app", "--app-dir", EXAMPLES, "--port", "0", "--no-access-log")
    yield server
    server.stop()


def request(server, method, path, body=None):
    data = b"" if body is None else json.dumps(body).encode()
    head = f"{method} {path} HTTP/1.1\r\nHost: example\r\nContent-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n"
    with server.connect() as sock:
        sock.sendall(head.encode() + data)
        return read_response(sock)


def test_todos_round_trip(example):
    status, _, body = request(example, "POST", "/todos/", {"title": "write tests"})
    assert status == 201
    created = json.loads(body)
    assert created == {"title": "write tests", "done": False, "id": created["id"]}
    assert request(example, "GET", f"/todos/{created['id']}")[2] == body
    assert request(example, "POST", "/todos/", {"title": ""})[0] == 422
    assert request(example, "DELETE", f"/todos/{created['id']}")[0] == 204
    assert request(example, "GET", f"/todos/{created['id']}")[0] == 404


def test_docs_work_offline(example):
    status, headers, body = request(example, "GET", "/docs")
    assert status == 200 and b"/static/swagger-ui-bundle.js" in body and b"cdn" not in body.lower()
    status, headers, body = request(example, "GET", "/static/swagger-ui-bundle.js")
    assert status == 200 and len(body) > 100_000
    status, _, body = request(example, "GET", "/redoc")
    assert status == 200 and b"/static/redoc.standalone.js" in body
    assert request(example, "GET", "/static/redoc.standalone.js")[0] == 200
    assert json.loads(request(example, "GET", "/openapi.json")[2])["info"]["title"] == "Apus example"
