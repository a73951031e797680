"""Native plans must be indistinguishable from the app's own ASGI path: the same requests to one
app served with plans and with `--no-plans` get byte-identical responses (but for `date`), and
the plans really served them (APUS_ROUTE_STATS)."""
import os
import subprocess
import time

import pytest

from conftest import APPS, APUS_BIN, PROJECT_VENV, ApusServer, planned_and_plain

FORM_BOUNDARY = "apusboundary"
MULTIPART = (
    f"--{FORM_BOUNDARY}\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\nalice\r\n"
    f"--{FORM_BOUNDARY}\r\nContent-Disposition: form-data; name=\"upload\"; filename=\"a.txt\"\r\n"
    f"Content-Type: text/plain\r\n\r\nhello file\r\n--{FORM_BOUNDARY}--\r\n").encode()


def get(path, headers=""):
    return f"GET {path} HTTP/1.1\r\nHost: test\r\n{headers}\r\n".encode()


def post(path, body, content_type="application/json", headers=""):
    if isinstance(body, str):
        body = body.encode()
    return (f"POST {path} HTTP/1.1\r\nHost: test\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\n{headers}\r\n").encode() + body


TOKEN = "X-Token: secret\r\n"
REQUESTS = [
    get("/private/things/3?q=x&skip=1", TOKEN), get("/events"), b"DELETE /events HTTP/1.1\r\nHost: t\r\n\r\n",
    get("/private/things/0", TOKEN), get("/events"),  # yield dependency sees the 404
    get("/private/things/3"), get("/private/things/3", "X-Token: wrong\r\n"),  # router dependency refuses
    get("/private/things/abc", TOKEN), get("/private/things/3?skip=x&limit=", TOKEN),
    get("/private/session", TOKEN), get("/events"),
    get("/params/5?q=a&q=b&size=2.5", "User-Agent: probe\r\nX-Values: 1\r\nX-Values: 2\r\nCookie: session_id=abc\r\n"),
    get("/params/0?size=11&size=x"), get("/params/x"), get("/params/7?size=1e3"),
    get("/filters?limit=5&order=desc"), get("/filters?limit=many"),
    post("/items", '{"name":"Widget","price":9.99,"tags":["a"]}'),
    post("/items", '{"name":"Widget","price":-1}'), post("/items", '{"name":'), post("/items", "[1,2]"),
    post("/items", "null"), post("/items", '{"name":"Widget","price":"9.5","extra":1}'), post("/items", "\ufeff{}"),
    post("/items", '{"name":"w","price":1}', content_type="text/plain"), post("/items", ""),
    post("/items", '{"name":"w","price":1}', content_type="application/vnd.api+json"),
    post("/embedded", '{"item":{"name":"a","price":2},"importance":3}'), post("/embedded", '{"item":{"name":"a"}}'),
    post("/form", MULTIPART, content_type=f"multipart/form-data; boundary={FORM_BOUNDARY}"),
    post("/form", "username=bob", content_type="application/x-www-form-urlencoded"),
    post("/form", "", content_type="application/x-www-form-urlencoded"),
    get("/response-param"), post("/background", ""), 0.2, get("/events"), post("/background-fails", ""),
    get("/stream"), get("/teapot"), get("/conflict"), get("/crash"),
    get("/me"), get("/me", "Authorization: Bearer alice\r\n"), get("/me", "Authorization: Bearer bob\r\n"),
    get("/basic", "Authorization: Basic YWxpY2U6cHc=\r\n"), get("/basic"),
    get("/floats"), get("/model-floats"), get("/openapi.json"), get("/docs"),
    get("/private/things/3/", TOKEN), get("/nowhere"), b"PUT /items HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n",
    b"HEAD /events HTTP/1.1\r\nHost: t\r\n\r\n",
]


def exchange(server, raw):
    with server.connect() as sock:
        sock.sendall(raw)
        if raw.startswith(b"HEAD"):
            data = sock.recv(65536)
            head = data.partition(b"\r\n\r\n")[0]
            # `date` may turn between two servers' answers.
            return b"\r\n".join(line for line in head.split(b"\r\n") if not line.startswith(b"date: ")), b""
        status, headers, body = read_chunked_or_length(sock)
        return status, headers, body


def read_chunked_or_length(sock):
    sock.settimeout(10)
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = [tuple(line.split(": ", 1)) for line in lines[1:]]
    names = {name.lower(): value for name, value in headers}
    if names.get("transfer-encoding") == "chunked":
        while not rest.endswith(b"0\r\n\r\n"):
            rest += sock.recv(65536)
    else:
        length = int(names.get("content-length", 0))
        while len(rest) < length:
            rest += sock.recv(65536)
    kept = [(n.lower(), v) for n, v in headers if n.lower() != "date"]
    return lines[0], kept, rest


ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def fastapi_environment(version):
    """The environment variables that make `apus run` use that FastAPI."""
    if version == "project":
        return dict(os.environ)
    venv = subprocess.run([os.path.join(ROOT, "scripts", "venv-fastapi-0115.sh")], capture_output=True, text=True,
                          timeout=600, check=True).stdout.strip()
    return dict(os.environ, VIRTUAL_ENV=os.path.join(ROOT, venv))


@pytest.fixture(scope="module", params=["project", "fastapi-0.115"])
def servers(request, tmp_path_factory):
    with planned_and_plain("planned:app", tmp_path_factory, env=fastapi_environment(request.param)) as servers:
        yield servers


