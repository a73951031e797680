"""Access lines as uvicorn writes them (the reason phrase, refusals included), and
`--log-format json`: one object per line from the server and the app alike, every request with
an X-Request-ID (the client's or one made for it) seen by the app and echoed, the trace id of a
`traceparent`, and the request's ids on the lines about its errors."""
import json
import re
import time

from conftest import parse_responses, read_until_closed


def exchange(server, raw):
    with server.connect() as sock:
        sock.sendall(raw)
        return parse_responses(read_until_closed(sock))


def lines_matching(server, pattern, within=3.0):
    deadline = time.monotonic() + within
    while True:
        found = [line for line in server.lines if re.search(pattern, line)]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def test_access_lines_carry_the_reason_phrase_and_refusals(start_app):
    server = start_app("logs_app:app", "--access-log", "--limit-request-body-size", "1000")
    exchange(server, b"GET /id HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert lines_matching(server, r'^INFO: +127\.0\.0\.1:\d+ - "GET /id HTTP/1\.1" 200 OK$')
    [(status, _, _)] = exchange(server, b"POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n")
    assert status == 413
    assert lines_matching(server, r'"POST /upload HTTP/1\.1" 413 Content Too Large$')


def json_lines(server, pattern):
    return [json.loads(line) for line in lines_matching(server, pattern)]


def test_json_lines_with_request_and_trace_ids(start_app):
    server = start_app("logs_app:app", "--access-log", "--log-format", "json")
    [(status, headers, body)] = exchange(server, b"GET /id HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    made = headers["x-request-id"]
    assert status == 200 and re.fullmatch(r"[0-9a-f]{32}", made)
    assert json.loads(body) == {"x-request-id": made}  # the app sees the id it is logged with
    [access] = json_lines(server, made)
    assert access["logger"] == "apus.access" and access["level"] == "info"
    assert (access["method"], access["path"], access["status"], access["request_id"]) == ("GET", "/id", 200, made)
    assert access["http_version"] == "HTTP/1.1" and access["client"].startswith("127.0.0.1:")
    assert isinstance(access["duration_ms"], float) and 0 <= access["duration_ms"] < 5000
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", access["time"])

    # The client's own id is kept; a traceparent's trace id is logged.
    trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    [(_, headers, body)] = exchange(server, (
        "GET /id HTTP/1.1\r\nHost: x\r\nX-Request-ID: order-42\r\n"
        f"traceparent: 00-{trace}-00f067aa0ba902b7-01\r\nConnection: close\r\n\r\n").encode())
    assert headers["x-request-id"] == "order-42" and json.loads(body) == {"x-request-id": "order-42"}
    [access] = json_lines(server, "order-42")
    assert access["trace_id"] == trace

    # An id that is not one (a space in it) is replaced.
    [(_, headers, _)] = exchange(server, b"GET /id HTTP/1.1\r\nHost: x\r\nX-Request-ID: a b\r\nConnection: close\r\n\r\n")
    assert re.fullmatch(r"[0-9a-f]{32}", headers["x-request-id"])


def test_json_lines_from_the_app_and_its_errors(start_app):
    server = start_app("logs_app:app", "--log-format", "json")
    exchange(server, b"GET /warn HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    [warning] = json_lines(server, "logs_app")
    assert (warning["level"], warning["logger"], warning["message"]) == ("warning", "logs_app", "café crème")
    [(status, headers, body)] = exchange(
        server, b"GET /fail HTTP/1.1\r\nHost: x\r\nX-Request-ID: failing-1\r\nConnection: close\r\n\r\n")
    assert status == 500 and b"on purpose" not in body
    [error] = json_lines(server, "Exception in ASGI application")
    assert error["level"] == "error" and error["request_id"] == "failing-1"
    assert "RuntimeError: the handler failed on purpose" in error["message"]
    startup = json_lines(server, "Apus running on")
    assert startup and startup[0]["logger"] == "apus"
