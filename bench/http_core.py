#!/usr/bin/env python3
"""HTTP core benchmark: `apus run --hello` against the C libuv reference server, interleaved.

Server pinned to CPU 0, wrk (-t1 -c64) pinned to CPU 1, as in the peer matrix of
../shared/bench/peers. Prints requests/s and p99 per round, then the ratios of the medians.

  bench/http_core.py --apus .build/release/apus [--rounds 3] [--duration 10]
"""
import argparse
import collections
import contextlib
import os
import re
import socket
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PEERS = os.environ.get("APUS_PEERS_DIR", os.path.join(ROOT, "..", "shared", "bench", "peers"))
SCRATCH = os.path.join(ROOT, ".build", "bench")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_cserver():
    source = os.path.join(PEERS, "cserver", "hello_uv.c")
    binary = os.path.join(SCRATCH, "hello_uv")
    os.makedirs(SCRATCH, exist_ok=True)
    if not os.path.exists(binary) or os.path.getmtime(source) > os.path.getmtime(binary):
        subprocess.run(["gcc", "-O2", "-Wall", "-o", binary, source, "-luv"], check=True)
    return binary


def wait_ready(port, path="/plaintext", timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
                if s.recv(1024).startswith(b"HTTP/1.1 200"):
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"server on port {port} did not answer {path}")


def to_ms(text):
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


Load = collections.namedtuple("Load", "rps p50 p99")


def wrk(port, path, duration, connections=64, scheme="http"):
    """wrk -t1 on CPU 1: requests/s and the p50 and p99 latencies (ms); any non-2xx fails."""
    out = subprocess.run(
        ["taskset", "-c", "1", "wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency",
         f"{scheme}://127.0.0.1:{port}{path}"], capture_output=True, text=True, check=True).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"{errors.group(1)} non-2xx responses:\n{out}")
    rps = float(re.search(r"Requests/sec:\s*([\d.]+)", out).group(1))
    percentile = lambda p: to_ms(re.search(rf"^\s*{p}%\s+(\S+)", out, re.M).group(1))  # noqa: E731
    return Load(rps, percentile(50), percentile(99))


@contextlib.contextmanager
def serving(command, env=None):
    """The server of `command` (its "{port}" filled in) running on CPU 0; yields its port."""
    port = free_port()
    argv = [part.replace("{port}", str(port)) for part in command]
    proc = subprocess.Popen(["taskset", "-c", "0", *argv], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def measure(name, command, duration, warmup):
    with serving(command) as port:
        wait_ready(port)
        wrk(port, "/plaintext", warmup)
        load = wrk(port, "/plaintext", duration)
        return load.rps, load.p99


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--apus", default=os.path.join(ROOT, ".build", "release", "apus"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    args = parser.parse_args()

    servers = {
        "apus --hello": [os.path.abspath(args.apus), "run", "--hello", "--port", "{port}", "--no-access-log",
                         "--log-level", "warning"],
        "c-libuv": [build_cserver(), "{port}"],
    }
    results = {name: [] for name in servers}
    for round_ in range(args.rounds):
        order = list(servers) if round_ % 2 == 0 else list(reversed(servers))
        for name in order:
            rps, p99 = measure(name, servers[name], args.duration, args.warmup)
            results[name].append((rps, p99))
            print(f"round {round_ + 1}  {name:14s} {rps:>10,.0f} req/s   p99 {p99:6.2f} ms", flush=True)

    print("\nGET /plaintext, wrk -t1 -c64, server on CPU 0, client on CPU 1 (median of rounds)")
    medians = {}
    for name, runs in results.items():
        rps = statistics.median(r for r, _ in runs)
        p99 = statistics.median(p for _, p in runs)
        medians[name] = (rps, p99)
        print(f"  {name:14s} {rps:>10,.0f} req/s   p99 {p99:6.2f} ms")
    (a_rps, a_p99), (c_rps, c_p99) = medians["apus --hello"], medians["c-libuv"]
    print(f"\nratio apus/c-libuv: requests/s {a_rps / c_rps:.2f}x, p99 {a_p99 / c_p99:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
