#!/usr/bin/env python3
"""HTTP/2 in the clear (h2c, prior knowledge): FastAPI's `/json` (the peer matrix's sync app)
served by Apus, by Granian (`--http 2`) and by Hypercorn, each on the interpreter Apus embeds
(Debian's python3.11; Granian and Hypercorn in a venv of their own, made here), in the same run,
rounds alternated; `h2load -c64 -m10` (64 connections, 10 streams at once on each), server on CPU 0
and load on CPU 1. Apus over HTTP/1.1 (`wrk -c64`) is measured alongside, for its own
HTTP/1.1-to-HTTP/2 ratio.

  .venv/bin/python bench/http2.py --apus .build/release/apus [--rounds 3] [--duration 5]
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from http_core import PEERS, ROOT, serving, wait_ready, wrk  # noqa: E402

APPS = os.path.join(PEERS, "apps")
VENV = os.path.join(ROOT, ".venv")
PEER_PACKAGES = ["granian==2.8.7", "hypercorn==0.18.0"]


def peer_venv():
    """Granian and Hypercorn with the app's packages, on Debian's python3.11 (scripts/venv-with.sh)."""
    folder = subprocess.run([os.path.join(ROOT, "scripts", "venv-with.sh"), ".build/venv-http2-peers", *PEER_PACKAGES,
                             "-r", "requirements.txt"], check=True, capture_output=True, text=True,
                            cwd=ROOT).stdout.strip().splitlines()[-1]
    return os.path.join(ROOT, folder)


def h2load(port, path, duration, connections=64, streams=10):
    """h2load on CPU 1: requests/s; any failed, errored or non-2xx request fails the run."""
    out = subprocess.run(
        ["taskset", "-c", "1", "h2load", "-c", str(connections), "-m", str(streams), "-D", str(duration),
         f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True, check=True).stdout
    done = re.search(r"requests: \d+ total, \d+ started, \d+ done, \d+ succeeded, (\d+) failed, (\d+) errored", out)
    codes = re.search(r"status codes: \d+ 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", out)
    if not done or not codes or any(int(count) for count in done.groups() + codes.groups()):
        raise RuntimeError(f"failed requests:\n{out}")
    return float(re.search(r"finished in [\d.]+\w+, ([\d.]+) req/s", out).group(1))


def wait_h2(port, path, timeout=60):
    """Until the server answers one HTTP/2 request (Granian with `--http 2` answers no HTTP/1.1)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        out = subprocess.run(["h2load", "-n", "1", "-c", "1", f"http://127.0.0.1:{port}{path}"],
                             capture_output=True, text=True).stdout
        if "1 succeeded" in out and "status codes: 1 2xx" in out:
            return
        time.sleep(0.1)
    raise RuntimeError(f"no HTTP/2 answer on port {port}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--apus", default=os.path.join(ROOT, ".build", "release", "apus"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=2)
    args = parser.parse_args()
    peers = peer_venv()
    quiet = ["--no-access-log", "--log-level", "warning"]
    servers = {
        "apus": ["env", f"VIRTUAL_ENV={VENV}", os.path.abspath(args.apus), "run", "fastapi_sync:app", "--app-dir", APPS,
                 "--port", "{port}", *quiet],
        "granian": [f"{peers}/bin/granian", "--interface", "asgi", "--workers", "1", "--http", "2", "--host",
                    "127.0.0.1", "--port", "{port}", "--log-level", "warning", "--working-dir", APPS, "fastapi_sync:app"],
        "hypercorn": [f"{peers}/bin/hypercorn", "--bind", "127.0.0.1:{port}", "--workers", "1", "--log-level", "warning",
                      "fastapi_sync:app"],
    }
    results = {name: [] for name in servers}
    results["apus HTTP/1.1 (wrk -c64)"] = []
    for round_ in range(args.rounds):
        for name in (list(servers) if round_ % 2 == 0 else list(reversed(servers))):
            environment = {**os.environ, "PYTHONPATH": APPS}
            with serving(servers[name], env=environment) as port:
                wait_h2(port, "/json")
                h2load(port, "/json", args.warmup)
                rps = h2load(port, "/json", args.duration)
                results[name].append(rps)
                print(f"round {round_ + 1}  {name:10} {rps:>9,.0f} req/s (HTTP/2)", flush=True)
                if name == "apus":
                    wait_ready(port, "/json")
                    load = wrk(port, "/json", args.duration)
                    results["apus HTTP/1.1 (wrk -c64)"].append(load.rps)
                    print(f"round {round_ + 1}  {name:10} {load.rps:>9,.0f} req/s (HTTP/1.1)", flush=True)
    medians = {name: statistics.median(values) for name, values in results.items()}
    print(f"\nHTTP/2 /json, h2load -c64 -m10, median of {args.rounds}:")
    for name, value in medians.items():
        print(f"  {name:26} {value:>9,.0f} req/s   apus/this = {medians['apus'] / value:.2f}x")


if __name__ == "__main__":
    main()
