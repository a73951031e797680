#!/usr/bin/env python3
"""What `--metrics-port` costs: FastAPI's `/json` (the peer matrix's sync app) served by Apus with
and without the metrics, in the same run, rounds alternated; and, with --callgrind, the
instructions per request of each (repeatable, whatever else the machine does).

  .venv/bin/python bench/metrics_cost.py --apus .build/release/apus [--rounds 3] [--duration 10]
  .venv/bin/python bench/metrics_cost.py --apus .build/release/apus --callgrind
"""
import argparse
import glob
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from http_core import PEERS, ROOT, free_port, serving, wait_ready, wrk  # noqa: E402

APPS = os.path.join(PEERS, "apps")
VENV = os.path.join(ROOT, ".venv")


def command(apus, metrics):
    argv = ["env", f"VIRTUAL_ENV={VENV}", os.path.abspath(apus), "run", "fastapi_sync:app", "--app-dir", APPS,
            "--port", "{port}", "--no-access-log", "--log-level", "warning"]
    return argv + (["--metrics-port", "0"] if metrics else [])


def throughput(args):
    results = {False: [], True: []}
    for round_ in range(args.rounds):
        for metrics in ((False, True) if round_ % 2 == 0 else (True, False)):
            with serving(command(args.apus, metrics)) as port:
                wait_ready(port, "/json", timeout=60)
                wrk(port, "/json", args.warmup)
                rps = wrk(port, "/json", args.duration).rps
                results[metrics].append(rps)
                print(f"round {round_ + 1}  metrics {'on ' if metrics else 'off'}  {rps:>9,.0f} req/s", flush=True)
    off, on = statistics.median(results[False]), statistics.median(results[True])
    print(f"\n/json, wrk -t1 -c64, median of {args.rounds}: metrics on/off = {on / off:.3f} "
          f"(cost {(1 - on / off) * 100:.1f}%)")


def requests(port, count):
    with socket.create_connection(("127.0.0.1", port), timeout=120) as sock:
        for _ in range(count):
            sock.sendall(b"GET /json HTTP/1.1\r\nHost: x\r\n\r\n")
            received = b""
            while b"\r\n\r\n" not in received or not received.endswith(b"}"):
                chunk = sock.recv(65536)
                if not chunk:
                    raise SystemExit("the server closed the connection")
                received += chunk


def instructions(args, metrics):
    folder = tempfile.mkdtemp(prefix="apus-metrics-callgrind-")
    port = free_port()
    argv = [part.replace("{port}", str(port)) for part in command(args.apus, metrics)]
    proc = subprocess.Popen([*argv[:2], "valgrind", "--tool=callgrind", "--quiet",
                             f"--callgrind-out-file={folder}/callgrind.out", *argv[2:]],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_ready(port, "/json", timeout=600)
        requests(port, 20)
        subprocess.run(["callgrind_control", "-z", str(proc.pid)], capture_output=True, check=True)
        requests(port, args.requests)
        subprocess.run(["callgrind_control", "--dump=json", str(proc.pid)], capture_output=True, check=True)
        total = 0
        for path in glob.glob(f"{folder}/callgrind.out*"):
            with open(path) as profile:
                for line in profile:
                    if line.startswith(("summary:", "totals:")):
                        total += int(line.split()[1])
                        break
        return total / args.requests
    finally:
        proc.terminate()
        proc.wait(60)
        shutil.rmtree(folder, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--apus", default=os.path.join(ROOT, ".build", "release", "apus"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--callgrind", action="store_true")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--processes", type=int, default=3)
    args = parser.parse_args()
    if args.callgrind:
        # Python's own work moves by a few percent from one process to the next (its collections,
        # the hash seed), so each side is the median of several processes, alternated.
        counts = {False: [], True: []}
        for run in range(args.processes):
            for metrics in ((False, True) if run % 2 == 0 else (True, False)):
                counts[metrics].append(instructions(args, metrics))
        off, on = statistics.median(counts[False]), statistics.median(counts[True])
        print(f"/json instructions per request, median of {args.processes} processes each: metrics off {off:,.0f}, "
              f"on {on:,.0f} (+{on - off:,.0f}, {(on / off - 1) * 100:.2f}%); "
              f"off {[round(c) for c in counts[False]]}, on {[round(c) for c in counts[True]]}")
    else:
        throughput(args)


if __name__ == "__main__":
    main()
