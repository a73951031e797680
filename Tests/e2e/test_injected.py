"""Injected plans (Apus executing a route's dependency tree itself) answer exactly as FastAPI's own
request handler: the same requests to one app served with plans and with `--no-plans` (FastAPI
routing and solving everything) get byte-identical responses and leave the same events, on the
project's FastAPI and on 0.115; and APUS_ROUTE_STATS proves the plans served them."""
import json
import subprocess
import time

import pytest

from conftest import APPS, APUS_BIN, ApusServer, planned_and_plain
from test_plans import exchange, fastapi_environment, get, post

KEY = "X-Key: k\r\n"
BEARER = "Authorization: Bearer good\r\n"


def delete(path):
    return f"DELETE {path} HTTP/1.1\r\nHost: test\r\n\r\n".encode()


def post_empty(path):
    return post(path, "")


REQUESTS = [
    get("/cache"), get("/cache"),
    get("/class-dependency?q=x&skip=2"), get("/class-dependency?skip=-1&limit=500"),
    get("/overridden"),
    post_empty("/override/replaced"), get("/overridden"),
    post_empty("/override/async"), get("/overridden"), get("/overridden?q=query"),
    delete("/override"), get("/overridden"),
    get("/raises/404"), get("/araises/409"), get("/swallowed"), get("/after-yield"),
    post("/everything/1?page=2", '{"payload": {"name": "a", "size": 3}, "note": "n"}',
         headers="X-Count: 4\r\nCookie: session=5\r\n"),
    post("/everything/x?page=0", '{"payload": {"name": "a", "size": "big"}}',
         headers="X-Count: many\r\nCookie: session=s\r\n"),
    post("/everything/1", "{not json", headers="X-Count: 4\r\n"),
    get("/me", BEARER), get("/me"), get("/me", "Authorization: Bearer bad\r\n"), get("/admin", BEARER),
    get("/basic", "Authorization: Basic YWxpY2U6c2VjcmV0\r\n"), get("/basic"),
    get("/sub-response"), get("/returned-response"),
    get("/routed/thing", "X-Router: r\r\n"), get("/routed/thing?limit=11"),
    get("/cache", "X-Key: refuse\r\n"),
    get("/wrapped/3"), get("/wrapped/x"), get("/replaced"),
    # Behind injected_middleware's query rewriting: the values are read from the scope it passed on.
    get("/class-dependency?q=x", "X-Rewrite-Query: q=rewritten&skip=3\r\n"),
    get("/class-dependency?q=x", "X-Rewrite-Query: skip=-4\r\n"),
]


def serve_both(target, version, tmp_path_factory):
    return planned_and_plain(target, tmp_path_factory, env=fastapi_environment(version))


@pytest.fixture(scope="module", params=["project", "fastapi-0.115"])
def servers(request, tmp_path_factory):
    with serve_both("injected:app", request.param, tmp_path_factory) as (planned, plain, stats):
        yield planned, plain, stats, request.param


def events_after(server, raw):
    """The response to `raw`, then the events it left once its cleanup ran."""
    exchange(server, delete("/events"))
    answer = exchange(server, raw)
    time.sleep(0.1)  # cleanup after the body (FastAPI 0.118+) may follow the response
    events = json.loads(exchange(server, get("/events"))[2])
    assert events[-1] == "app dependency"  # the app's dependency, for this read of the events
    return answer, events[:-1]


def test_injected_plans_answer_as_fastapi(servers):
    planned, plain, stats, _ = servers
    for raw in REQUESTS:
        expected, expected_events = events_after(plain, raw)
        got, got_events = events_after(planned, raw)
        assert got == expected, raw
        assert got_events == expected_events, raw
    served = [line.split()[0] for line in stats.read_text().splitlines()]
    assert set(served) <= {"injected", "direct", "fastapi-handler"}, served
    assert served.count("injected") >= len(REQUESTS) - 1
    assert [line for line in stats.read_text().splitlines() if line.startswith("fastapi-handler")] == [
        "fastapi-handler GET /replaced"]


def test_apus_routes_says_how_each_route_runs(servers):
    _, _, _, version = servers
    result = subprocess.run([APUS_BIN, "routes", "injected:app", "--app-dir", APPS], capture_output=True, text=True,
                            timeout=60, env=fastapi_environment(version))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(" /wrapped/{n} " in line and line.endswith(" injected") for line in lines)
    assert any(" /replaced " in line and line.endswith("fastapi-handler: ReplacingRoute replaces the request handler")
               for line in lines)
    assert any(" /routed/{name} " in line and line.endswith(" injected") for line in lines)


def test_yield_cleanup_timing(servers):
    planned, _, _, version = servers
    after_send = version == "project"
    for path in ("/timing/sync", "/timing/async"):
        _, events = events_after(planned, get(path))
        expected = ["app dependency", "enter", "endpoint"]
        expected += ["background", "exit"] if after_send else ["exit", "background"]
        assert events == expected, path
    if after_send:  # Depends(scope="function"), FastAPI 0.121+: before the response
        _, events = events_after(planned, get("/timing/function-scope"))
        assert events == ["app dependency", "enter", "endpoint", "exit", "background"]


def test_an_exception_reaches_the_yield_dependency(servers):
    planned, _, _, _ = servers
    answer, events = events_after(planned, get("/raises/404"))
    assert answer[0].endswith("404 Not Found") and events == ["app dependency", "enter", "saw 404", "exit"]
    answer, events = events_after(planned, get("/swallowed"))
    assert answer[0].endswith("500 Internal Server Error") and events == ["app dependency", "swallowed"]
    assert any("FastAPIError" in line for line in planned.lines)


