"""Bodies by Content-Length and chunked coding, pipelining, Expect: 100-continue."""
import time

from conftest import parse_responses, read_response, read_until_closed

H = b"Host: x\r\n"


def test_three_pipelined_requests_in_one_write_answered_in_order(apus):
    sock = apus.connect()
    sock.sendall(
        b"GET /delay/150 HTTP/1.1\r\n" + H + b"\r\n"
        b"POST /echo HTTP/1.1\r\n" + H + b"Content-Length: 5\r\n\r\nfirst"
        b"GET /json HTTP/1.1\r\n" + H + b"Connection: close\r\n\r\n")
    responses = parse_responses(read_until_closed(sock))
    assert [r[0] for r in responses] == [200, 200, 200]
    assert responses[0][2] == b"waited 150 ms"
    assert responses[1][2] == b"first"
    assert responses[2][2] == b'{"message":"Hello, World!"}'


def test_content_length_body_split_across_writes(apus):
    sock = apus.connect()
    body = b"0123456789" * 100
    sock.sendall(b"POST /echo HTTP/1.1\r\n" + H + b"Content-Length: %d\r\n\r\n" % len(body))
    for i in range(0, len(body), 100):
        sock.sendall(body[i:i + 100])
        time.sleep(0.002)
    assert read_response(sock)[2] == body


def test_chunked_body_split_across_many_writes(apus):
    sock = apus.connect()
    payload = [b"hello ", b"chunked ", b"world", b"x" * 5000]
    encoded = b"".join(b"%x;ext=1\r\n%s\r\n" % (len(p), p) for p in payload) + b"0\r\nX-Trailer: yes\r\n\r\n"
    raw = b"POST /echo HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n" + encoded
    # one byte at a time for the head and chunk framing, bigger pieces for the data
    for i in range(0, len(raw), 7):
        sock.sendall(raw[i:i + 7])
    status, _, body = read_response(sock)
    assert status == 200 and body == b"".join(payload)
    # the connection is still usable after a chunked request
    sock.sendall(b"GET /plaintext HTTP/1.1\r\n" + H + b"\r\n")
    assert read_response(sock)[0] == 200


def test_empty_chunked_body(apus):
    sock = apus.connect()
    sock.sendall(b"POST /echo HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
    status, headers, body = read_response(sock)
    assert status == 200 and body == b"" and headers["content-length"] == "0"


def test_expect_100_continue(apus):
    sock = apus.connect()
    sock.sendall(b"POST /echo HTTP/1.1\r\n" + H + b"Expect: 100-continue\r\nContent-Length: 4\r\n\r\n")
    sock.settimeout(5)
    interim = sock.recv(65536)
    assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
    sock.sendall(b"ping")
    assert read_response(sock)[2] == b"ping"


def test_expect_100_continue_waits_for_the_handler_to_read(start_app):
    # A path the app refuses without reading the body: the refusal, no invitation to send the
    # body, and the connection closes (the client may still be waiting to send it).
    server = start_app("raw_asgi:app")
    sock = server.connect()
    sock.sendall(b"POST /no-such-path HTTP/1.1\r\n" + H + b"Expect: 100-continue\r\nContent-Length: 1000\r\n\r\n")
    data = read_until_closed(sock)
    assert not data.startswith(b"HTTP/1.1 100"), data[:60]
    status = int(data.split(b" ")[1])
    assert status == 404 and b"connection: close" in data.lower()
    # A handler that reads gets the body after the invitation.
    sock = server.connect()
    sock.sendall(b"POST /echo HTTP/1.1\r\n" + H + b"Expect: 100-continue\r\nContent-Length: 4\r\n\r\n")
    sock.settimeout(5)
    assert sock.recv(65536) == b"HTTP/1.1 100 Continue\r\n\r\n"
    sock.sendall(b"ping")
    assert read_response(sock)[2] == b"ping"


def test_expect_100_continue_refused_when_body_too_large(start_apus):
    server = start_apus("--limit-request-body-size", "10")
    sock = server.connect()
    sock.sendall(b"POST /echo HTTP/1.1\r\n" + H + b"Expect: 100-continue\r\nContent-Length: 11\r\n\r\n")
    assert [r[0] for r in parse_responses(read_until_closed(sock))] == [413]


def test_slow_reader_does_not_grow_server_memory_without_bound(start_apus):
    """A client that pipelines many requests and never reads: the server stops reading."""
    server = start_apus("--limit-write-buffer", "65536")
    sock = server.connect()
    sock.setblocking(False)
    request = b"GET /json HTTP/1.1\r\n" + H + b"\r\n"
    sent = 0
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        try:
            sent += sock.send(request * 256)
        except BlockingIOError:
            time.sleep(0.05)
    # Without backpressure the server would read all of it and queue a response for each;
    # with it, only socket buffers and the bounded queues fill, and the client's sends stall.
    rss_kib = int(open(f"/proc/{server.pid}/status").read().split("VmRSS:")[1].split()[0])
    print(f"client managed to send {sent} bytes; server RSS {rss_kib} KiB")
    assert sent < 32 * 1024 * 1024, f"server kept reading: {sent} bytes accepted"
    assert rss_kib < 100 * 1024, f"server RSS {rss_kib} KiB after {sent} bytes of unread requests"
    sock.close()
