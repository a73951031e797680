"""Head timeout (slowloris) and idle keep-alive timeout."""
import socket
import time

from conftest import parse_responses, read_response, read_until_closed

H = b"Host: x\r\n"


def test_slowloris_is_closed_at_the_head_timeout(start_apus):
    server = start_apus("--timeout-request-head", "2")
    sock = server.connect()
    started = time.monotonic()
    request = b"GET /plaintext HTTP/1.1\r\n" + H + b"X-Slow: " + b"a" * 100
    closed_at = None
    received = b""
    for byte in request:
        try:
            sock.sendall(bytes([byte]))
        except (BrokenPipeError, ConnectionResetError):
            closed_at = time.monotonic()
            break
        sock.settimeout(1.0)
        try:
            data = sock.recv(65536)
        except socket.timeout:
            continue
        except ConnectionResetError:
            closed_at = time.monotonic()
            break
        received += data
        if not data:
            closed_at = time.monotonic()
            break
        received += read_until_closed(sock)
        closed_at = time.monotonic()
        break
    assert closed_at is not None, "a byte per second kept the connection open"
    elapsed = closed_at - started
    assert 1.5 <= elapsed <= 4.0, elapsed
    assert [r[0] for r in parse_responses(received)] == [408]


def test_connection_that_sends_nothing_is_closed_at_the_head_timeout(start_apus):
    server = start_apus("--timeout-request-head", "1")
    sock = server.connect()
    started = time.monotonic()
    assert read_until_closed(sock, timeout=5) == b""
    assert 0.8 <= time.monotonic() - started <= 3


def test_idle_keep_alive_connection_closes(start_apus):
    server = start_apus("--timeout-keep-alive", "1")
    sock = server.connect()
    sock.sendall(b"GET /plaintext HTTP/1.1\r\n" + H + b"\r\n")
    assert read_response(sock)[0] == 200
    started = time.monotonic()
    assert read_until_closed(sock, timeout=5) == b""
    assert 0.8 <= time.monotonic() - started <= 3


def test_keep_alive_timer_restarts_with_each_request(start_apus):
    server = start_apus("--timeout-keep-alive", "1")
    sock = server.connect()
    for _ in range(4):
        sock.sendall(b"GET /plaintext HTTP/1.1\r\n" + H + b"\r\n")
        assert read_response(sock)[0] == 200
        time.sleep(0.5)


def test_a_slow_but_moving_body_is_not_cut_off(start_apus):
    server = start_apus("--timeout-request-head", "1")
    sock = server.connect()
    body = b"0123456789"
    sock.sendall(b"POST /echo HTTP/1.1\r\n" + H + b"Content-Length: 10\r\n\r\n")
    for i in range(len(body)):
        time.sleep(0.3)  # 3 s in all, three times the timeout, but never idle for a second
        sock.sendall(body[i:i + 1])
    status, _, received = read_response(sock)
    assert status == 200 and received == body


def test_a_stalled_body_times_out(start_apus):
    server = start_apus("--timeout-request-head", "1")
    sock = server.connect()
    sock.sendall(b"POST /echo HTTP/1.1\r\n" + H + b"Content-Length: 10\r\n\r\nabc")
    started = time.monotonic()
    assert [r[0] for r in parse_responses(read_until_closed(sock))] == [408]
    assert time.monotonic() - started < 3
