"""The soak test's app (bench/soak.py): JSON, validation errors, server errors, uploads, a
server-sent-events stream, a WebSocket echo."""
import asyncio

from fastapi import FastAPI, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

app = FastAPI()


class Item(BaseModel):
    name: str
    price: float


@app.get("/plaintext")
def plaintext():
    return "ok"


@app.get("/json")
def json_route():
    return {"message": "Hello, World!"}


@app.post("/items")
def create_item(item: Item):
    return item


@app.get("/boom")
def boom():
    raise RuntimeError("the soak test's server error")


@app.post("/upload")
async def upload(request: Request):
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
    return {"size": size}


@app.get("/events")
async def events():
    async def forever():
        while True:
            yield b"data: tick\n\n"
            await asyncio.sleep(0.01)
    return StreamingResponse(forever(), media_type="text/event-stream")


@app.websocket("/ws")
async def echo(websocket: WebSocket):
    await websocket.accept()
    try:
        while True:
            await websocket.send_text(await websocket.receive_text())
    except WebSocketDisconnect:
        pass
