#!/usr/bin/env python3
"""Does a schedule's load move an HTTP route's latency? One functions tree served twice in one
run, rounds alternated: with its schedules running and with them off (`APUS_SCHEDULER=off`).
The tree has the route under load (`GET /hello`, a Python function) and two schedules that run
every second: a Python function (in the server process, on the same threads as the route) and
a Node function (in its worker process), each building and encoding a 2,000-item JSON document.

wrk -c64 on CPU 1, the server on CPU 0: requests/s, p50 and p99 of `/hello`, and the runs
the schedules made meanwhile (from the state file).

  bench/schedules.py --apus .build/release/apus [--rounds 3] [--duration 10] [--light]

`--light`: the scheduled functions return at once, so what is left is the scheduler's own cost
(its timer, its in-memory request, its state file).
"""
import argparse
import json
import os
import shutil
import statistics
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRATCH = os.path.join(ROOT, ".build", "bench", "schedules")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from http_core import serving, wait_ready, wrk  # noqa: E402

EVERY_SECOND = json.dumps({"schedule": {"enabled": True, "every_seconds": 1}})
TREE = {
    "hello.py": "def handler(event):\n    return {\"hello\": \"world\"}\n",
    "report/fn.config.json": EVERY_SECOND,
    "report/get.py": ("import json\n\ndef handler(event):\n"
                      "    return {\"size\": len(json.dumps([{\"n\": n, \"name\": str(n)} for n in range(2000)]))}\n"),
    "digest/fn.config.json": EVERY_SECOND,
    "digest/handler.js": ("exports.handler = async () => ({size: JSON.stringify("
                          "Array.from({length: 2000}, (_, n) => ({n, name: String(n)}))).length});\n"),
}


LIGHT = {
    "report/get.py": "def handler(event):\n    return {}\n",
    "digest/handler.js": "exports.handler = async () => ({});\n",
}


def write_tree(light):
    shutil.rmtree(SCRATCH, ignore_errors=True)
    for relative, text in {**TREE, **(LIGHT if light else {})}.items():
        path = os.path.join(SCRATCH, relative)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as file:
            file.write(text)


def runs_made():
    try:
        with open(os.path.join(SCRATCH, ".fastfn", "scheduler-state.json")) as file:
            return sum(entry.get("runs", 0) for entry in json.load(file)["schedules"].values())
    except (OSError, ValueError, KeyError):
        return 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--apus", default=os.path.join(ROOT, ".build", "release", "apus"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--light", action="store_true", help="scheduled functions that do nothing")
    args = parser.parse_args()
    write_tree(args.light)
    command = [os.path.abspath(args.apus), "run", SCRATCH, "--port", "{port}", "--no-access-log", "--log-level", "warning"]
    base = {**os.environ, "VIRTUAL_ENV": os.path.join(ROOT, ".venv")}
    modes = {"schedules on": base, "schedules off": {**base, "APUS_SCHEDULER": "off"}}
    results = {name: [] for name in modes}
    for round_ in range(args.rounds):
        for name in (list(modes) if round_ % 2 == 0 else list(reversed(modes))):
            before = runs_made()
            with serving(command, modes[name]) as port:
                wait_ready(port, "/hello")
                wrk(port, "/hello", 1)
                load = wrk(port, "/hello", args.duration)
            runs = runs_made() - before
            results[name].append((load.rps, load.p50, load.p99, runs))
            print(f"round {round_ + 1}  {name:14s} {load.rps:>9,.0f} req/s  p50 {load.p50:6.2f} ms  p99 {load.p99:6.2f} ms"
                  f"  scheduled runs {runs}", flush=True)
    medians = {name: [statistics.median(run[i] for run in runs) for i in range(4)] for name, runs in results.items()}
    print(f"\nGET /hello, wrk -t1 -c64 for {args.duration} s, server on CPU 0, client on CPU 1 (median of {args.rounds} rounds)")
    for name, (rps, p50, p99, runs) in medians.items():
        print(f"  {name:14s} {rps:>9,.0f} req/s  p50 {p50:6.2f} ms  p99 {p99:6.2f} ms  scheduled runs {runs:.0f}")
    on, off = medians["schedules on"], medians["schedules off"]
    print(f"\n  on / off: requests/s {on[0] / off[0]:.3f}x, p50 {on[1] / off[1]:.3f}x, p99 {on[2] / off[2]:.3f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
