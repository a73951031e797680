#!/usr/bin/env python3
"""What a burst of new TLS clients does to the clients already connected: the latency of
requests on one open HTTPS connection (FastAPI's `/json`, one at a time) while 16 threads open
new connections as fast as they can (handshake, one request, close), against an RSA-4096 key,
whose signature makes each handshake costly. Two `apus` binaries are compared in the same run,
rounds alternated (`--before`: a build whose handshakes ran on the loop thread). The server runs
on CPU 0 (its loop and libuv's pool alike), the clients on CPU 1.

  .venv/bin/python bench/tls_handshakes.py --apus .build/release/apus --before OTHER/apus [--rounds 3]
"""
import argparse
import http.client
import os
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from http_core import PEERS, ROOT, serving  # noqa: E402
from tls import wait_tls  # noqa: E402

APPS = os.path.join(PEERS, "apps")
VENV = os.path.join(ROOT, ".venv")


def certificate(folder):
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:4096", "-nodes", "-keyout", "key.pem", "-out", "cert.pem",
                    "-subj", "/CN=localhost", "-days", "1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   cwd=folder, check=True, capture_output=True)
    return os.path.join(folder, "cert.pem"), os.path.join(folder, "key.pem")


def measure(port, seconds, flooders):
    context = ssl._create_unverified_context()
    stop = threading.Event()
    handshakes = []

    def flood():
        count = 0
        while not stop.is_set():
            connection = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=30)
            try:
                connection.request("GET", "/json")
                connection.getresponse().read()
                count += 1
            except OSError:
                pass
            finally:
                connection.close()
        handshakes.append(count)

    probe = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=30)
    probe.request("GET", "/json")
    probe.getresponse().read()
    threads = [threading.Thread(target=flood) for _ in range(flooders)]
    for thread in threads:
        thread.start()
    time.sleep(0.5)
    latencies = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        started = time.perf_counter()
        probe.request("GET", "/json")
        probe.getresponse().read()
        latencies.append((time.perf_counter() - started) * 1000)
        time.sleep(0.005)
    stop.set()
    for thread in threads:
        thread.join()
    probe.close()
    latencies.sort()
    return (statistics.median(latencies), latencies[int(len(latencies) * 0.99)], latencies[-1],
            sum(handshakes) / (seconds + 0.5))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--apus", default=os.path.join(ROOT, ".build", "release", "apus"))
    parser.add_argument("--before", required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--flooders", type=int, default=16)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        cert, key = certificate(folder)
        builds = {"before": args.before, "after": args.apus}
        results = {name: [] for name in builds}
        for round_ in range(args.rounds):
            for name in (list(builds) if round_ % 2 == 0 else list(reversed(builds))):
                command = ["env", f"VIRTUAL_ENV={VENV}", os.path.abspath(builds[name]), "run", "fastapi_sync:app",
                           "--app-dir", APPS, "--port", "{port}", "--no-access-log", "--log-level", "warning",
                           "--ssl-certfile", cert, "--ssl-keyfile", key]
                with serving(command) as port:
                    wait_tls(port)
                    # The clients on CPU 1, as the server is on CPU 0.
                    os.sched_setaffinity(0, {1})
                    p50, p99, worst, rate = measure(port, args.duration, args.flooders)
                    results[name].append((p50, p99, worst, rate))
                    print(f"round {round_ + 1}  {name:6}  probe p50 {p50:7.2f} ms  p99 {p99:7.2f} ms  max {worst:7.2f} ms"
                          f"  new connections {rate:6.0f}/s", flush=True)
        print(f"\nmedians of {args.rounds} rounds (probe latency while {args.flooders} threads open TLS connections):")
        for name, rows in results.items():
            columns = [statistics.median(row[index] for row in rows) for index in range(4)]
            print(f"  {name:6}  p50 {columns[0]:7.2f} ms  p99 {columns[1]:7.2f} ms  max {columns[2]:7.2f} ms  "
                  f"new connections {columns[3]:6.0f}/s")


if __name__ == "__main__":
    main()
