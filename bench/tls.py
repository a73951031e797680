#!/usr/bin/env python3
"""HTTPS: FastAPI's `/json` (the peer matrix's sync app) served over TLS by Apus and by uvicorn
with the same certificate (ECDSA P-256, made here), in the same run, rounds alternated; `wrk
-t1 -c64` over keep-alive connections (each connection's handshake once, then its records).

  .venv/bin/python bench/tls.py --apus .build/release/apus [--rounds 3] [--duration 5]
"""
import argparse
import os
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from http_core import PEERS, ROOT, serving, wrk  # noqa: E402

APPS = os.path.join(PEERS, "apps")
VENV = os.path.join(ROOT, ".venv")


def certificate(folder):
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", "key.pem", "-out", "cert.pem", "-subj", "/CN=localhost", "-days", "1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], cwd=folder, check=True, capture_output=True)
    return os.path.join(folder, "cert.pem"), os.path.join(folder, "key.pem")


def wait_tls(port, timeout=60):
    context = ssl._create_unverified_context()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as raw:
                with context.wrap_socket(raw) as sock:
                    sock.sendall(b"GET /json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    if sock.recv(64).startswith(b"HTTP/1.1 200"):
                        return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"no HTTPS answer on port {port}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--apus", default=os.path.join(ROOT, ".build", "release", "apus"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        cert, key = certificate(folder)
        tls = ["--ssl-certfile", cert, "--ssl-keyfile", key]
        common = ["--port", "{port}", "--no-access-log", "--log-level", "warning", *tls]
        servers = {
            "apus": ["env", f"VIRTUAL_ENV={VENV}", os.path.abspath(args.apus), "run", "fastapi_sync:app",
                     "--app-dir", APPS, *common],
            "uvicorn": [f"{VENV}/bin/uvicorn", "--app-dir", APPS, "fastapi_sync:app", *common],
        }
        results = {name: [] for name in servers}
        for round_ in range(args.rounds):
            for name in (list(servers) if round_ % 2 == 0 else list(reversed(servers))):
                with serving(servers[name]) as port:
                    wait_tls(port)
                    wrk(port, "/json", args.warmup, scheme="https")
                    rps = wrk(port, "/json", args.duration, scheme="https").rps
                    results[name].append(rps)
                    print(f"round {round_ + 1}  {name:8} {rps:>9,.0f} req/s", flush=True)
        apus, uvicorn = statistics.median(results["apus"]), statistics.median(results["uvicorn"])
        print(f"\nHTTPS /json, wrk -t1 -c64, median of {args.rounds}: apus/uvicorn = {apus / uvicorn:.2f}x")


if __name__ == "__main__":
    main()
