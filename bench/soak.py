#!/usr/bin/env python3
"""Soak: mixed load on Apus for --duration seconds (10 minutes by default) while the server's
RSS, threads and open descriptors are sampled every second. It fails if any of them grows after
the first minute: RSS by more than --rss-slack-kib over its level then; descriptors past the
most seen in that minute plus one per load client (each client's connection may or may not be
open at a sample); threads past that minute's most plus two (the executor pool may start a
thread when a burst blocks its threads, up to --threads; a leak would pass any such margin
within minutes).

The load, from client threads in this process: keep-alive JSON requests, 422s, 500s, 256 KiB
uploads, server-sent-event streams the client abandons, WebSocket sessions (closed properly,
or dropped without a close frame), and bursts of 50 pipelined requests.

  .venv/bin/python bench/soak.py --apus .build/release/apus [--duration 600]
"""
import argparse
import base64
import json
import os
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from http_core import serving, wait_ready  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
APPS = os.path.join(ROOT, "bench", "apps")
HOST = b"Host: soak\r\n"


def read_response(sock, buffer=b""):
    """One content-length or chunked response: (status, rest of the buffer)."""
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        buffer += chunk
    head, _, buffer = buffer.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(buffer) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        buffer += chunk
    return status, buffer[length:]


class Load:
    def __init__(self, port, stop):
        self.port = port
        self.stop = stop
        self.counts = {}
        self.errors = []
        self.lock = threading.Lock()

    def count(self, kind, ok=True, detail=""):
        if self.stop.is_set():
            return  # the server is being stopped under the clients
        with self.lock:
            self.counts[kind] = self.counts.get(kind, 0) + 1
            if not ok and len(self.errors) < 20:
                self.errors.append(f"{kind}: {detail}")

    def connect(self):
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock

    def requests(self, kind, request, expected):
        while not self.stop.is_set():
            try:
                with self.connect() as sock:
                    buffer = b""
                    for _ in range(100):
                        if self.stop.is_set():
                            break
                        sock.sendall(request)
                        status, buffer = read_response(sock, buffer)
                        self.count(kind, status == expected, status)
            except OSError as error:
                self.count(kind, False, repr(error))

    def pipelined(self):
        request = b"GET /plaintext HTTP/1.1\r\n" + HOST + b"\r\n"
        while not self.stop.is_set():
            try:
                with self.connect() as sock:
                    sock.sendall(request * 50)
                    buffer = b""
                    for _ in range(50):
                        status, buffer = read_response(sock, buffer)
                        self.count("pipelined", status == 200, status)
            except OSError as error:
                self.count("pipelined", False, repr(error))

    def abandoned_streams(self):
        while not self.stop.is_set():
            try:
                with self.connect() as sock:
                    sock.sendall(b"GET /events HTTP/1.1\r\n" + HOST + b"\r\n")
                    data = b""
                    while data.count(b"tick") < 3:
                        data += sock.recv(4096)
                    self.count("abandoned stream", data.startswith(b"HTTP/1.1 200"))
            except OSError as error:
                self.count("abandoned stream", False, repr(error))
            time.sleep(0.05)

    def websockets(self):
        number = 0
        while not self.stop.is_set():
            number += 1
            try:
                with self.connect() as sock:
                    key = base64.b64encode(os.urandom(16))
                    sock.sendall(b"GET /ws HTTP/1.1\r\n" + HOST + b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
                                 b"Sec-WebSocket-Key: " + key + b"\r\nSec-WebSocket-Version: 13\r\n\r\n")
                    data = b""
                    while b"\r\n\r\n" not in data:
                        data += sock.recv(4096)
                    ok = data.startswith(b"HTTP/1.1 101")
                    rest = data.partition(b"\r\n\r\n")[2]
                    for _ in range(10):
                        payload = b"soak message"
                        sock.sendall(bytes([0x81, 0x80 | len(payload)]) + b"\0\0\0\0" + payload)
                        while len(rest) < 2 + len(payload):
                            rest += sock.recv(4096)
                        ok = ok and rest[2:2 + len(payload)] == payload
                        rest = rest[2 + len(payload):]
                    if number % 2:  # half close properly, half vanish
                        sock.sendall(bytes([0x88, 0x82]) + b"\0\0\0\0" + struct.pack("!H", 1000))
                    self.count("websocket session", ok)
            except OSError as error:
                self.count("websocket session", False, repr(error))

    def start(self):
        jobs = [
            lambda: self.requests("json", b"GET /json HTTP/1.1\r\n" + HOST + b"\r\n", 200),
            lambda: self.requests("422", b"POST /items HTTP/1.1\r\n" + HOST + b"Content-Type: application/json\r\n"
                                  b"Content-Length: 15\r\n\r\n{\"name\": false}", 422),
            lambda: self.requests("500", b"GET /boom HTTP/1.1\r\n" + HOST + b"\r\n", 500),
            lambda: self.requests("upload", b"POST /upload HTTP/1.1\r\n" + HOST + b"Content-Length: 262144\r\n\r\n"
                                  + b"u" * 262144, 200),
            self.pipelined, self.abandoned_streams, self.websockets,
        ]
        threads = [threading.Thread(target=job, daemon=True) for job in jobs]
        for thread in threads:
            thread.start()
        return threads


