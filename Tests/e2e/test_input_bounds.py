"""What a client sends is held within bounds, whatever it does: pipelining faster than its
requests are answered, or not reading its responses at all."""
import socket
import threading
import time


def rss_kib(pid):
    return int(open(f"/proc/{pid}/status").read().split("VmRSS:")[1].split()[0])


def test_a_client_pipelining_faster_than_it_is_answered_is_held_to_the_limit(start_apus):
    # Each /delay/1 answer takes a millisecond; the client sends requests as fast as it can and
    # reads the answers. Reading on every answer once used to add a whole socket read (64 KiB)
    # per request answered: about 45 MB a second.
    server = start_apus()
    baseline = rss_kib(server.pid)
    sock = server.connect()
    stop = time.monotonic() + 3
    batch = b"GET /delay/1 HTTP/1.1\r\nHost: x\r\n\r\n" * 200
    answered = []

    def read():
        total = 0
        sock.settimeout(1)
        while time.monotonic() < stop:
            try:
                data = sock.recv(1 << 20)
            except OSError:
                continue
            if not data:
                break
            total += len(data)
        answered.append(total)

    reader = threading.Thread(target=read)
    reader.start()
    sock.setblocking(False)
    while time.monotonic() < stop:
        try:
            sock.send(batch)
        except BlockingIOError:
            time.sleep(0.001)
    grown = rss_kib(server.pid) - baseline
    reader.join()
    sock.close()
    assert answered and answered[0] > 0, "no request was answered"
    assert grown < 16 * 1024, f"the server grew {grown} KiB for one pipelining client"


def test_clients_that_never_read_cost_a_bounded_amount_each(start_apus):
    server = start_apus("--limit-write-buffer", "262144")
    baseline = rss_kib(server.pid)
    clients = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(10)]
    for client in clients:
        client.setblocking(False)
    batch = b"GET /plaintext HTTP/1.1\r\nHost: x\r\n\r\n" * 500
    stop = time.monotonic() + 3
    while time.monotonic() < stop:
        for client in clients:
            try:
                client.send(batch)
            except BlockingIOError:
                pass
        time.sleep(0.001)
    grown = rss_kib(server.pid) - baseline
    for client in clients:
        client.close()
    # Per connection: its queued answers (the write limit) and its held input (the pipeline
    # limit), with room for the allocator.
    assert grown < 10 * 1024 + 10 * 1024, f"the server grew {grown} KiB for 10 clients that never read"
