#!/usr/bin/env python3
"""WebSocket echo throughput and memory per idle connection: Apus against the same FastAPI app
(bench/apps/ws_echo.py) on uvicorn (its default, websockets' sans-I/O protocol) and Granian, alternated round by round.
Ratios are from the same run; absolute numbers vary.

Throughput: bench/wsload (Go, built on first use) keeps --connections connections each sending a
64-byte text message and waiting for its echo; server pinned to CPU 0, load to CPU 1.
Memory: the server's RSS growth for --idle connections that opened a session and stay silent,
per connection (the Python objects of the app's session included).

  .venv/bin/python bench/websockets.py --apus .build/release/apus [--rounds 3] [--duration 5]

uvicorn and Granian run from ${PEERS_VENV:-/tmp/peers/venv} (made by
../shared/bench/peers/run.sh); a peer that venv lacks is skipped.
"""
import argparse
import base64
import json
import os
import socket
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from http_core import serving, wait_ready  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
APPS = os.path.join(ROOT, "bench", "apps")
PEERS_VENV = os.environ.get("PEERS_VENV", "/tmp/peers/venv")
LOAD = os.path.join(ROOT, ".build", "bench", "wsload")


def build_load():
    source = os.path.join(ROOT, "bench", "wsload")
    if not os.path.exists(LOAD) or os.path.getmtime(os.path.join(source, "main.go")) > os.path.getmtime(LOAD):
        os.makedirs(os.path.dirname(LOAD), exist_ok=True)
        subprocess.run(["go", "build", "-o", LOAD, "."], cwd=source, check=True,
                       env={**os.environ, "GOFLAGS": "-mod=mod", "GOCACHE": os.path.join(ROOT, ".build", "go-cache")})


def servers(apus):
    found = {"apus": [apus, "run", "ws_echo:app", "--app-dir", APPS, "--port", "{port}", "--no-access-log",
                      "--log-level", "warning"]}
    uvicorn = os.path.join(PEERS_VENV, "bin", "uvicorn")
    if os.path.exists(uvicorn):
        # uvicorn's default WebSocket implementation (`auto`: websockets' sans-I/O protocol), as
        # its users run it; `--ws websockets` (the legacy one) is slower.
        found["uvicorn"] = [uvicorn, "--app-dir", APPS, "ws_echo:app", "--port", "{port}", "--log-level", "warning",
                            "--no-access-log"]
    granian = os.path.join(PEERS_VENV, "bin", "granian")
    if os.path.exists(granian):
        found["granian"] = [granian, "--interface", "asgi", "--workers", "1", "--host", "127.0.0.1", "--port", "{port}",
                            "--log-level", "warning", "ws_echo:app"]
    return found


def echo(port, connections, duration):
    out = subprocess.run(["taskset", "-c", "1", LOAD, "-addr", f"127.0.0.1:{port}", "-path", "/ws",
                          "-c", str(connections), "-d", f"{duration}s"], capture_output=True, text=True, check=True)
    result = json.loads(out.stdout)
    if result["failures"]:
        raise RuntimeError(f"{result['failures']} connections failed")
    return result


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        return int(status.read().split("VmRSS:")[1].split()[0])


def server_pid(port):
    """The process listening on `port` (the server, not the taskset that started it)."""
    out = subprocess.run(["ss", "-ltnpH", f"sport = :{port}"], capture_output=True, text=True).stdout
    return int(out.split("pid=")[1].split(",")[0])


def open_idle(port, count):
    sockets = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", port))
        key = base64.b64encode(os.urandom(16)).decode()
        sock.sendall(f"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode())
        head = b""
        while b"\r\n\r\n" not in head:
            head += sock.recv(4096)
        assert head.startswith(b"HTTP/1.1 101"), head[:40]
        sockets.append(sock)
    return sockets


def idle_memory(port, count):
    pid = server_pid(port)
    before = rss_kib(pid)
    sockets = open_idle(port, count)
    time.sleep(1)
    after = rss_kib(pid)
    for sock in sockets:
        sock.close()
    return (after - before) / count


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--apus", required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--idle", type=int, default=2000)
    args = parser.parse_args()
    build_load()
    found = servers(os.path.abspath(args.apus))
    rates = {name: [] for name in found}
    p50 = {name: [] for name in found}
    memory = {name: [] for name in found}
    env = {**os.environ, "VIRTUAL_ENV": os.path.join(ROOT, ".venv"), "PYTHONPATH": APPS}
    for round_number in range(args.rounds):
        for name, command in found.items():
            with serving(command, env=env) as port:
                wait_ready(port)
                echo(port, 8, 1)  # warm-up
                result = echo(port, args.connections, args.duration)
                rates[name].append(result["messages_per_second"])
                p50[name].append(result["p50_ms"])
                if round_number == 0:
                    memory[name].append(idle_memory(port, args.idle))
            print(f"round {round_number + 1} {name}: {result['messages_per_second']:.0f} messages/s", file=sys.stderr)
    apus_rate = statistics.median(rates["apus"])
    print(f"{'server':10} {'messages/s':>12} {'apus/x':>8} {'p50 ms':>8} {'KiB/idle session':>17}")
    for name in found:
        rate = statistics.median(rates[name])
        print(f"{name:10} {rate:12.0f} {apus_rate / rate:8.2f} {statistics.median(p50[name]):8.2f} "
              f"{statistics.median(memory[name]):17.1f}")


if __name__ == "__main__":
    main()