def test_plans_answer_exactly_as_the_app(servers):
    planned, plain, stats = servers
    for raw in REQUESTS:
        if isinstance(raw, float):
            time.sleep(raw)  # background tasks run after the response: let them finish
            continue
        expected = exchange(plain, raw)
        got = exchange(planned, raw)
        assert got == expected, raw
    lines = stats.read_text().splitlines()
    native = [line for line in lines if not line.startswith("asgi ")]
    # Everything but the 404 and the two 405s (PUT, and HEAD: a FastAPI route does not add it)
    # ran as a plan; the app's router answers those.
    assert sorted(line for line in lines if line.startswith("asgi ")) == [
        "asgi GET /nowhere", "asgi HEAD /events", "asgi PUT /items"]
    assert len(native) == len([raw for raw in REQUESTS if isinstance(raw, bytes)]) - 3


def test_a_failing_background_task_is_logged_and_harms_nothing(servers):
    planned, _, _ = servers
    status, _, body = exchange(planned, post("/background-fails", ""))
    assert status.endswith("200 OK") and body == b'{"queued":1}'
    time.sleep(0.2)
    assert any("the background task failed" in line for line in planned.lines)
    assert exchange(planned, get("/floats"))[0].endswith("200 OK")


def test_yield_dependency_cleanup_order(servers):
    planned, _, _ = servers
    exchange(planned, b"DELETE /events HTTP/1.1\r\nHost: t\r\n\r\n")
    # On FastAPI 0.118+ a `yield` dependency's cleanup runs after the response is sent, so a
    # client can see the response first: give each cleanup time to run.
    exchange(planned, get("/private/session", TOKEN))
    time.sleep(0.2)
    exchange(planned, get("/private/things/0", TOKEN))
    time.sleep(0.2)
    events = exchange(planned, get("/events"))[2]
    assert events == (b'["session open","db open","db close","session close",'
                      b'"db open","db saw 404","db close"]')


def test_apus_routes_lists_every_route_with_how_it_is_served():
    result = subprocess.run([APUS_BIN, "routes", "planned:app", "--app-dir", APPS], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any("/private/things/{thing_id}" in line and "planned.py:" in line and line.endswith(" injected")
               for line in lines)
    assert any(line.startswith("POST") and  " /items " in line and line.endswith(" direct") for line in lines)
    assert lines[-1].startswith("routes: ") and "asgi" not in lines[-1]
    assert any(" /form " in line and line.endswith(" injected") for line in lines)


def test_plans_run_inside_the_apps_middleware(tmp_path):
    stats = tmp_path / "routes"
    server = ApusServer("with_middleware:app", "--app-dir", APPS, "--port", "0", "--log-level", "debug",
                        env=dict(os.environ, APUS_ROUTE_STATS=str(stats)))
    try:
        status, headers, body = exchange(server, get("/hello"))
        assert status.endswith("200 OK") and ("x-process", "done") in headers and body == b'{"hello":"world"}'
        status, headers, _ = exchange(server, get("/nowhere"))
        assert status.endswith("404 Not Found") and ("x-process", "done") in headers
        assert stats.read_text().splitlines() == ["stacked GET /hello", "asgi GET /nowhere"]
        assert any("routes: 5 stacked" in line for line in server.lines)
        assert any("/hello" in line and "stacked" in line for line in server.lines)
    finally:
        server.stop()


def test_a_routes_plan_is_built_on_its_first_request(tmp_path):
    # Plan construction is counted in the app itself; one route's plan cannot be built.
    (tmp_path / "counted.py").write_text(
        "from fastapi import FastAPI\nfrom apus.plans import direct_plan\n\nbuilt = []\n"
        "original = direct_plan.DirectPlan.__init__\n\n\n"
        "def counting(self, runner, route):\n"
        "    if route.path == '/broken':\n        raise RuntimeError('no plan for you')\n"
        "    built.append(route.path)\n    original(self, runner, route)\n\n\n"
        "direct_plan.DirectPlan.__init__ = counting\napp = FastAPI()\n\n\n"
        "@app.get('/built')\ndef show():\n    return built\n\n\n"
        "@app.get('/items/{item_id}')\ndef item(item_id: int):\n    return {'item_id': item_id}\n\n\n"
        "@app.get('/never')\ndef never():\n    return 'never'\n\n\n"
        "@app.get('/broken')\ndef broken():\n    return 'broken'\n")
    server = ApusServer("counted:app", "--app-dir", str(tmp_path), "--port", "0", "--no-access-log",
                        env=dict(os.environ, VIRTUAL_ENV=PROJECT_VENV))
    try:
        assert any("routes: 4 direct, 4 endpoint" in line for line in server.lines)  # FastAPI's 4 docs routes too
        assert exchange(server, get("/built"))[2] == b'["/built"]'
        for _ in range(2):
            assert exchange(server, get("/items/3"))[2] == b'{"item_id":3}'
        assert " 422 " in exchange(server, get("/items/x"))[0]
        assert exchange(server, get("/built"))[2] == b'["/built","/items/{item_id}"]'  # once each, /never not yet
        for _ in range(2):  # a plan that cannot be built fails its request, and is tried again
            assert exchange(server, get("/broken"))[0].endswith("500 Internal Server Error")
        assert exchange(server, get("/items/4"))[2] == b'{"item_id":4}'
        deadline = time.monotonic() + 5
        # (Each traceback also quotes the raising line: count only the exception lines.)
        while sum("RuntimeError: no plan for you" in line for line in server.lines) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert sum("RuntimeError: no plan for you" in line for line in server.lines) == 2
    finally:
        server.stop()
