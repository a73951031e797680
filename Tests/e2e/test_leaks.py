"""No reference or memory leaks on the request path: 100,000 requests through the benchmark
app leave the server's RSS within 5 MiB of where it was after the first 10,000."""
import socket
import threading

from conftest import APPS, ApusServer

BODY = b'{"name":"Widget","price":9.99,"tags":["a","b"]}'
REQUESTS = [
    b"GET /plaintext HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /json HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /items/42?q=foo HTTP/1.1\r\nHost: x\r\n\r\n",
    b"POST /items HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(BODY), BODY),
    b"GET /async/json HTTP/1.1\r\nHost: x\r\n\r\n",
    b"POST /async/items HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(BODY), BODY),
    b"GET /items/abc HTTP/1.1\r\nHost: x\r\n\r\n",  # 422
    b"GET /missing HTTP/1.1\r\nHost: x\r\n\r\n",  # HTTPException
    b"GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n",  # 404 from the router
]
CRASH = b"GET /crash HTTP/1.1\r\nHost: x\r\n\r\n"  # 500 with a logged traceback


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        return int(status.read().split("VmRSS:")[1].split()[0])


def drive(port, total, connections=8, batch=50):
    """Sends `total` requests over keep-alive connections, pipelined `batch` at a time."""
    per_connection = total // connections
    errors = []

    def one():
        sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        sent = 0
        try:
            while sent < per_connection:
                n = min(batch, per_connection - sent)
                payload = b"".join(REQUESTS[(sent + i) % len(REQUESTS)] for i in range(n - 1)) + CRASH
                sock.sendall(payload)
                received = 0
                buffer = b""
                while received < n:
                    chunk = sock.recv(1 << 16)
                    if not chunk:
                        raise ConnectionError("closed by the server")
                    buffer += chunk
                    received = buffer.count(b"HTTP/1.1 ")
                sent += n
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            sock.close()

    threads = [threading.Thread(target=one) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors


def test_rss_is_flat_over_100k_requests():
    server = ApusServer("bench_app:app", "--app-dir", APPS, "--port", "0", "--no-access-log")
    try:
        drive(server.port, 10_000)
        baseline = rss_kib(server.pid)
        drive(server.port, 90_000)
        after = rss_kib(server.pid)
        print(f"RSS after 10k requests: {baseline} KiB; after 100k: {after} KiB")
        assert after - baseline < 5 * 1024, (baseline, after)
    finally:
        server.stop()