def sample(pid):
    with open(f"/proc/{pid}/status") as status:
        text = status.read()
    rss = int(text.split("VmRSS:")[1].split()[0])
    threads = int(text.split("Threads:")[1].split()[0])
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    return rss, threads, fds


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--apus", required=True)
    parser.add_argument("--duration", type=int, default=600)
    parser.add_argument("--warmup", type=int, default=60)
    parser.add_argument("--rss-slack-kib", type=int, default=4096)
    args = parser.parse_args()
    command = [os.path.abspath(args.apus), "run", "soak_app:app", "--app-dir", APPS, "--port", "{port}",
               "--no-access-log", "--log-level", "error"]
    env = {**os.environ, "VIRTUAL_ENV": os.path.join(ROOT, ".venv")}
    with serving(command, env=env) as port:
        wait_ready(port)
        pid = int(os.popen(f"ss -ltnpH 'sport = :{port}'").read().split("pid=")[1].split(",")[0])
        stop = threading.Event()
        load = Load(port, stop)
        clients = load.start()
        samples = []
        started = time.monotonic()
        while time.monotonic() - started < args.duration:
            time.sleep(1)
            samples.append((time.monotonic() - started, *sample(pid)))
        stop.set()
        for client in clients:
            client.join(15)
    warm = [s for s in samples if s[0] <= args.warmup]
    later = [s for s in samples if s[0] > args.warmup]
    rss_at_warm = warm[-1][1]
    limits = {"rss": rss_at_warm + args.rss_slack_kib, "threads": max(s[2] for s in warm) + 2,
              "fds": max(s[3] for s in warm) + len(clients)}
    peaks = {"rss": max(s[1] for s in later), "threads": max(s[2] for s in later), "fds": max(s[3] for s in later)}
    minutes = {}
    for elapsed, rss, threads, fds in samples:
        minute = minutes.setdefault(int(elapsed // 60) + 1, [0, 0, 0])
        minute[0], minute[1], minute[2] = max(minute[0], rss), max(minute[1], threads), max(minute[2], fds)
    report = {"duration_s": args.duration, "requests": load.counts, "errors": load.errors,
              "per_minute_max_rss_kib_threads_fds": minutes,
              "rss_kib_at_warmup": rss_at_warm, "rss_kib_end": samples[-1][1], "peaks_after_warmup": peaks,
              "limits": limits}
    print(json.dumps(report, indent=1))
    grew = [name for name in peaks if peaks[name] > limits[name]]
    if grew or load.errors:
        print(f"soak: FAIL: grew after the first minute: {grew}; errors: {len(load.errors)}", file=sys.stderr)
        return 1
    print("soak: memory, threads and descriptors flat after the first minute", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
