"""Many concurrent connections."""
import resource
import selectors
import socket
import time

H = b"Host: x\r\n"


def test_thousand_concurrent_keep_alive_connections(apus):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
    count = 1000
    socks = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", apus.port), timeout=10)
        socks.append(sock)
    # every connection is open before any request; then two requests each, all in flight at once
    for round_ in range(2):
        selector = selectors.DefaultSelector()
        for sock in socks:
            sock.sendall(b"GET /plaintext HTTP/1.1\r\n" + H + b"\r\n")
            sock.setblocking(False)
            selector.register(sock, selectors.EVENT_READ, bytearray())
        answered = 0
        deadline = time.monotonic() + 30
        while answered < count and time.monotonic() < deadline:
            for key, _ in selector.select(timeout=1):
                data = key.fileobj.recv(65536)
                assert data, "connection closed by the server"
                key.data.extend(data)
                if key.data.endswith(b"Hello, World!"):
                    assert key.data.startswith(b"HTTP/1.1 200 OK")
                    selector.unregister(key.fileobj)
                    key.fileobj.setblocking(True)
                    answered += 1
        selector.close()
        assert answered == count, f"round {round_}: {answered} of {count} answered"
    for sock in socks:
        sock.close()
