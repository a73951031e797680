"""A slow reader gets the whole of a big response: the idle and linger timers start when the
last byte is written, not when the response is queued."""
import socket
import time

import pytest

from conftest import APPS, ApusServer

SIZE = 4 * 1024 * 1024


@pytest.fixture(scope="module")
def raw():
    server = ApusServer("raw_asgi:app", "--app-dir", APPS, "--port", "0", "--no-access-log",
                        "--timeout-keep-alive", "1")
    yield server
    server.stop()


def slow_read(sock, want):
    """Reads about 1.3 MB/s until `want` bytes of body (after the head) or the end."""
    sock.settimeout(10)
    data = b""
    while True:
        head_end = data.find(b"\r\n\r\n")
        if head_end >= 0 and len(data) - head_end - 4 >= want:
            return data
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk
        time.sleep(0.05)


def connect(server):
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    sock.connect(("127.0.0.1", server.port))
    return sock


@pytest.mark.parametrize("connection", ["keep-alive", "close"])
def test_a_slow_reader_gets_every_byte(raw, connection):
    sock = connect(raw)
    sock.sendall(f"GET /big?size={SIZE} HTTP/1.1\r\nHost: x\r\nConnection: {connection}\r\n\r\n".encode())
    started = time.monotonic()
    data = slow_read(sock, SIZE)
    assert time.monotonic() - started > 1.5  # slower than the keep-alive and linger timers
    body = data.partition(b"\r\n\r\n")[2]
    assert len(body) == SIZE  # not cut short by a timer that started when it was queued
    sock.close()