def test_a_raise_after_the_yield_keeps_the_response_and_is_logged(servers):
    planned, _, _, version = servers
    answer, events = events_after(planned, get("/after-yield"))
    if version == "project":  # cleanup after the body: the client keeps its 200
        assert answer[0].endswith("200 OK") and answer[2] == b'{"value":"value"}'
        assert any("after the yield" in line or "response already started" in line for line in planned.lines)
    else:  # cleanup before the response: the HTTPException is the answer
        assert answer[0].endswith("418 I'm a teapot")
    assert events == ["app dependency", "raising after yield"]


def test_errors_from_every_source_in_one_422(servers):
    planned, _, _, _ = servers
    raw = post("/everything/x?page=0", '{"payload": {"name": "a", "size": "big"}}',
               headers="X-Count: many\r\nCookie: session=s\r\n")
    status, _, body = exchange(planned, raw)
    assert " 422 " in status
    sources = [error["loc"][0] for error in json.loads(body)["detail"]]
    assert sources == ["header", "path", "query", "cookie", "body"]


def test_a_sync_chain_stays_on_one_executor_thread(servers):
    planned, _, _, _ = servers
    asyncio_thread = json.loads(exchange(planned, get("/threads/asyncio"))[2])["asyncio"]
    (status, _, body), events = events_after(planned, get("/threads/sync"))
    assert status.endswith("200 OK")
    threads = json.loads(body)
    assert threads["first"] == threads["second"] == threads["endpoint"] != asyncio_thread
    assert threads["loop"] is False and threads["endpoint_loop"] is False  # no event loop on that thread
    assert events == ["app dependency", "first exit on the same thread"]


def test_sync_steps_of_an_async_tree_run_on_the_executor_threads(servers):
    """Where FastAPI sends a sync dependency (and a sync `yield` dependency's entry and exit)
    to anyio's thread pool, an injected plan sends it to the runtime's executor threads."""
    planned, _, _, _ = servers
    (status, _, body), events = events_after(planned, get("/threads/mixed"))
    assert status.endswith("200 OK")
    names = json.loads(body)
    assert not names["dependency"].startswith("AnyIO") and not names["resource"].startswith("AnyIO"), names
    assert events == ["app dependency", "mixed exit on an executor thread"]


def test_overrides_change_between_requests(servers):
    planned, _, _, _ = servers
    assert exchange(planned, get("/overridden"))[2] == b'{"value":"original"}'
    exchange(planned, post_empty("/override/one"))
    assert exchange(planned, get("/overridden"))[2] == b'{"value":"one"}'
    exchange(planned, post_empty("/override/two"))
    assert exchange(planned, get("/overridden"))[2] == b'{"value":"two"}'
    exchange(planned, post_empty("/override/async"))
    assert exchange(planned, get("/overridden?q=x"))[2] == b'{"value":"x"}'
    exchange(planned, delete("/override"))
    assert exchange(planned, get("/overridden"))[2] == b'{"value":"original"}'


def test_the_differential_check_reports_what_differs(tmp_path):
    """APUS_DIFFERENTIAL: each planned answer is compared with FastAPI's own handler's; an
    endpoint whose answer changes on each call (the counter) is reported, a deterministic one
    is not."""
    out = tmp_path / "differences"
    server = ApusServer("injected:app", "--app-dir", APPS, "--port", "0", "--no-access-log",
                        env=dict(fastapi_environment("project"), APUS_DIFFERENTIAL=str(out)))
    try:
        assert exchange(server, get("/class-dependency?q=x"))[0].endswith("200 OK")
        assert exchange(server, get("/cache"))[0].endswith("200 OK")
        assert exchange(server, get("/me", BEARER))[0].endswith("200 OK")
        time.sleep(0.3)
        lines = [json.loads(line) for line in out.read_text().splitlines()]
        assert [(line["route"], line["plan"], sorted(line["differences"])) for line in lines] == [
            ("/cache", "injected", ["body"])]
    finally:
        server.stop()


@pytest.mark.parametrize("version", ["project", "fastapi-0.115"])
def test_injected_plans_inside_the_apps_middleware(version, tmp_path_factory):
    """An `@app.middleware("http")` that reads and rewrites the response runs around injected
    plans, with Starlette's semantics: the same answers and events as FastAPI's own path."""
    with serve_both("injected_middleware:app", version, tmp_path_factory) as (planned, plain, stats):
        for raw in REQUESTS:
            expected, expected_events = events_after(plain, raw)
            got, got_events = events_after(planned, raw)
            assert got == expected, raw
            assert got_events == expected_events, raw
        served = {line.split()[0] for line in stats.read_text().splitlines()}
        assert served == {"stacked"}, served
        result = subprocess.run([APUS_BIN, "routes", "injected_middleware:app", "--app-dir", APPS],
                                capture_output=True, text=True, timeout=60, env=fastapi_environment(version))
        lines = result.stdout.splitlines()
        assert any(" /cache " in line and "stacked: middleware RewriteQuery, BaseHTTPMiddleware" in line
                   and line.endswith("around an injected plan") for line in lines), lines
        assert any(" /replaced " in line and line.endswith("around FastAPI's handler") for line in lines)
        assert any(" /openapi.json " in line and line.endswith("around the route's endpoint") for line in lines)
