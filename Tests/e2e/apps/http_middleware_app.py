"""An app whose routes all sit behind two `@app.middleware("http")` functions, as real apps'
do (timing, request ids): Apus runs their dispatch with Starlette's semantics (see
apus/plans/http_middleware.py). /background's task waits until /release is called, so a test
can tell whether the response went out before it."""
import contextvars
import threading
import time
from typing import Annotated

from fastapi import BackgroundTasks, Depends, FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, StreamingResponse

app = FastAPI()
events = []
released = threading.Event()
request_id = contextvars.ContextVar("request_id", default="none")


@app.middleware("http")
async def timing(request: Request, call_next):
    started = time.perf_counter()
    response = await call_next(request)
    response.headers["x-process-time"] = f"{time.perf_counter() - started:.6f}"
    return response


@app.middleware("http")
async def request_ids(request: Request, call_next):
    request_id.set(request.headers.get("x-request-id", "generated"))
    if request.url.path == "/refused":
        return JSONResponse({"detail": "refused by the middleware"}, status_code=403)
    try:
        response = await call_next(request)
    except ValueError as error:
        return PlainTextResponse(f"middleware caught: {error}", status_code=422)
    response.headers["x-request-id"] = request_id.get()
    return response


def session():
    events.append("session open")
    yield "db"
    events.append("session closed")


def wait_for_release():
    released.wait(10)
    events.append("background done")


@app.get("/items/{item_id}")
def item(item_id: int, db: Annotated[str, Depends(session)], q: str | None = None):
    return {"item_id": item_id, "q": q, "db": db, "request_id": request_id.get()}


@app.get("/background")
def background(tasks: BackgroundTasks):
    released.clear()
    tasks.add_task(wait_for_release)
    return {"queued": True}


@app.post("/release")
def release():
    released.set()
    return {"released": True}


@app.get("/events")
def read_events():
    return events


@app.delete("/events")
def clear_events():
    events.clear()


@app.get("/stream")
async def stream():
    async def pieces():
        for index in range(3):
            yield f"piece {index}\n"
    return StreamingResponse(pieces(), media_type="text/plain")


@app.get("/invalid")
def invalid():
    raise ValueError("bad value")


@app.get("/refused")
def refused():
    return {"never": "reached"}
