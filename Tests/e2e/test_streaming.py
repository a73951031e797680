"""Streamed responses: chunked on HTTP/1.1, close-delimited on HTTP/1.0, bounded for slow readers."""
import time

from conftest import read_until_closed

H = b"Host: x\r\n"


def dechunk(data):
    body = b""
    while True:
        size_line, _, data = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            assert data.startswith(b"\r\n")
            return body, data[2:]
        body += data[:size]
        assert data[size:size + 2] == b"\r\n"
        data = data[size + 2:]


def test_chunked_stream_then_the_next_request_on_the_same_connection(apus):
    sock = apus.connect()
    sock.sendall(b"GET /stream/5 HTTP/1.1\r\n" + H + b"\r\nGET /plaintext HTTP/1.1\r\n" + H + b"Connection: close\r\n\r\n")
    data = read_until_closed(sock)
    head, _, rest = data.partition(b"\r\n\r\n")
    assert b"transfer-encoding: chunked" in head.lower() and b"content-length" not in head.lower()
    body, rest = dechunk(rest)
    assert body == b"".join(b"chunk %d\n" % i for i in range(5))
    assert rest.startswith(b"HTTP/1.1 200 OK") and rest.endswith(b"Hello, World!")


def test_http10_stream_ends_with_the_connection(apus):
    sock = apus.connect()
    sock.sendall(b"GET /stream/3 HTTP/1.0\r\n\r\n")
    head, _, body = read_until_closed(sock).partition(b"\r\n\r\n")
    assert b"connection: close" in head.lower() and b"transfer-encoding" not in head.lower()
    assert body == b"chunk 0\nchunk 1\nchunk 2\n"


def test_head_of_a_stream_has_no_body(apus):
    sock = apus.connect()
    sock.sendall(b"HEAD /stream/3 HTTP/1.1\r\n" + H + b"\r\nGET /plaintext HTTP/1.1\r\n" + H + b"Connection: close\r\n\r\n")
    data = read_until_closed(sock)
    first, _, rest = data.partition(b"\r\n\r\n")
    assert first.startswith(b"HTTP/1.1 200") and rest.startswith(b"HTTP/1.1 200 OK")


def rss_kib(pid):
    return int(open(f"/proc/{pid}/status").read().split("VmRSS:")[1].split()[0])


def test_a_client_that_does_not_read_a_stream_holds_back_the_writer(start_apus):
    server = start_apus("--limit-write-buffer", "65536")
    baseline = rss_kib(server.pid)
    sock = server.connect()
    sock.sendall(b"GET /stream/1000000 HTTP/1.1\r\n" + H + b"\r\n")  # about 14 MB if produced in full
    time.sleep(2)
    grown = rss_kib(server.pid) - baseline
    assert grown < 8 * 1024, f"server grew {grown} KiB for a client that reads nothing"
    # the stream is alive: reading resumes it
    sock.settimeout(10)
    received = b""
    while len(received) < 4 << 20:
        chunk = sock.recv(1 << 20)
        assert chunk
        received += chunk
    sock.close()
    # the writer learns the client is gone and stops; the server goes on serving
    check = server.connect()
    check.sendall(b"GET /plaintext HTTP/1.1\r\n" + H + b"Connection: close\r\n\r\n")
    assert read_until_closed(check).endswith(b"Hello, World!")
