"""Any ASGI 3 app over real sockets: the scope, streamed responses with back-pressure,
disconnects, framing the server owns, failures, and lifespan."""
import json
import os
import signal
import socket
import subprocess
import time

import pytest

from conftest import APPS, APUS_BIN, ApusServer, read_response, read_until_closed


@pytest.fixture(scope="module")
def raw():
    server = ApusServer("raw_asgi:app", "--app-dir", APPS, "--port", "0", "--no-access-log")
    yield server
    server.stop()


def request(server, raw_request):
    with server.connect() as sock:
        sock.sendall(raw_request)
        return read_response(sock)


def test_the_http_scope_is_complete(raw):
    status, headers, body = request(raw, (
        b"POST /sc%6Fpe?a=1&b=%20 HTTP/1.1\r\nHost: example.org\r\nX-Twice: one\r\nX-Twice: two\r\n"
        b"Content-Length: 4\r\n\r\nping"))
    assert status == 200
    scope = json.loads(body)
    assert scope["type"] == "http" and scope["asgi"] == {"version": "3.0", "spec_version": "2.4"}
    assert scope["http_version"] == "1.1" and scope["method"] == "POST" and scope["scheme"] == "http"
    assert scope["path"] == "/scope" and scope["raw_path"] == "/sc%6Fpe"
    assert scope["query_string"] == "a=1&b=%20" and scope["root_path"] == ""
    assert scope["headers"] == [["host", "example.org"], ["x-twice", "one"], ["x-twice", "two"], ["content-length", "4"]]
    assert scope["client"][0] == "127.0.0.1" and scope["server"] == ["127.0.0.1", raw.port]
    assert scope["state"] == {"greeting": "hello from lifespan"}
    assert scope["body"] == "ping" and scope["more_body"] is False


def test_http10_and_duplicate_response_headers(raw):
    with raw.connect() as sock:
        sock.sendall(b"GET /scope HTTP/1.0\r\n\r\n")
        data = read_until_closed(sock)
    assert json.loads(data.partition(b"\r\n\r\n")[2])["http_version"] == "1.0"
    assert data.count(b"x-dup: ") == 2


def test_root_path_is_part_of_path_as_uvicorn_sends_it(start_app):
    server = start_app("raw_asgi:app", "--root-path", "/api")
    status, _, body = request(server, b"GET /scope HTTP/1.1\r\nHost: x\r\n\r\n")
    scope = json.loads(body)
    assert status == 200 and scope["root_path"] == "/api" and scope["path"] == "/api/scope"
    assert scope["raw_path"] == "/api/scope"


