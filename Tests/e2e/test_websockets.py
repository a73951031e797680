"""WebSockets over real sockets: FastAPI's WebSocket routes served by Apus (RFC 6455 framing
in Swift, the ASGI `websocket` scope in Python), including what a client library would never
send."""
import json
import struct
import time

import pytest

from ws_client import BINARY, CLOSE, CONTINUATION, PING, PONG, TEXT, Client, handshake


@pytest.fixture
def server(start_app):
    return start_app("websockets_app:app")


def seen(server):
    client = server.connect()
    client.sendall(b"GET /seen HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    data = b""
    while chunk := client.recv(65536):
        data += chunk
    return json.loads(data.partition(b"\r\n\r\n")[2])


def wait_seen(server, key, count, timeout=3.0):
    deadline = time.monotonic() + timeout
    while len(seen(server)[key]) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return seen(server)[key]


def test_text_binary_and_large_messages_echo(server):
    client = Client(server, "/echo")
    client.send_text("héllo, wörld ✓")
    assert client.read_frame() == (TEXT, "héllo, wörld ✓".encode())
    client.send_frame(BINARY, b"\x00\xff\x10")
    assert client.read_frame() == (BINARY, b"\x00\xff\x10")
    big = bytes(range(256)) * 4096  # 1 MiB
    client.send_frame(BINARY, big)
    assert client.read_frame() == (BINARY, big)
    client.send_close(1000)
    assert client.read_close() == (1000, "")
    assert client.closed_by_server()
    assert wait_seen(server, "disconnect_codes", 1) == [1000]


def test_fragments_with_a_ping_in_between_make_one_message(server):
    client = Client(server, "/echo")
    client.send_frame(TEXT, "frag".encode(), fin=False)
    client.send_frame(PING, b"are you there")
    client.send_frame(CONTINUATION, "ment".encode(), fin=False)
    client.send_frame(CONTINUATION, " ✓".encode()[:2], fin=False)  # a character split across frames
    client.send_frame(CONTINUATION, " ✓".encode()[2:], fin=True)
    assert client.read_frame() == (PONG, b"are you there")
    assert client.read_frame() == (TEXT, "fragment ✓".encode())


@pytest.mark.parametrize("frames, code", [
    ([(TEXT, b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80", True)], 1007),  # a surrogate
    ([(TEXT, b"ok \xe2\x82", False), (CONTINUATION, b"\x28", True)], 1007),  # broken across frames
    ([(CONTINUATION, b"orphan", True)], 1002),
    ([(TEXT, b"one", False), (TEXT, b"two", True)], 1002),
    ([(PING, b"x" * 126, True)], 1002),
    ([(PING, b"", False)], 1002),
    ([(0x3, b"", True)], 1002),  # a reserved opcode
    ([(CLOSE, b"\x03\xed", True)], 1002),  # close code 1005 may not be sent
    ([(CLOSE, b"\x03", True)], 1002),  # a one-byte close payload
])
def test_protocol_errors_close_with_their_code(server, frames, code):
    client = Client(server, "/echo")
    for opcode, payload, fin in frames:
        client.send_frame(opcode, payload, fin=fin)
    assert client.read_close()[0] == code
    assert client.closed_by_server()
    assert wait_seen(server, "disconnect_codes", 1) == [code]


def test_an_unmasked_frame_is_a_protocol_error(server):
    client = Client(server, "/echo")
    client.send_frame(TEXT, b"plain", mask=False)
    assert client.read_close()[0] == 1002


def test_reserved_bits_without_an_extension_are_a_protocol_error(server):
    client = Client(server, "/echo")
    client.send_frame(TEXT, b"compressed?", rsv=0x4)
    assert client.read_close()[0] == 1002


def test_a_message_past_ws_max_size_closes_with_1009(start_app):
    server = start_app("websockets_app:app", "--ws-max-size", "1000")
    client = Client(server, "/echo")
    client.send_frame(TEXT, b"a" * 1000)
    assert client.read_frame() == (TEXT, b"a" * 1000)
    client.send_frame(TEXT, b"a" * 600, fin=False)
    client.send_frame(CONTINUATION, b"a" * 600, fin=True)
    assert client.read_close()[0] == 1009


def test_a_client_that_vanishes_is_a_1006_disconnect_for_the_app(server):
    client = Client(server, "/echo")
    client.send_text("hi")
    assert client.read_frame() == (TEXT, b"hi")
    client.sock.close()
    assert wait_seen(server, "disconnect_codes", 1) == [1006]


def test_send_after_the_client_left_raises(server):
    client = Client(server, "/talker")
    client.read_frame()
    client.sock.close()
    assert wait_seen(server, "sends_after_leaving", 1) == ["WebSocketDisconnect"]


def test_path_and_query_parameters_subprotocols_headers_and_a_close_code(server):
    client = Client(server, "/items/42?q=blue", headers=["Sec-WebSocket-Protocol: chat, superchat",
                                                          "Origin: http://example.com"])
    assert client.headers["sec-websocket-protocol"] == "superchat"
    assert client.headers["x-item"] == "yes"
    opcode, payload = client.read_frame()
    assert opcode == TEXT
    assert json.loads(payload) == {"item_id": 42, "q": "blue", "scheme": "ws", "origin": "http://example.com"}
    assert client.read_close() == (4000, "done with the item")
    client.send_close(4000)
    assert client.closed_by_server()


def test_a_dependency_and_validation_refuse_as_fastapi_does(server):
    # A WebSocketException or a validation error before the accept closes the handshake: 403.
    assert handshake(server, "/guarded")[1] == 403
    assert handshake(server, "/items/not-a-number")[1] == 403
    client = Client(server, "/guarded?token=secret")
    assert client.read_frame() == (TEXT, b"welcome")
    assert client.read_close()[0] == 1000


def test_refusals_and_denial_responses(server):
    assert handshake(server, "/refused")[1] == 403
    assert handshake(server, "/no-such-route")[1] == 403
    sock, status, headers, _ = handshake(server, "/denied")
    assert status == 401 and headers["content-type"].startswith("text/plain")
    assert sock.recv(100) == b"no entry"


def test_invalid_handshakes_are_refused_before_the_app(server):
    sock, status, headers, _ = handshake(server, "/echo", version="8")
    assert status == 426 and headers["sec-websocket-version"] == "13"
    sock = server.connect()
    sock.sendall(b"GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 b"Sec-WebSocket-Version: 13\r\n\r\n")
    assert sock.recv(100).startswith(b"HTTP/1.1 400")


def test_an_app_that_raises_after_the_accept_closes_with_1011_and_logs_it(server):
    client = Client(server, "/fails")
    client.send_text("go")
    assert client.read_close()[0] == 1011
    time.sleep(0.2)
    log = "\n".join(server.lines)
    assert "RuntimeError: the handler broke after the accept" in log


def test_server_shutdown_closes_sessions_with_1012(server):
    client = Client(server, "/echo")
    client.send_text("hi")
    assert client.read_frame() == (TEXT, b"hi")
    server.signal(15)
    assert client.read_close()[0] == 1012
    client.send_close(1012)
    assert server.wait(10) == 0


def test_frames_that_follow_the_handshake_at_once_are_not_lost(server):
    sock, status, _, _ = None, None, None, None
    client = Client.__new__(Client)
    import base64, os
    key = base64.b64encode(os.urandom(16)).decode()
    sock = server.connect()
    frame = bytes([0x81, 0x80 | 5]) + b"\x00\x00\x00\x00" + b"early"
    sock.sendall(f"GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode() + frame)
    client.sock = sock
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)
    assert head.startswith(b"HTTP/1.1 101")
    assert client.read_frame() == (TEXT, b"early")


def test_websocket_routes_are_listed_and_a_plain_get_is_the_apps_404(server):
    import os
    import subprocess

    from conftest import APPS, APUS_BIN

    listing = subprocess.run([APUS_BIN, "routes", "websockets_app:app", "--app-dir", APPS],
                             capture_output=True, text=True, timeout=60).stdout
    rows = [line.split() for line in listing.splitlines()]
    assert ["WEBSOCKET", "/echo"] == next(row[:2] for row in rows if row[1:2] == ["/echo"])
    assert "websocket:" in next(line for line in listing.splitlines() if " /echo " in line)
    assert "websocket" in listing.splitlines()[-1]
    sock = server.connect()
    sock.sendall(b"GET /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert sock.recv(100).startswith(b"HTTP/1.1 404")


def test_a_silent_client_is_pinged_and_closed_when_it_does_not_answer(start_app):
    server = start_app("websockets_app:app", "--ws-ping-interval", "0.3", "--ws-ping-timeout", "0.5")
    answering = Client(server, "/echo")
    silent = Client(server, "/echo")
    opcode, payload = answering.read_frame()
    assert opcode == PING
    answering.send_frame(PONG, payload)
    assert silent.read_frame()[0] == PING
    # The one that answers stays; the silent one is closed with 1011 and the app hears 1006.
    assert silent.read_close() == (1011, "keepalive ping timeout")
    assert wait_seen(server, "disconnect_codes", 1) == [1006]
    answering.send_text("still here")
    while True:
        opcode, payload = answering.read_frame()
        if opcode == PING:
            answering.send_frame(PONG, payload)
            continue
        assert (opcode, payload) == (TEXT, b"still here")
        break
