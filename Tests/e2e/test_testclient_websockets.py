"""`TestClient.websocket_connect` goes through Apus's real socket (Starlette's session interface,
its exceptions), never through Starlette's in-memory transport."""
import pytest
import starlette.testclient
from fastapi import FastAPI, WebSocket, WebSocketDisconnect, WebSocketException, status
from fastapi.responses import PlainTextResponse

from apus.testclient import TestClient

app = FastAPI()


@app.websocket("/chat/{room}")
async def chat(websocket: WebSocket, room: str):
    await websocket.accept(subprotocol="chat.v2", headers=[(b"x-room", room.encode())])
    while True:
        message = await websocket.receive_json()
        await websocket.send_json({"room": room, "echo": message, "scheme": websocket.url.scheme,
                                   "client": list(websocket.client)})


@app.websocket("/bytes")
async def bytes_echo(websocket: WebSocket):
    await websocket.accept()
    await websocket.send_bytes(await websocket.receive_bytes())
    await websocket.close(code=4001, reason="that is all")


@app.websocket("/policy")
async def policy(websocket: WebSocket):
    raise WebSocketException(code=status.WS_1008_POLICY_VIOLATION, reason="no token")


@app.websocket("/denied")
async def denied(websocket: WebSocket):
    await websocket.send_denial_response(PlainTextResponse("go away", status_code=401))


@app.websocket("/raises")
async def raises(websocket: WebSocket):
    await websocket.accept()
    await websocket.receive_text()
    raise ValueError("raised in the session")


@pytest.fixture(autouse=True)
def no_in_memory_sessions(monkeypatch):
    def refuse(self, request):
        raise AssertionError("Starlette's in-memory transport was used")

    monkeypatch.setattr(starlette.testclient._TestClientTransport, "handle_request", refuse)


def test_a_session_over_the_real_socket():
    with TestClient(app) as client:
        with client.websocket_connect("/chat/lobby", subprotocols=["chat.v1", "chat.v2"]) as session:
            assert session.accepted_subprotocol == "chat.v2"
            assert session.extra_headers == [(b"x-room", b"lobby")]
            session.send_json({"text": "héllo"})
            answer = session.receive_json()
            assert answer["room"] == "lobby" and answer["echo"] == {"text": "héllo"}
            assert answer["scheme"] == "ws" and answer["client"] == ["testclient", 50000]


def test_a_close_code_and_reason_from_the_app():
    client = TestClient(app)
    with client.websocket_connect("/bytes") as session:
        session.send_bytes(b"\x00\x01")
        assert session.receive_bytes() == b"\x00\x01"
        with pytest.raises(WebSocketDisconnect) as closed:
            session.receive_bytes()
        assert (closed.value.code, closed.value.reason) == (4001, "that is all")


def test_a_refused_handshake_raises_with_the_apps_code():
    client = TestClient(app)
    with pytest.raises(WebSocketDisconnect) as refused:
        with client.websocket_connect("/policy"):
            pass
    assert (refused.value.code, refused.value.reason) == (1008, "no token")


def test_a_denial_response():
    client = TestClient(app)
    with pytest.raises(starlette.testclient.WebSocketDenialResponse) as denied:
        with client.websocket_connect("/denied"):
            pass
    assert denied.value.status_code == 401 and denied.value.content == b"go away"


def test_an_exception_in_the_session_is_raised_in_the_test():
    client = TestClient(app)
    with pytest.raises(ValueError, match="raised in the session"):
        with client.websocket_connect("/raises") as session:
            session.send_text("go")
            session.receive_text()
