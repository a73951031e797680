"""The TestClient: the real server in-process, with FastAPI's TestClient conventions."""
from fastapi import FastAPI

from apus.testclient import TestClient

app = FastAPI()


@app.get("/items/{item_id}")
def read_item(item_id: int, q: str | None = None):
    return {"item_id": item_id, "q": q}


@app.get("/redirected")
def redirected():
    return {"ok": True}


def test_requests_through_the_real_server():
    client = TestClient(app)
    response = client.get("/items/3?q=x")
    assert response.status_code == 200 and response.json() == {"item_id": 3, "q": "x"}
    assert client.get("/items/x").status_code == 422
    client.close()


def test_redirects_use_the_test_host():
    with TestClient(app, follow_redirects=False) as client:
        response = client.get("/redirected/")
        assert response.status_code == 307
        assert response.headers["location"] == "http://testserver/redirected"


@app.get("/boom")
def boom():
    raise ValueError("raised in the handler")


@app.get("/async-boom")
async def async_boom():
    raise KeyError("raised in an async handler")


def test_server_exceptions_are_raised_in_the_test():
    import pytest

    with TestClient(app) as client:
        with pytest.raises(ValueError, match="raised in the handler"):
            client.get("/boom")
        with pytest.raises(KeyError):
            client.get("/async-boom")
        assert client.get("/items/1").status_code == 200
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/boom").status_code == 500


# -- Starlette's TestClient interface, through the real server --------------------------------

import contextlib
import threading
import time

import pytest
from fastapi import BackgroundTasks, Depends, Request, Response
from fastapi.responses import StreamingResponse
from fastapi import testclient as fastapi_testclient
from starlette import testclient as starlette_testclient

events = []


@contextlib.asynccontextmanager
async def lifespan(app):
    events.append("startup")
    yield {"db": "connected"}
    events.append("shutdown")


life_app = FastAPI(lifespan=lifespan)


@life_app.get("/state")
def read_state(request: Request):
    return {"db": request.state.db, "scheme": request.url.scheme, "client": list(request.client),
            "root_path": request.scope["root_path"], "url": str(request.url),
            "apus_header": request.headers.get("apus-testclient")}


@life_app.get("/cookie")
def set_cookie(response: Response, request: Request):
    response.set_cookie("session", "abc")
    return {"seen": request.cookies.get("session")}


def write_event(text):
    events.append(text)


@life_app.post("/background")
def with_background(tasks: BackgroundTasks):
    tasks.add_task(write_event, "background ran")
    return {"queued": True}


def real_user():
    return "real"


@life_app.get("/user")
def user(name: str = Depends(real_user)):
    return {"user": name}


def test_with_runs_lifespan_and_shares_app_state():
    events.clear()
    with TestClient(life_app) as client:
        assert events == ["startup"]
        assert client.get("/state").json()["db"] == "connected"
        assert client.app_state["db"] == "connected"
    assert events == ["startup", "shutdown"]


def test_scope_values_of_the_test_client():
    with TestClient(life_app, base_url="https://example.com", root_path="/api", client=("1.2.3.4", 123)) as client:
        body = client.get("/state").json()
    assert body["scheme"] == "https" and body["client"] == ["1.2.3.4", 123] and body["root_path"] == "/api"
    assert body["url"] == "https://example.com/api/state" and body["apus_header"] is None


def test_cookies_persist_and_background_tasks_finish_before_the_response():
    events.clear()
    client = TestClient(life_app)
    assert client.get("/cookie").json() == {"seen": None}
    assert client.get("/cookie").json() == {"seen": "abc"}
    assert client.post("/background").json() == {"queued": True}
    assert events == ["background ran"]  # no lifespan without `with`
    client.close()


timed_app = FastAPI()
timed_events = []


@timed_app.middleware("http")
async def add_timing_header(request: Request, call_next):
    # BaseHTTPMiddleware: it sends the route's body on as a piece, then an empty last one.
    response = await call_next(request)
    response.headers["x-timed"] = "yes"
    return response


def slow_task(text):
    time.sleep(0.2)
    timed_events.append(text)


@timed_app.post("/mail")
def send_mail(tasks: BackgroundTasks):
    tasks.add_task(slow_task, "mail sent")
    return {"queued": True}


@timed_app.get("/pieces")
def pieces():
    return StreamingResponse(iter([b"one,", b"two,", b"three"]), media_type="text/plain")


def test_background_tasks_behind_a_middleware_finish_before_the_response():
    timed_events.clear()
    with TestClient(timed_app) as client:
        response = client.post("/mail")
        assert response.json() == {"queued": True} and response.headers["x-timed"] == "yes"
        assert timed_events == ["mail sent"]
        assert client.get("/pieces").text == "one,two,three"


def test_dependency_overrides_are_read_per_request():
    client = TestClient(life_app)
    assert client.get("/user").json() == {"user": "real"}
    life_app.dependency_overrides[real_user] = lambda: "override"
    try:
        assert client.get("/user").json() == {"user": "override"}
    finally:
        life_app.dependency_overrides.clear()
    assert client.get("/user").json() == {"user": "real"}


def test_many_clients_in_one_process_and_threads():
    clients = [TestClient(life_app) for _ in range(20)]
    results = []

    def use(client):
        results.append(client.get("/user").json()["user"])

    threads = [threading.Thread(target=use, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ["real"] * 20
    for client in clients:
        client.close()


def test_the_plugin_replaces_both_test_clients(pytestconfig):
    import subprocess
    import sys

    script = ("import apus.pytest_plugin, fastapi.testclient, starlette.testclient, apus.testclient as a\n"
              "assert fastapi.testclient.TestClient is a.TestClient is starlette.testclient.TestClient\n")
    assert subprocess.run([sys.executable, "-c", script]).returncode == 0
    assert fastapi_testclient is not None and starlette_testclient is not None


def test_a_failing_startup_raises_in_the_test():
    @contextlib.asynccontextmanager
    async def broken(app):
        raise ValueError("cannot connect")
        yield

    with pytest.raises(ValueError, match="cannot connect"):
        with TestClient(FastAPI(lifespan=broken)):
            pass
