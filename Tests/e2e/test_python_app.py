"""A FastAPI-style app served by the embedded interpreter, over real sockets."""
import asyncio
import gc
import json
import subprocess
import threading
import time
import urllib.error
import urllib.request

import pytest

from conftest import APPS, APUS_BIN, PROJECT_VENV


@pytest.fixture(scope="module")
def basic():
    from conftest import ApusServer
    server = ApusServer("basic:app", "--app-dir", APPS, "--port", "0", "--no-access-log")
    yield server
    server.stop()


def call(server, path, method="GET", body=None, headers=None):
    request = urllib.request.Request(server.url(path), method=method, data=body, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def test_sync_and_async_handlers(basic):
    assert json.loads(call(basic, "/sync")[2]) == {"kind": "sync"}
    assert json.loads(call(basic, "/async")[2]) == {"kind": "async"}
    assert json.loads(call(basic, "/async-awaits")[2]) == {"gathered": ["a", "b"]}


def test_typed_path_parameters(basic):
    status, _, body = call(basic, "/types/7/2.5/hello/true")
    assert status == 200 and json.loads(body) == {"i": 7, "f": 2.5, "s": "hello", "b": True}
    assert json.loads(call(basic, "/types/-3/1/x/0")[2]) == {"i": -3, "f": 1.0, "s": "x", "b": False}


def test_invalid_path_parameter_is_422_like_fastapi(basic):
    status, headers, body = call(basic, "/types/x/2.5/hello/true")
    assert status == 422 and headers["content-type"] == "application/json"
    assert json.loads(body) == {"detail": [{
        "type": "int_parsing", "loc": ["path", "i"],
        "msg": "Input should be a valid integer, unable to parse string as an integer", "input": "x"}]}


def test_query_parameters_with_defaults(basic):
    assert json.loads(call(basic, "/query?a=1")[2]) == {"a": 1, "b": "default", "c": None, "flag": False}
    assert json.loads(call(basic, "/query?a=2&b=x+y%21&c=0.5&flag=yes")[2]) == {"a": 2, "b": "x y!", "c": 0.5, "flag": True}
    assert json.loads(call(basic, "/query?a=1&a=5")[2])["a"] == 5  # the last value wins
    status, _, body = call(basic, "/query")
    assert status == 422
    assert json.loads(body) == {"detail": [{"type": "missing", "loc": ["query", "a"], "msg": "Field required", "input": None}]}


@pytest.mark.parametrize("path,content_type,expected", [
    ("/return/dict", "application/json", b'{"x":1,"nested":{"y":[1,2.5,null,true]}}'),
    ("/return/list", "application/json", b'[1,"two",{"three":3}]'),
    ("/return/str", "application/json", b'"hello"'),
    ("/return/int", "application/json", b"42"),
    ("/return/none", "application/json", b"null"),
    ("/return/model", "application/json", b'{"name":"Widget","price":9.99,"tags":["a","b"]}'),
    ("/return/plain", "text/plain; charset=utf-8", b"plain text"),
    ("/return/html", "text/html; charset=utf-8", b"<b>bold</b>"),
])
def test_return_types(basic, path, content_type, expected):
    status, headers, body = call(basic, path)
    assert (status, headers["content-type"], body) == (200, content_type, expected)


def test_response_objects_keep_status_and_headers(basic):
    status, headers, body = call(basic, "/return/response")
    assert status == 200 and body == b"raw bytes"
    assert headers["content-type"] == "application/octet-stream" and headers["x-custom"] == "yes"
    status, _, body = call(basic, "/return/json-response")
    assert status == 201 and json.loads(body) == {"created": True}


def test_pydantic_body(basic):
    payload = json.dumps({"name": "Widget", "price": 9.99, "tags": ["a", "b"]}).encode()
    status, _, body = call(basic, "/items", "POST", payload, {"content-type": "application/json"})
    assert status == 200 and json.loads(body) == {"name": "Widget", "price": 9.99, "tags": ["a", "b"]}
    status, _, body = call(basic, "/items/async", "POST", payload, {"content-type": "application/json"})
    assert status == 200 and json.loads(body) == {"received": "Widget"}
    status, _, body = call(basic, "/items", "POST", b'{"name": "Widget"}', {"content-type": "application/json"})
    assert status == 422
    assert json.loads(body)["detail"][0]["loc"] == ["body", "price"]


def test_http_exception(basic):
    status, headers, body = call(basic, "/not-found")
    assert status == 404 and json.loads(body) == {"detail": "Nothing here"} and headers["x-reason"] == "missing"


def test_declaration_order(basic):
    assert json.loads(call(basic, "/users/me")[2]) == {"user": "me"}
    assert json.loads(call(basic, "/users/42")[2]) == {"user": "42"}


def test_redirect_slashes_and_405(basic):
    status, headers, _ = call(basic, "/sync/")
    assert status == 200  # urllib follows the 307
    status, headers, body = call(basic, "/sync", "POST", b"")
    assert status == 405 and headers["allow"] == "GET"


def test_exception_is_500_with_traceback_while_a_concurrent_request_succeeds(basic):
    results = {}

    def slow_ok():
        results["ok"] = call(basic, "/sleep?seconds=0.3")

    thread = threading.Thread(target=slow_ok)
    thread.start()
    time.sleep(0.05)
    status, headers, body = call(basic, "/boom")
    assert status == 500 and body == b"Internal Server Error"
    status, _, _ = call(basic, "/async-boom")
    assert status == 500
    thread.join()
    assert results["ok"][0] == 200
    time.sleep(0.2)
    log = "\n".join(basic.lines)
    assert "Traceback (most recent call last)" in log and "ValueError: kaboom" in log
    assert "RuntimeError: async kaboom" in log
    assert call(basic, "/sync")[0] == 200  # still serving


def test_blocking_sync_handlers_do_not_block_each_other(basic):
    """200 concurrent time.sleep(0.5) on 40 threads: FastAPI on uvicorn takes about 2.6 s."""
    started = time.monotonic()
    statuses = []

    def one():
        statuses.append(call(basic, "/sleep?seconds=0.5")[0])

    threads = [threading.Thread(target=one) for _ in range(200)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    assert statuses == [200] * 200
    assert elapsed < 3.5, elapsed


def test_thousand_concurrent_async_sleeps_take_about_a_second(basic):
    async def one(port):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /async-sleep?seconds=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = await reader.read()
        writer.close()
        return data.split(b" ", 2)[1]

    async def main():
        return await asyncio.gather(*(one(basic.port) for _ in range(1000)))

    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
    started = time.monotonic()
    statuses = asyncio.run(main())
    elapsed = time.monotonic() - started
    assert statuses == [b"200"] * 1000
    assert elapsed < 3.0, elapsed


def test_factory(start_app):
    server = start_app("factory:create_app", "--factory")
    assert json.loads(call(server, "/")[2]) == {"made_by": "factory"}


@pytest.mark.parametrize("target,expected", [
    ("broken_import:app", "ModuleNotFoundError: No module named 'does_not_exist'"),
    ("broken_syntax:app", "SyntaxError"),
    ("basic:nope", 'attribute "nope" not found in module "basic"'),
    ("no_such_module:app", 'could not import module "no_such_module"'),
])
def test_startup_errors_print_the_traceback_and_exit_1(target, expected):
    result = subprocess.run([APUS_BIN, "run", target, "--app-dir", APPS, "--port", "0"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 1
    assert expected in result.stderr


def test_response_class_and_status_code(basic):
    status, headers, body = call(basic, "/response-class")
    assert (status, headers["content-type"], body) == (200, "text/plain; charset=utf-8", b"plain via response_class")
    status, _, body = call(basic, "/created", "POST", b"")
    assert status == 201 and json.loads(body) == {"created": True}


def test_async_handler_awaits_an_httpx_call_to_another_server(basic, apus):
    """A real await on network I/O: the handler calls the Swift hello server through httpx."""
    status, _, body = call(basic, "/proxy?url=" + apus.url("/json"))
    assert status == 200 and json.loads(body) == {"status": 200, "body": {"message": "Hello, World!"}}
    # and the app itself, while the awaiting request holds its connection
    status, _, body = call(basic, "/proxy?url=" + basic.url("/sync"))
    assert json.loads(body) == {"status": 200, "body": {"kind": "sync"}}


def test_a_response_that_would_split_the_stream_is_refused(basic):
    status, headers, body = call(basic, "/header-injection")
    assert status == 500 and "set-cookie" not in headers and "x-evil" not in headers
    assert call(basic, "/bad-status")[0] == 500
    assert call(basic, "/sync")[0] == 200


# Bodies recorded from FastAPI 0.165 serving the same handler.
@pytest.mark.parametrize("body,content_type,expected", [
    (b"{bad", "application/json", {"detail": [{
        "type": "json_invalid", "loc": ["body", 1], "msg": "JSON decode error", "input": {},
        "ctx": {"error": "Expecting property name enclosed in double quotes"}}]}),
    (b"[]", "application/json", {"detail": [{
        "type": "model_attributes_type", "loc": ["body"],
        "msg": "Input should be a valid dictionary or object to extract fields from", "input": []}]}),
    (b"name=x", "application/x-www-form-urlencoded", {"detail": [{
        "type": "model_attributes_type", "loc": ["body"],
        "msg": "Input should be a valid dictionary or object to extract fields from", "input": "name=x"}]}),
])
def test_body_errors_match_fastapi(basic, body, content_type, expected):
    status, _, received = call(basic, "/items", "POST", body, {"content-type": content_type})
    assert status == 422 and json.loads(received) == expected


def test_json_body_with_a_json_suffix_content_type(basic):
    payload = b'{"name": "a", "price": 1}'
    status, _, body = call(basic, "/items", "POST", payload, {"content-type": "application/vnd.api+json"})
    assert status == 200 and json.loads(body) == {"name": "a", "price": 1.0, "tags": []}
    status, _, _ = call(basic, "/items", "POST", payload, {"content-type": "text/plain"})
    assert status == 422


def test_integers_beyond_64_bits(basic):
    status, _, body = call(basic, "/types/99999999999999999999999/1/x/true")
    assert status == 200 and body.startswith(b'{"i":99999999999999999999999,')


@pytest.mark.parametrize("args,expected,code", [
    (["basic:app", "--app-dir", "/nonexistent"], "--app-dir /nonexistent: no such directory", 1),
    (["--hello", "--port", "-1"], "--port must be between 0 and 65535", 2),
])
def test_startup_mistakes_are_one_clear_line(args, expected, code):
    result = subprocess.run([APUS_BIN, "run", *args], capture_output=True, text=True, timeout=30)
    assert result.returncode == code
    assert expected in result.stderr.splitlines()[0]


GC_APP = """
import gc
import os
from fastapi import FastAPI

THRESHOLD_AT_IMPORT = gc.get_threshold()[0]
if os.environ.get("GC_APP_DISABLES"):
    gc.disable()
app = FastAPI()


@app.get("/gc")
def collector():
    class Cycle:
        pass
    cycle = Cycle()
    cycle.me = cycle  # garbage only the collector can free
    del cycle
    return {"threshold_at_import": THRESHOLD_AT_IMPORT, "threshold": gc.get_threshold()[0], "enabled": gc.isenabled(),
            "frozen": gc.get_freeze_count(), "collected": gc.collect()}
"""


@pytest.mark.parametrize("app_disables", [False, True])
def test_start_up_runs_without_automatic_collections_and_freezes_what_it_made(tmp_path, app_disables):
    import os
    from conftest import ApusServer
    (tmp_path / "gc_app.py").write_text(GC_APP)
    env = {**os.environ, "VIRTUAL_ENV": PROJECT_VENV}
    if app_disables:
        env["GC_APP_DISABLES"] = "1"
    server = ApusServer("gc_app:app", "--app-dir", str(tmp_path), "--port", "0", "--no-access-log", env=env)
    try:
        status, _, body = call(server, "/gc")
        answer = json.loads(body)
        assert status == 200
        assert answer["threshold_at_import"] == 0  # no automatic collection during the import
        # thresholds back (the interpreter's default: 700 up to 3.12, 2000 from 3.13); the app's objects frozen
        assert answer["threshold"] == gc.get_threshold()[0] and answer["frozen"] > 10_000
        assert answer["enabled"] is not app_disables  # an app's own gc.disable() stands
        assert answer["collected"] >= 1  # an explicit collection still frees what requests make
    finally:
        server.stop()


PLAIN_ASGI_APP = """
import sys


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    body = b"fastapi imported" if "fastapi" in sys.modules else b"no fastapi"
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": body})
"""


def test_a_plain_asgi_app_runs_without_fastapi_being_imported_for_it(tmp_path):
    import os
    from conftest import ApusServer
    (tmp_path / "plain_asgi.py").write_text(PLAIN_ASGI_APP)
    env = {**os.environ, "VIRTUAL_ENV": PROJECT_VENV}
    server = ApusServer("plain_asgi:app", "--app-dir", str(tmp_path), "--port", "0", env=env)
    try:
        status, headers, body = call(server, "/anything")
        assert (status, body) == (200, b"no fastapi")
        assert any("not a FastAPI app" in line for line in server.lines)
    finally:
        server.stop()
