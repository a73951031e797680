"""``HTTPMiddleware`` against Starlette's own ``BaseHTTPMiddleware``, in process: each app below is
built twice, once as written and once with its ``@app.middleware("http")`` layers replaced as the
stacked plans replace them, and driven by the same ASGI server stand-in. The messages sent, the
events the app records, where they fall between the messages, and the exception that escapes
must be the same. The one allowed difference is the framing ``HTTPMiddleware`` saves: a complete
body passed on in one message, not a piece and an empty last one."""
import asyncio
import contextvars
import os
import sys
from typing import Annotated

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))

import pytest  # noqa: E402
from fastapi import BackgroundTasks, Depends, FastAPI, HTTPException, Request  # noqa: E402
from fastapi.responses import FileResponse, PlainTextResponse, Response, StreamingResponse  # noqa: E402
from starlette.middleware.base import BaseHTTPMiddleware  # noqa: E402

from apus.plans import http_middleware, native_middleware  # noqa: E402

pytestmark = pytest.mark.skipif(native_middleware.STARLETTE_VERSION not in native_middleware.VERIFIED_STARLETTE,
                                reason="HTTPMiddleware stands in only for the Starlette versions it was checked against")

request_id = contextvars.ContextVar("request_id", default="-")


def build_app(events):
    app = FastAPI()

    # The layer added last is the outermost.
    @app.middleware("http")
    async def inner(request: Request, call_next):
        events.append(f"inner in, context {request_id.get()}")
        if request.url.path == "/short-circuit":
            return PlainTextResponse("no", status_code=401)
        if request.url.path == "/body":
            events.append(f"inner read {await request.body()!r}")
        response = await call_next(request)
        events.append("inner out")
        response.headers["x-inner"] = "1"
        return response

    @app.middleware("http")
    async def outer(request: Request, call_next):
        events.append("outer in")
        request_id.set("outer")
        try:
            response = await call_next(request)
        except LookupError as error:
            events.append(f"outer caught {error!r}")
            return PlainTextResponse("caught", status_code=418)
        events.append(f"outer out, context {request_id.get()}")
        response.headers["x-outer"] = "1"
        if request.url.path == "/rewrite":
            body = b"".join([chunk async for chunk in response.body_iterator])
            return Response(body.upper(), status_code=201, headers={"x-length": str(len(body))})
        if request.url.path == "/replace":
            return PlainTextResponse("replaced")
        if request.url.path == "/dispatch-fails":
            raise RuntimeError("dispatch failed")
        return response

    # Async, so that the order of events is the event loop's alone, not a thread pool's.
    async def background(name):
        events.append(f"background {name}")

    async def session():
        events.append("session open")
        try:
            yield "session"
        finally:
            events.append("session closed")

    @app.get("/plain")
    async def plain(tasks: BackgroundTasks, db: Annotated[str, Depends(session)]):
        request_id.set("endpoint")
        tasks.add_task(background, "plain")
        return {"db": db}

    @app.get("/empty")
    def empty():
        return Response(status_code=204)

    @app.post("/body")
    async def body(request: Request):
        return {"echo": (await request.body()).decode()}

    @app.get("/stream")
    async def stream():
        async def pieces():
            for index in range(3):
                events.append(f"produce {index}")
                yield f"piece {index};"
            events.append("stream done")
        return StreamingResponse(pieces(), media_type="text/plain")

    @app.get("/stream-fails")
    async def stream_fails():
        async def pieces():
            yield "first;"
            raise ValueError("broke mid-stream")
        return StreamingResponse(pieces())

    @app.get("/raises")
    def raises():
        raise KeyError("missing")  # a LookupError: the outer middleware answers it

    @app.get("/unhandled")
    def unhandled():
        raise ZeroDivisionError("nobody handles this")

    @app.get("/handled")
    def handled():
        raise HTTPException(status_code=409, detail="conflict")

    @app.get("/file")
    def file():
        return FileResponse(__file__, media_type="text/plain")

    for path in ("/rewrite", "/replace", "/dispatch-fails", "/short-circuit"):
        app.get(path)(plain)
    return app


def native(app):
    """The app with its dispatch layers replaced, as ``stacked.build_stack`` does."""
    app.user_middleware, replaced = http_middleware.with_native_layers(app.user_middleware)
    assert replaced == ["outer", "inner"]
    return app


async def serve(app, events, method, path, body=b"", pause=True):
    """One request, as a server would drive it: the messages sent (each recorded among the
    app's events when sent), and the exception that escaped the app. ``pause``: each send lets
    other tasks run (a server writing to a socket); else it returns at once (one holding the
    response, as the TestClient's does)."""
    scope = {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.4"}, "http_version": "1.1",
             "method": method, "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
             "root_path": "", "headers": [(b"host", b"test")], "client": ("127.0.0.1", 5000),
             "server": ("test", 80), "extensions": {"http.response.pathsend": {}}}
    finished = asyncio.Event()
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive():
        if pending:
            return pending.pop()
        await finished.wait()
        return {"type": "http.disconnect"}

    async def send(message):
        recorded = {key: value for key, value in message.items() if key != "headers"}
        if "headers" in message:
            recorded["headers"] = sorted(message["headers"])
        events.append(recorded)
        if message["type"] == "http.response.pathsend" or (
                message["type"] == "http.response.body" and not message.get("more_body", False)):
            finished.set()
        if pause:
            await asyncio.sleep(0)

    try:
        await app(scope, receive, send)
    except Exception as error:  # noqa: BLE001 - compared below
        return _described(error)
    return None


