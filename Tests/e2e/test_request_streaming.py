"""Request bodies reach an ASGI app as they arrive (`more_body`), a reader that does not read
holds the upload back, and a body that breaks off or grows too large ends the app's reading."""
import json
import socket
import time

import pytest

from conftest import APPS, ApusServer, read_response, read_until_closed


@pytest.fixture(scope="module")
def raw():
    server = ApusServer("raw_asgi:app", "--app-dir", APPS, "--port", "0", "--no-access-log",
                        "--limit-request-body-size", str(4 * 1024 * 1024))
    yield server
    server.stop()


def uploads(server):
    with server.connect() as sock:
        sock.sendall(b"GET /uploads HTTP/1.1\r\nHost: x\r\n\r\n")
        return json.loads(read_response(sock)[2])


def test_a_slow_upload_arrives_in_pieces(raw):
    with raw.connect() as sock:
        sock.sendall(b"POST /count-chunks HTTP/1.1\r\nHost: x\r\nContent-Length: 300000\r\n\r\n")
        for _ in range(3):
            sock.sendall(b"x" * 100_000)
            time.sleep(0.2)
        status, _, body = read_response(sock)
    counted = json.loads(body)
    assert status == 200 and counted["bytes"] == 300_000 and counted["messages"] >= 3


def test_a_chunked_upload_in_pieces(raw):
    with raw.connect() as sock:
        sock.sendall(b"POST /count-chunks HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        for _ in range(3):
            sock.sendall(b"5\r\nhello\r\n")
            time.sleep(0.15)
        sock.sendall(b"0\r\n\r\n")
        status, _, body = read_response(sock)
    assert status == 200 and json.loads(body)["bytes"] == 15 and json.loads(body)["messages"] >= 3


def test_an_app_that_does_not_read_holds_the_upload_back(raw):
    sock = raw.connect()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 65536)
    sock.sendall(b"POST /ignore-body HTTP/1.1\r\nHost: x\r\nContent-Length: 4000000\r\nConnection: close\r\n\r\n")
    sock.settimeout(0.5)
    sent = 0
    with pytest.raises(socket.timeout):
        while sent < 4_000_000:
            sent += sock.send(b"y" * 65536)
    assert sent < 4_000_000  # the server stopped reading the body nobody read
    sock.settimeout(5)
    data = read_until_closed(sock)
    assert data.startswith(b"HTTP/1.1 200 OK") and data.endswith(b"ignored")
    sock.close()


def test_a_body_that_breaks_off_is_a_disconnect_for_the_app(raw):
    with raw.connect() as sock:
        sock.sendall(b"POST /count-chunks HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" + b"z" * 1000)
        time.sleep(0.2)
    deadline = time.monotonic() + 5
    while not uploads(raw)["disconnected"] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert uploads(raw)["disconnected"] and uploads(raw)["bytes"] == 1000


def test_a_chunked_body_over_the_limit_is_413_and_a_disconnect(raw):
    with raw.connect() as sock:
        sock.sendall(b"POST /count-chunks HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        time.sleep(0.1)
        piece = b"%x\r\n%s\r\n" % (1024 * 1024, b"q" * 1024 * 1024)
        try:
            for _ in range(5):
                sock.sendall(piece)
        except (BrokenPipeError, ConnectionResetError):
            pass
        data = read_until_closed(sock)
    assert data.startswith(b"HTTP/1.1 413")
    time.sleep(0.2)
    assert uploads(raw)["disconnected"]


def test_a_plan_gets_the_whole_slowly_sent_body(start_app):
    server = start_app("planned:app")
    body = b'{"name":"Widget","price":9.99,"tags":["a"]}'
    with server.connect() as sock:
        sock.sendall(b"POST /items HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: %d\r\n\r\n" % len(body) + body[:10])
        time.sleep(0.2)
        sock.sendall(body[10:])
        status, _, answer = read_response(sock)
    assert status == 201 and json.loads(answer) == {"name": "Widget", "price": 9.99, "tags": ["a"]}
