"""A large response body is written from the Python object itself: the server's peak memory
grows by about the body once (the app's own bytes), not by the copies a server could make of
it on its way to the socket. A 1 GiB stream to a client that reads slowly, then stops, waits
for the client: the generator pauses and memory stays flat."""
import json
import socket
import time
import urllib.request

import pytest

from conftest import APPS, ApusServer

SIZE = 64 * 1024 * 1024


@pytest.fixture(scope="module")
def server():
    server = ApusServer("large_bodies:app", "--app-dir", APPS, "--port", "0", "--no-access-log")
    yield server
    server.stop()


def peak_rss_bytes(pid):
    with open(f"/proc/{pid}/status") as status:
        return int(status.read().split("VmHWM:")[1].split()[0]) * 1024


def fetch(server, path, method="GET"):
    """The status line, the head and the body, read to the end of a `connection: close`."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(f"{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        chunks = []
        while chunk := sock.recv(1 << 20):
            chunks.append(chunk)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    return head.decode("latin-1").lower(), body


def dechunk(body):
    out, rest = [], body
    while True:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line, 16)
        if size == 0:
            return b"".join(out)
        out.append(rest[:size])
        rest = rest[size + 2:]


@pytest.mark.parametrize("kind", ["whole", "streamed"])
def test_a_large_body_costs_about_one_copy_of_memory(server, kind):
    fetch(server, f"/{kind}/1024")  # warm: the route and its plan are in use
    before = peak_rss_bytes(server.pid)
    head, body = fetch(server, f"/{kind}/{SIZE}")
    assert head.startswith("http/1.1 200")
    if kind == "streamed":
        assert "transfer-encoding: chunked" in head
        body = dechunk(body)
    else:
        assert f"content-length: {SIZE}" in head
    assert len(body) == SIZE and body.count(body[:1]) == SIZE
    growth = peak_rss_bytes(server.pid) - before
    print(f"{kind}: peak RSS grew by {growth / SIZE:.2f} bodies")
    # The app's own bytes are one body's worth; each copy on the way out would be another.
    assert growth < 1.5 * SIZE, f"peak RSS grew by {growth / SIZE:.2f} bodies"


def test_a_head_request_for_a_large_body_gets_its_length_and_no_body(server):
    head, body = fetch(server, f"/whole/{SIZE // 4}", method="HEAD")
    assert f"content-length: {SIZE // 4}" in head and body == b""


def test_a_wrong_content_length_on_a_large_body_is_a_500(server):
    head, _ = fetch(server, f"/declared/{SIZE // 4}")
    assert head.startswith("http/1.1 500")


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
