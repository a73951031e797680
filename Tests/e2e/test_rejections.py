"""Malformed or ambiguous requests get a clear status, then the connection closes."""
import pytest

from conftest import parse_responses, read_until_closed

H = b"Host: x\r\n"

CASES = [
    # (id, raw request, expected status)
    ("garbage request line", b"HELLO\r\n\r\n", 400),
    ("missing version", b"GET /\r\n" + H + b"\r\n", 400),
    ("two spaces in request line", b"GET  / HTTP/1.1\r\n" + H + b"\r\n", 400),
    ("lowercase version", b"GET / http/1.1\r\n" + H + b"\r\n", 400),
    ("unsupported version", b"GET / HTTP/2.0\r\n" + H + b"\r\n", 505),
    ("control char in target", b"GET /a\x01b HTTP/1.1\r\n" + H + b"\r\n", 400),
    ("header without colon", b"GET / HTTP/1.1\r\n" + H + b"Bogus\r\n\r\n", 400),
    ("space before colon", b"GET / HTTP/1.1\r\n" + H + b"Foo : bar\r\n\r\n", 400),
    ("obs-fold", b"GET / HTTP/1.1\r\n" + H + b"Foo: a\r\n b\r\n\r\n", 400),
    ("bare CR in value", b"GET / HTTP/1.1\r\n" + H + b"Foo: a\rb\r\n\r\n", 400),
    ("bare LF line ending", b"GET / HTTP/1.1\n" + H + b"\r\n", 400),
    ("NUL in header value", b"GET / HTTP/1.1\r\n" + H + b"Foo: a\x00b\r\n\r\n", 400),
    ("empty header name", b"GET / HTTP/1.1\r\n" + H + b": x\r\n\r\n", 400),
    ("missing Host in 1.1", b"GET / HTTP/1.1\r\n\r\n", 400),
    ("two Host headers", b"GET / HTTP/1.1\r\n" + H + H + b"\r\n", 400),
    ("CL and TE together",
     b"POST /echo HTTP/1.1\r\n" + H + b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    ("duplicate differing CL",
     b"POST /echo HTTP/1.1\r\n" + H + b"Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 400),
    ("CL list", b"POST /echo HTTP/1.1\r\n" + H + b"Content-Length: 5, 5\r\n\r\nhello", 400),
    ("negative CL", b"POST /echo HTTP/1.1\r\n" + H + b"Content-Length: -1\r\n\r\n", 400),
    ("non-chunked final coding",
     b"POST /echo HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked, gzip\r\n\r\n", 400),
    ("identity coding", b"POST /echo HTTP/1.1\r\n" + H + b"Transfer-Encoding: identity\r\n\r\n", 400),
    ("TE in HTTP/1.0", b"POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    ("bad chunk size", b"POST /echo HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
    ("chunk longer than size",
     b"POST /echo HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n", 400),
    ("unknown expectation", b"GET / HTTP/1.1\r\n" + H + b"Expect: teapot\r\n\r\n", 417),
    ("space in Host", b"GET /a/ HTTP/1.1\r\nHost: a b\r\n\r\n", 400),
    ("slash in Host", b"GET / HTTP/1.1\r\nHost: x/y\r\n\r\n", 400),
    ("chunk extensions past 16 KiB",
     b"POST /echo HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n1;" + b"e" * 17000 + b"\r\nx\r\n0\r\n\r\n", 400),
    ("unsupported coding before chunked",
     b"POST /echo HTTP/1.1\r\n" + H + b"Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501),
]


@pytest.mark.parametrize("raw,status", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rejected_then_closed(apus, raw, status):
    sock = apus.connect()
    sock.sendall(raw)
    responses = parse_responses(read_until_closed(sock))
    assert [r[0] for r in responses] == [status]
    assert responses[0][1]["connection"] == "close"


def test_head_over_the_limit_is_431(start_apus):
    server = start_apus("--limit-request-head-size", "1024")
    sock = server.connect()
    sock.sendall(b"GET / HTTP/1.1\r\n" + H + b"X-Big: " + b"a" * 2000 + b"\r\n\r\n")
    assert [r[0] for r in parse_responses(read_until_closed(sock))] == [431]


def test_default_head_limit_is_16k(apus):
    sock = apus.connect()
    sock.sendall(b"GET /plaintext HTTP/1.1\r\n" + H + b"X-Big: " + b"a" * 15000 + b"\r\n\r\n")
    assert parse_responses(sock.recv(65536))[0][0] == 200
    sock.sendall(b"GET / HTTP/1.1\r\n" + H + b"X-Big: " + b"a" * 17000 + b"\r\n\r\n")
    assert [r[0] for r in parse_responses(read_until_closed(sock))] == [431]


def test_too_many_headers_is_431(apus):
    fields = b"".join(b"X-%d: v\r\n" % i for i in range(101))
    sock = apus.connect()
    sock.sendall(b"GET / HTTP/1.1\r\n" + H + fields + b"\r\n")
    assert [r[0] for r in parse_responses(read_until_closed(sock))] == [431]


def test_body_over_the_limit_is_413(start_apus):
    server = start_apus("--limit-request-body-size", "1000")
    sock = server.connect()
    sock.sendall(b"POST /echo HTTP/1.1\r\n" + H + b"Content-Length: 1001\r\n\r\n")
    assert [r[0] for r in parse_responses(read_until_closed(sock))] == [413]
    sock = server.connect()
    sock.sendall(b"POST /echo HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n3e9\r\n" + b"a" * 1001)
    assert [r[0] for r in parse_responses(read_until_closed(sock))] == [413]


def test_server_keeps_serving_after_rejections(apus):
    for raw, _ in [c[1:] for c in CASES]:
        sock = apus.connect()
        sock.sendall(raw)
        read_until_closed(sock)
    sock = apus.connect()
    sock.sendall(b"GET /plaintext HTTP/1.1\r\n" + H + b"Connection: close\r\n\r\n")
    assert parse_responses(read_until_closed(sock))[0][0] == 200
