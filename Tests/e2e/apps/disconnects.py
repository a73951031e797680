"""Responses for clients that leave: endless streams (async and sync generators), a long poll
that waits for the client to go, a blocking `def` route, and what each saw (`/seen`)."""
import asyncio
import threading
import time

from fastapi import FastAPI, Request
from fastapi.responses import StreamingResponse

app = FastAPI()
seen = {"async_started": 0, "async_closed": 0, "sync_started": 0, "sync_closed": 0,
        "polls": 0, "poll_disconnects": 0, "send_errors": []}
lock = threading.Lock()


def count(key, by=1):
    with lock:
        seen[key] += by


@app.get("/seen")
def report():
    with lock:
        return dict(seen)


@app.get("/events")
async def events():
    async def forever():
        count("async_started")
        try:
            while True:
                yield b"data: tick\n\n"
                await asyncio.sleep(0.02)
        finally:
            count("async_closed")

    return StreamingResponse(forever(), media_type="text/event-stream")


@app.get("/sync-events")
def sync_events():
    def forever():
        count("sync_started")
        try:
            while True:
                yield b"data: tick\n\n"
                time.sleep(0.02)
        finally:
            count("sync_closed")

    return StreamingResponse(forever(), media_type="text/event-stream")


@app.get("/poll")
async def poll(request: Request):
    count("polls")
    while not await request.is_disconnected():
        await asyncio.sleep(0.02)
    count("poll_disconnects")
    return {"gone": True}


@app.post("/wait-for-disconnect")
async def wait_for_disconnect(request: Request):
    """Reads the body, then waits on `receive()` as a long poll does."""
    await request.body()
    count("polls")
    message = await request.receive()
    if message["type"] == "http.disconnect":
        count("poll_disconnects")
    return {}


async def raw_stream(scope, receive, send):
    """An ASGI app that keeps sending after its client left: `send` must raise OSError."""
    await send({"type": "http.response.start", "status": 200, "headers": []})
    try:
        for _ in range(10_000):
            await send({"type": "http.response.body", "body": b"x" * 1024, "more_body": True})
            await asyncio.sleep(0.01)
    except OSError as error:
        with lock:
            seen["send_errors"].append(type(error).__name__)
        raise


app.mount("/raw", raw_stream)


@app.get("/block")
def block(seconds: float):
    time.sleep(seconds)
    return {"slept": seconds}