def test_a_body_without_length_is_chunked(raw):
    with raw.connect() as sock:
        sock.sendall(b"GET /stream HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = read_until_closed(sock)
    head, _, body = data.partition(b"\r\n\r\n")
    assert b"transfer-encoding: chunked" in head and b"content-length" not in head
    assert body.startswith(b"8\r\npiece 0\n\r\n") and body.endswith(b"0\r\n\r\n")
    assert body.count(b"piece") == 10


def test_a_streamed_body_keeps_the_apps_content_length(raw):
    status, headers, body = request(raw, b"GET /stream-length HTTP/1.1\r\nHost: x\r\n\r\n")
    assert status == 200 and headers["content-length"] == "10" and body == b"0123456789"
    assert "transfer-encoding" not in headers


def test_a_content_length_that_does_not_match_the_body_is_a_500(raw):
    with raw.connect() as sock:
        sock.sendall(b"GET /wrong-length HTTP/1.1\r\nHost: x\r\n\r\nGET /stream-length HTTP/1.1\r\nHost: x\r\n\r\n")
        first = read_response(sock)
        second = read_response(sock)
    assert first[0] == 500
    assert second[2] == b"0123456789"  # the connection did not desync


def test_exceptions_before_and_after_the_response_started(raw):
    status, _, body = request(raw, b"GET /raise-before HTTP/1.1\r\nHost: x\r\n\r\n")
    assert status == 500 and body == b"Internal Server Error"
    with raw.connect() as sock:
        sock.sendall(b"GET /raise-after HTTP/1.1\r\nHost: x\r\n\r\n")
        data = read_until_closed(sock)
    assert b"partial" in data and not data.endswith(b"0\r\n\r\n")  # cut short, never complete
    assert request(raw, b"GET /no-response HTTP/1.1\r\nHost: x\r\n\r\n")[0] == 500
    # Log lines are written by the log thread: they may reach the pipe after the response.
    deadline = time.monotonic() + 3
    while not any("returned without starting response" in line for line in raw.lines) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert any("failed before the response started" in line for line in raw.lines)
    assert any("returned without starting response" in line for line in raw.lines)


def test_keyboard_interrupt_after_an_await_is_a_500_and_the_loop_keeps_running(raw):
    assert request(raw, b"GET /keyboard-interrupt HTTP/1.1\r\nHost: x\r\n\r\n")[0] == 500
    assert request(raw, b"GET /stream-length HTTP/1.1\r\nHost: x\r\n\r\n")[2] == b"0123456789"


def test_request_body_and_chunked_upload(raw):
    status, _, body = request(raw, b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                                   b"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n")
    assert status == 200 and body == b"abcde"


def progress(server):
    return json.loads(request(server, b"GET /progress HTTP/1.1\r\nHost: x\r\n\r\n")[2])


def test_send_waits_for_a_slow_client_and_sees_its_disconnect(raw):
    sock = raw.connect()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    sock.sendall(b"GET /endless HTTP/1.1\r\nHost: x\r\n\r\n")
    sock.recv(1024)
    time.sleep(1.0)
    sent = progress(raw)["sent"]
    time.sleep(0.5)
    # Not reading: the app is held back once about the write buffer limit (1 MiB) is queued.
    assert sent == progress(raw)["sent"] and sent < 8 * 1024 * 1024
    sock.close()
    deadline = time.monotonic() + 5
    while not progress(raw)["disconnected"] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert progress(raw)["disconnected"]


def test_lifespan_shutdown_runs_on_sigterm(tmp_path):
    marker = tmp_path / "shutdown"
    env = dict(os.environ, RAW_ASGI_SHUTDOWN_FILE=str(marker))
    proc = subprocess.Popen([APUS_BIN, "run", "raw_asgi:app", "--app-dir", APPS, "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    for line in proc.stdout:
        if "running on" in line:
            break
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(10) == 0
    assert marker.read_text() == "shutdown ran"


def test_a_failed_startup_exits_non_zero_before_serving():
    env = dict(os.environ, RAW_ASGI_FAIL_STARTUP="1")
    result = subprocess.run([APUS_BIN, "run", "raw_asgi:app", "--app-dir", APPS, "--port", "0"],
                            capture_output=True, text=True, timeout=30, env=env)
    assert result.returncode == 3
    assert "the database is unreachable" in result.stderr and "Application startup failed" in result.stderr
    assert "running on" not in result.stdout + result.stderr


def test_lifespan_off_skips_startup(start_app):
    server = start_app("raw_asgi:app", "--lifespan", "off")
    scope = json.loads(request(server, b"GET /scope HTTP/1.1\r\nHost: x\r\n\r\n")[2])
    assert scope["state"] == {}


def test_an_app_without_lifespan_support_runs_in_auto_mode(start_app):
    server = start_app("no_lifespan:app")
    assert request(server, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")[2] == b"ok"
    assert any("lifespan' protocol appears unsupported" in line for line in server.lines)


def test_lifespan_on_requires_support():
    result = subprocess.run([APUS_BIN, "run", "no_lifespan:app", "--app-dir", APPS, "--port", "0", "--lifespan", "on"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 3 and "only http" in result.stderr


def test_the_apps_connection_close_closes_the_connection(raw):
    with raw.connect() as sock:
        sock.sendall(b"GET /close-please HTTP/1.1\r\nHost: x\r\n\r\nGET /stream-length HTTP/1.1\r\nHost: x\r\n\r\n")
        data = read_until_closed(sock)
    assert data.count(b"HTTP/1.1 ") == 1 and data.lower().count(b"connection: close") == 1
    assert data.endswith(b"bye")


def test_an_informational_status_cannot_be_the_final_response(raw):
    assert request(raw, b"GET /status-101 HTTP/1.1\r\nHost: x\r\n\r\n")[0] == 500
    assert request(raw, b"GET /status-101-streamed HTTP/1.1\r\nHost: x\r\n\r\n")[0] == 500
