"""`@app.middleware("http")` functions run by Apus (its `HTTPMiddleware` in place of Starlette's
`BaseHTTPMiddleware`) over a real socket: the same answers as FastAPI's own path
(`--no-plans`), background tasks after the response has reached the client, and the label."""
import json
import subprocess
import time

import pytest

from conftest import APPS, APUS_BIN, planned_and_plain
from test_plans import exchange, get, post

REQUESTS = [
    get("/items/3?q=x", "X-Request-Id: abc\r\n"), get("/items/nope"), get("/refused"), get("/invalid"),
    get("/stream"), get("/nowhere"),
]


def _without_timing(answer):
    status, headers, body = answer
    return status, [(name, value) for name, value in headers if name.lower() not in ("x-process-time", "date")], body


def _timed(answer):
    return any(name.lower() == "x-process-time" for name, _ in answer[1])


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    with planned_and_plain("http_middleware_app:app", tmp_path_factory) as servers:
        yield servers


def test_answers_are_fastapis(servers):
    planned, plain, stats = servers
    for raw in REQUESTS:
        got, expected = exchange(planned, raw), exchange(plain, raw)
        assert _without_timing(got) == _without_timing(expected), raw
        assert _timed(got) == _timed(expected), raw
    assert _timed(exchange(planned, REQUESTS[0]))
    served = {line.split()[0] for line in stats.read_text().splitlines()}
    assert served == {"stacked", "asgi"}, served


def test_yield_cleanup_follows_the_response(servers):
    planned, _, _ = servers
    exchange(planned, b"DELETE /events HTTP/1.1\r\nHost: test\r\n\r\n")
    assert exchange(planned, get("/items/1"))[0].endswith("200 OK")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        events = json.loads(exchange(planned, get("/events"))[2])
        if "session closed" in events:
            break
        time.sleep(0.05)
    assert events[:2] == ["session open", "session closed"]


def test_background_tasks_run_after_the_client_has_the_response(servers):
    planned, _, _ = servers
    exchange(planned, b"DELETE /events HTTP/1.1\r\nHost: test\r\n\r\n")
    # The task waits for /release: had the response waited for the task, this would time out.
    status, _, body = exchange(planned, get("/background"))
    assert status.endswith("200 OK") and json.loads(body) == {"queued": True}
    assert "background done" not in json.loads(exchange(planned, get("/events"))[2])
    assert exchange(planned, post("/release", ""))[0].endswith("200 OK")
    deadline = time.monotonic() + 5
    while "background done" not in json.loads(exchange(planned, get("/events"))[2]):
        assert time.monotonic() < deadline, "the background task did not finish"
        time.sleep(0.05)


def test_routes_name_the_dispatch_functions_apus_runs():
    result = subprocess.run([APUS_BIN, "routes", "http_middleware_app:app", "--app-dir", APPS],
                            capture_output=True, text=True, timeout=60)
    lines = [line for line in result.stdout.splitlines() if " /items/{item_id} " in line]
    assert len(lines) == 1 and "stacked: middleware BaseHTTPMiddleware, BaseHTTPMiddleware" in lines[0], lines
    assert "Apus runs the dispatch of request_ids, timing" in lines[0], lines
