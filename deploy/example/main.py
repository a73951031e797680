"""The app deploy/Dockerfile packages when no other is given: any ASGI app takes its place
(`--build-context app=DIR`, with `APUS_APP` naming it)."""
from fastapi import FastAPI, WebSocket, WebSocketDisconnect

app = FastAPI(title="apus-app")


@app.get("/")
def index():
    return {"hello": "world"}


@app.get("/items/{item_id}")
def read_item(item_id: int, q: str | None = None):
    return {"item_id": item_id, "q": q}


@app.websocket("/ws")
async def echo(websocket: WebSocket):
    await websocket.accept()
    try:
        while True:
            await websocket.send_text(await websocket.receive_text())
    except WebSocketDisconnect:
        pass
