"""A 1 GiB StreamingResponse and a client that reads slowly or stops: the generator waits for
the client (it is never drained into memory), the server's RSS stays within 50 MiB of where it
was, and the whole body arrives once the client reads again."""
import json
import socket
import time
import urllib.request

import pytest

from conftest import APPS, ApusServer


@pytest.fixture(scope="module")
def server():
    server = ApusServer("large_bodies:app", "--app-dir", APPS, "--port", "0", "--no-access-log")
    yield server
    server.stop()


def rss(server):
    with open(f"/proc/{server.pid}/status") as status:
        return int(status.read().split("VmRSS:")[1].split()[0]) * 1024


def produced(server):
    with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/produced", timeout=10) as response:
        return json.load(response)["pieces"]


def test_a_client_that_stops_reading_stalls_the_generator_and_memory_stays_flat(server):
    before_rss, before_pieces = rss(server), produced(server)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    sock.connect(("127.0.0.1", server.port))
    sock.sendall(b"GET /gigabyte HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    received = 0
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:  # a slow reader: about 2 MB/s for a second
        received += len(sock.recv(65536))
        time.sleep(0.03)
    time.sleep(1.0)  # now it stops reading
    stalled = produced(server) - before_pieces
    time.sleep(1.0)
    assert produced(server) - before_pieces == stalled, "the generator waits while the client does not read"
    assert stalled < 64, f"{stalled} MiB made ahead of a client that read {received >> 20} MiB"
    peak = rss(server)
    sock.settimeout(60)
    while chunk := sock.recv(1 << 20):  # reads the rest as fast as it comes
        received += len(chunk)
        if received % (128 << 20) < (1 << 20):
            peak = max(peak, rss(server))
    sock.close()
    assert received > 1 << 30  # the body and its chunked framing
    assert produced(server) - before_pieces == 1024
    assert peak - before_rss < 50 * 1024 * 1024, f"RSS grew by {(peak - before_rss) >> 20} MiB"
