"""A client that leaves is noticed at once, whatever the app is doing: an endless stream stops
(its generator closed, its `finally` run), a long poll hears `http.disconnect`, `send()`
raises OSError (ASGI 2.4), the socket is closed rather than left in CLOSE-WAIT, and the
request's `--limit-concurrency` slot is freed."""
import json
import os
import socket
import time

import pytest

H = b"Host: x\r\n"


def seen(server):
    sock = server.connect()
    sock.sendall(b"GET /seen HTTP/1.1\r\n" + H + b"Connection: close\r\n\r\n")
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    sock.close()
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), head
    return json.loads(body)


def wait_for(server, condition, timeout=3.0):
    deadline = time.monotonic() + timeout
    while True:
        state = seen(server)
        if condition(state) or time.monotonic() > deadline:
            return state
        time.sleep(0.05)


def close_wait_sockets(port):
    """Sockets of the server's port in CLOSE-WAIT (the peer closed, the server has not)."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not os.path.exists(table):
            continue
        for line in open(table).read().splitlines()[1:]:
            fields = line.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            if local_port == port and fields[3] == "08":
                count += 1
    return count


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.fixture
def server(start_app):
    return start_app("disconnects:app", "--threads", "8")


@pytest.mark.parametrize("path, prefix", [("/events", "async"), ("/sync-events", "sync")])
def test_an_endless_stream_stops_when_its_client_leaves(server, path, prefix):
    clients = []
    for _ in range(12):
        sock = server.connect()
        sock.sendall(b"GET " + path.encode() + b" HTTP/1.1\r\n" + H + b"\r\n")
        assert sock.recv(4096).startswith(b"HTTP/1.1 200")
        clients.append(sock)
    for sock in clients:
        sock.close()
    state = wait_for(server, lambda s: s[prefix + "_closed"] == 12)
    assert (state[prefix + "_started"], state[prefix + "_closed"]) == (12, 12), state
    # Nothing keeps running for the clients that left.
    before = cpu_seconds(server.pid)
    time.sleep(1.0)
    assert cpu_seconds(server.pid) - before < 0.3
    assert close_wait_sockets(server.port) == 0


def test_send_raises_oserror_once_the_client_is_gone(server):
    sock = server.connect()
    sock.sendall(b"GET /raw/ HTTP/1.1\r\n" + H + b"\r\n")
    assert sock.recv(4096).startswith(b"HTTP/1.1 200")
    sock.close()
    state = wait_for(server, lambda s: s["send_errors"])
    assert state["send_errors"] == ["ClientDisconnected"]
    time.sleep(0.2)
    log = "\n".join(server.lines)
    assert "Exception in ASGI application" not in log, log


def test_a_long_poll_hears_its_client_leave_at_once(server):
    clients = []
    for _ in range(10):
        sock = server.connect()
        sock.sendall(b"GET /poll HTTP/1.1\r\n" + H + b"\r\n")
        clients.append(sock)
    assert wait_for(server, lambda s: s["polls"] == 10)["polls"] == 10
    left = time.monotonic()
    for sock in clients:
        sock.close()
    state = wait_for(server, lambda s: s["poll_disconnects"] == 10)
    assert state["poll_disconnects"] == 10 and time.monotonic() - left < 1.5
    time.sleep(0.1)
    assert close_wait_sockets(server.port) == 0


def test_receive_after_the_body_gives_http_disconnect_when_the_client_leaves(server):
    sock = server.connect()
    sock.sendall(b"POST /wait-for-disconnect HTTP/1.1\r\n" + H + b"Content-Length: 5\r\n\r\nhello")
    assert wait_for(server, lambda s: s["polls"] == 1)["polls"] == 1
    sock.close()
    assert wait_for(server, lambda s: s["poll_disconnects"] == 1)["poll_disconnects"] == 1
    assert close_wait_sockets(server.port) == 0


def test_a_client_that_leaves_mid_body_is_closed_at_once(server):
    sock = server.connect()
    sock.sendall(b"POST /wait-for-disconnect HTTP/1.1\r\n" + H + b"Content-Length: 100000\r\n\r\n" + b"x" * 1000)
    time.sleep(0.2)
    sock.close()
    time.sleep(0.3)
    assert close_wait_sockets(server.port) == 0
    assert seen(server)["polls"] == 0


def test_a_blocked_def_routes_slot_is_freed_when_its_client_leaves(start_app):
    server = start_app("disconnects:app", "--threads", "4", "--limit-concurrency", "2")
    clients = []
    for _ in range(2):
        sock = server.connect()
        sock.sendall(b"GET /block?seconds=4 HTTP/1.1\r\n" + H + b"\r\n")
        clients.append(sock)
    time.sleep(0.3)
    for sock in clients:
        sock.close()
    time.sleep(0.3)
    assert close_wait_sockets(server.port) == 0
    # Both slots are free again although both handlers still sleep.
    again = []
    for _ in range(2):
        sock = server.connect()
        sock.sendall(b"GET /block?seconds=0.5 HTTP/1.1\r\n" + H + b"Connection: close\r\n\r\n")
        again.append(sock)
    for sock in again:
        assert sock.recv(4096).startswith(b"HTTP/1.1 200")
