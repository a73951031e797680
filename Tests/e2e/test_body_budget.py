"""Request bodies held whole in memory are bounded across connections: uploads that trickle in
cannot add up past `--limit-buffered-bodies`. The one that would pass it gets 503 and its
connection closes; once the others are served, the budget is whole again. This holds for
plans (which collect their bodies) and for Swift handlers (which get whole bodies)."""
import json
import select
import time

import pytest

from conftest import APPS, ApusServer

BODY = json.dumps({"name": "n" * 49_974, "price": 1.0}).encode()  # 50,000 bytes, 40,000 sent first


def start_upload(server, path, body):
    sock = server.connect()
    sock.sendall(b"POST " + path + b" HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                 b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body[:40_000])
    return sock


def response(sock):
    sock.settimeout(10)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


SERVED_BY = {
    "plan": (("planned:app", "--app-dir", APPS), b"/items", b"HTTP/1.1 201 "),
    "swift handler": (("--hello",), b"/echo", b"HTTP/1.1 200 "),
}


@pytest.mark.parametrize("served_by", SERVED_BY)
def test_uploads_past_the_budget_get_503_and_the_budget_comes_back(served_by):
    app, path, served = SERVED_BY[served_by]
    server = ApusServer(*app, "--port", "0", "--no-access-log", "--limit-buffered-bodies", "100000")
    try:
        assert len(BODY) == 50_000
        # Three uploads of which 40 KB each arrive and the rest waits: two fit in 100 KB, the
        # third (whichever the server takes last) would pass it.
        uploads = [start_upload(server, path, BODY) for _ in range(3)]
        ready, _, _ = select.select(uploads, [], [], 10)
        assert len(ready) == 1, "exactly one upload is answered at once"
        refused = ready[0]
        answer = response(refused)
        assert answer.startswith(b"HTTP/1.1 503 "), answer
        assert b"connection: close" in answer.lower() and b"retry-after: 1" in answer.lower()
        for sock in uploads:
            if sock is refused:
                continue
            sock.sendall(BODY[40_000:])
            assert response(sock).startswith(served), "a body within the budget is served"
            sock.close()
        # Given back once the served bodies are dropped: a new upload fits again.
        time.sleep(0.3)
        again = start_upload(server, path, BODY)
        again.sendall(BODY[40_000:])
        assert response(again).startswith(served)
        again.close()
        refused.close()
    finally:
        server.stop()
