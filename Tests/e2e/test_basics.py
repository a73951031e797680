"""Plain requests over keep-alive and HTTP/1.0, routing answers, HEAD."""
import json
import urllib.request

from conftest import parse_responses, read_response, read_until_closed


def get(server, path):
    with urllib.request.urlopen(server.url(path), timeout=5) as response:
        return response.status, dict(response.headers), response.read()


def test_plaintext_and_json(apus):
    status, headers, body = get(apus, "/plaintext")
    assert (status, body) == (200, b"Hello, World!")
    assert headers["content-type"].startswith("text/plain")
    assert "date" in {k.lower() for k in headers}
    status, headers, body = get(apus, "/json")
    assert status == 200 and json.loads(body) == {"message": "Hello, World!"}


def test_keep_alive_serves_many_requests_on_one_connection(apus):
    sock = apus.connect()
    for _ in range(20):
        sock.sendall(b"GET /plaintext HTTP/1.1\r\nHost: x\r\n\r\n")
        status, headers, body = read_response(sock)
        assert status == 200 and body == b"Hello, World!"
        assert "connection" not in headers
    sock.close()


def test_http10_closes_unless_keep_alive(apus):
    sock = apus.connect()
    sock.sendall(b"GET /plaintext HTTP/1.0\r\n\r\n")
    [(status, headers, body)] = parse_responses(read_until_closed(sock))
    assert status == 200 and headers["connection"] == "close" and body == b"Hello, World!"

    sock = apus.connect()
    sock.sendall(b"GET /plaintext HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
    status, headers, _ = read_response(sock)
    assert status == 200 and headers["connection"] == "keep-alive"
    sock.sendall(b"GET /json HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
    assert read_response(sock)[0] == 200


def test_connection_close_is_honoured(apus):
    sock = apus.connect()
    sock.sendall(b"GET /plaintext HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    [(status, headers, _)] = parse_responses(read_until_closed(sock))
    assert status == 200 and headers["connection"] == "close"


def test_head_has_length_but_no_body(apus):
    sock = apus.connect()
    sock.sendall(b"HEAD /plaintext HTTP/1.1\r\nHost: x\r\n\r\nGET /json HTTP/1.1\r\nHost: x\r\n\r\n")
    data = b""
    while data.count(b"HTTP/1.1") < 2 or not data.endswith(b"}"):
        data += sock.recv(65536)
    head, _, rest = data.partition(b"\r\n\r\n")
    assert b"content-length: 13" in head.lower()
    assert rest.startswith(b"HTTP/1.1 200")


def test_not_found_and_method_not_allowed(apus):
    sock = apus.connect()
    sock.sendall(b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n")
    status, _, body = read_response(sock)
    assert status == 404 and json.loads(body) == {"detail": "Not Found"}
    sock.sendall(b"DELETE /plaintext HTTP/1.1\r\nHost: x\r\n\r\n")
    status, headers, body = read_response(sock)
    assert status == 405 and json.loads(body) == {"detail": "Method Not Allowed"}
    assert headers["allow"] == "GET, HEAD"
    # an extension method is the router's business, not a parse error
    sock.sendall(b"PURGE /plaintext HTTP/1.1\r\nHost: x\r\n\r\n")
    assert read_response(sock)[0] == 405


def test_path_parameters_and_percent_decoding(apus):
    sock = apus.connect()
    sock.sendall(b"GET /items/42?q=1 HTTP/1.1\r\nHost: x\r\n\r\n")
    status, _, body = read_response(sock)
    assert status == 200 and json.loads(body) == {"item_id": 42}
    sock.sendall(b"GET /items/%34%32 HTTP/1.1\r\nHost: x\r\n\r\n")
    assert json.loads(read_response(sock)[2]) == {"item_id": 42}
    sock.sendall(b"GET /items/abc HTTP/1.1\r\nHost: x\r\n\r\n")
    assert read_response(sock)[0] == 404