def _described(error):
    cause = error.__cause__
    return (type(error).__name__, str(error), None if cause is None else (type(cause).__name__, str(cause)))


def _unframed(events):
    """A complete body sent as a piece then an empty last piece, as one message (the framing
    ``HTTPMiddleware`` saves)."""
    merged = []
    last_message = None  # where the last message is in `merged`
    for event in events:
        if (event == {"type": "http.response.body", "body": b"", "more_body": False}
                and last_message is not None and merged[last_message].get("more_body")):
            merged[last_message] = dict(merged[last_message], more_body=False)
            continue
        if isinstance(event, dict):
            last_message = len(merged)
        merged.append(event)
    return merged


def both(method, path, body=b""):
    results = []
    for make in (lambda events: build_app(events), lambda events: native(build_app(events))):
        events = []
        app = make(events)
        error = asyncio.run(serve(app, events, method, path, body))
        results.append((_unframed(events), error))
    return results


@pytest.mark.parametrize("method, path, body", [
    ("GET", "/plain", b""), ("GET", "/empty", b""), ("POST", "/body", b"payload"), ("GET", "/stream", b""),
    ("GET", "/stream-fails", b""), ("GET", "/raises", b""), ("GET", "/unhandled", b""), ("GET", "/handled", b""),
    ("GET", "/file", b""), ("GET", "/rewrite", b""), ("GET", "/replace", b""), ("GET", "/dispatch-fails", b""),
    ("GET", "/short-circuit", b""),
])
def test_the_app_sees_and_sends_what_it_does_under_starlettes_class(method, path, body):
    starlette, apus = both(method, path, body)
    if path.startswith("/stream"):
        # How a stream's pieces interleave with its generator is the event loop's scheduling
        # (anyio's stream yields to the loop on each send and receive), not a semantic: the
        # messages and the app's events are compared apart; the back-pressure test below
        # bounds how far the generator may run ahead.
        (events, error), (expected, expected_error) = apus, starlette
        assert [e for e in events if isinstance(e, dict)] == [e for e in expected if isinstance(e, dict)]
        assert [e for e in events if isinstance(e, str)] == [e for e in expected if isinstance(e, str)]
        assert error == expected_error
        return
    assert apus == starlette


def test_cleanup_and_background_tasks_below_run_after_the_response_went_out():
    (events, error), _ = both("GET", "/plain")
    assert error is None
    sent = next(index for index, event in enumerate(events)
                if isinstance(event, dict) and event["type"] == "http.response.body")
    assert events.index("background plain") > sent and events.index("session closed") > sent


def test_a_complete_body_passed_on_goes_out_in_one_message():
    events = []
    app = native(build_app(events))
    assert asyncio.run(serve(app, events, "GET", "/plain")) is None
    bodies = [event for event in events if isinstance(event, dict) and event["type"] == "http.response.body"]
    assert bodies == [{"type": "http.response.body", "body": b'{"db":"session"}', "more_body": False}]


@pytest.mark.parametrize("which", ["starlette", "apus"])
def test_a_stream_below_waits_for_the_dispatch_side_to_take_each_piece(which):
    (events, _) = both("GET", "/stream")[0 if which == "starlette" else 1]
    produced = [event for event in events if isinstance(event, str) and event.startswith(("produce", "stream"))]
    assert produced == ["produce 0", "produce 1", "produce 2", "stream done"]
    # Each piece is sent before the next one is produced.
    for index in range(1, 3):
        # Piece n is produced only once piece n-1 has been taken by the dispatch side: it has
        # gone out to the client by the time piece n+1 is produced.
        sent = next(position for position, event in enumerate(events)
                    if isinstance(event, dict) and event.get("body") == f"piece {index - 1};".encode())
        later = events.index(f"produce {index + 1}") if index < 2 else events.index("stream done")
        assert sent < later


def test_a_subclass_that_overrides_call_keeps_starlettes_class():
    class Own(BaseHTTPMiddleware):
        async def __call__(self, scope, receive, send):
            await self.app(scope, receive, send)

    app = FastAPI()
    app.add_middleware(Own)
    layers, replaced = http_middleware.with_native_layers(app.user_middleware)
    assert replaced == [] and layers[0].cls is Own


class Burst:
    """An ASGI app that sends its pieces back to back, never waiting but in ``send``."""

    async def __call__(self, scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        for index in range(5):
            await send({"type": "http.response.body", "body": b"%d;" % index, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})


@pytest.mark.parametrize("pause", [True, False])
def test_pieces_sent_back_to_back_all_arrive_in_order(pause):
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.routing import Route

    async def passthrough(request, call_next):
        return await call_next(request)

    bodies = []
    for replace in (False, True):
        app = Starlette(routes=[Route("/burst", Burst())], middleware=[Middleware(BaseHTTPMiddleware, dispatch=passthrough)])
        if replace:
            app.user_middleware, _ = http_middleware.with_native_layers(app.user_middleware)
        events = []
        assert asyncio.run(serve(app, events, "GET", "/burst", pause=pause)) is None
        bodies.append(b"".join(event.get("body", b"") for event in events if isinstance(event, dict)))
    assert bodies == [b"0;1;2;3;4;"] * 2
