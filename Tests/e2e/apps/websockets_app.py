"""WebSocket routes as FastAPI apps write them, and what each session saw (`/seen`)."""
import threading

from fastapi import Depends, FastAPI, WebSocket, WebSocketDisconnect, WebSocketException, status
from fastapi.responses import PlainTextResponse

app = FastAPI()
lock = threading.Lock()
seen = {"disconnect_codes": [], "sends_after_leaving": []}


@app.get("/seen")
def report():
    with lock:
        return dict(seen)


@app.websocket("/echo")
async def echo(websocket: WebSocket):
    await websocket.accept()
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            with lock:
                seen["disconnect_codes"].append(message["code"])
            return
        if message.get("text") is not None:
            await websocket.send_text(message["text"])
        else:
            await websocket.send_bytes(message["bytes"])


@app.websocket("/items/{item_id}")
async def item(websocket: WebSocket, item_id: int, q: str | None = None):
    subprotocols = websocket.scope["subprotocols"]
    await websocket.accept(subprotocol=subprotocols[-1] if subprotocols else None, headers=[(b"x-item", b"yes")])
    await websocket.send_json({"item_id": item_id, "q": q, "scheme": websocket.url.scheme,
                               "origin": websocket.headers.get("origin")})
    await websocket.close(code=4000, reason="done with the item")


def token(websocket: WebSocket):
    if websocket.query_params.get("token") != "secret":
        raise WebSocketException(code=status.WS_1008_POLICY_VIOLATION)
    return "secret"


@app.websocket("/guarded")
async def guarded(websocket: WebSocket, token: str = Depends(token)):
    await websocket.accept()
    await websocket.send_text("welcome")
    await websocket.close()


@app.websocket("/refused")
async def refused(websocket: WebSocket):
    await websocket.close()


@app.websocket("/denied")
async def denied(websocket: WebSocket):
    await websocket.send_denial_response(PlainTextResponse("no entry", status_code=401))


@app.websocket("/fails")
async def fails(websocket: WebSocket):
    await websocket.accept()
    await websocket.receive_text()
    raise RuntimeError("the handler broke after the accept")


@app.websocket("/talker")
async def talker(websocket: WebSocket):
    """Sends until the client has gone: then `send` raises (ASGI 2.4)."""
    await websocket.accept()
    try:
        while True:
            await websocket.send_bytes(b"x" * 4096)
    except (WebSocketDisconnect, OSError) as error:
        with lock:
            seen["sends_after_leaving"].append(type(error).__name__)
