#!/usr/bin/env python3
"""Latency at one connection: how much of it any server pays on this machine, and what Apus's
Python hand-offs add. Each server is started on CPU 0 in turn (wrk -t1 -c1 on CPU 1), rounds
alternated, medians of the p50 latency:

- the C libuv reference server and `apus run --hello` (no Python): the floor, the loopback
  round trip and the wake-ups of a server that answers on its loop thread;
- `GET /json` (`def`) and `GET /ajson` (`async def`) of a two-route FastAPI app on Apus and on
  uvicorn (same interpreter, the project venv): Apus hands each request from its loop thread to
  a Python thread and back (two wake-ups); uvicorn answers on its one thread.

  .venv/bin/python bench/latency_floor.py --apus .build/release/apus [--rounds 3] [--duration 5]
"""
import argparse
import os
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from http_core import build_cserver, serving, wait_ready, wrk  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PYTHON = os.path.join(ROOT, ".venv", "bin", "python")

APP = '''from fastapi import FastAPI

app = FastAPI()


@app.get("/json")
def sync_json():
    return {"message": "hello"}


@app.get("/ajson")
async def async_json():
    return {"message": "hello"}
'''


def servers(apus, app_dir):
    venv = f"VIRTUAL_ENV={os.path.join(ROOT, '.venv')}"
    quiet = ["--no-access-log", "--log-level", "warning"]
    return {
        "c-libuv": ([build_cserver(), "{port}"], ["/plaintext"]),
        "apus --hello": ([os.path.abspath(apus), "run", "--hello", "--port", "{port}", *quiet], ["/plaintext"]),
        "apus": (["env", venv, os.path.abspath(apus), "run", "floor_app:app", "--app-dir", app_dir, "--port", "{port}",
                  *quiet], ["/json", "/ajson"]),
        "uvicorn": ([PYTHON, "-m", "uvicorn", "--app-dir", app_dir, "floor_app:app", "--port", "{port}", "--log-level",
                     "warning", "--no-access-log"], ["/json", "/ajson"]),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--apus", default=os.path.join(ROOT, ".build", "release", "apus"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=5)
    args = parser.parse_args()
    app_dir = tempfile.mkdtemp(prefix="apus-latency-floor-")
    with open(os.path.join(app_dir, "floor_app.py"), "w") as source:
        source.write(APP)
    found = servers(args.apus, app_dir)
    p50s = {}
    for round_ in range(args.rounds):
        order = list(found) if round_ % 2 == 0 else list(reversed(found))
        for name in order:
            command, paths = found[name]
            with serving(command) as port:
                wait_ready(port, paths[0], timeout=60)
                for path in paths:
                    wrk(port, path, 2, connections=1)
                    p50 = wrk(port, path, args.duration, connections=1).p50 * 1000
                    p50s.setdefault((name, path), []).append(p50)
                    print(f"round {round_ + 1}  {name:13s} {path:11s} p50 {p50:7.1f} us", flush=True)
    print("\np50 at one connection (median of rounds), server on CPU 0, wrk on CPU 1")
    for (name, path), values in p50s.items():
        print(f"  {name:13s} {path:11s} {statistics.median(values):7.1f} us")
    floor = statistics.median(p50s[("apus --hello", "/plaintext")])
    for path in ("/json", "/ajson"):
        apus, uvicorn = (statistics.median(p50s[(name, path)]) for name in ("apus", "uvicorn"))
        print(f"{path}: apus/uvicorn {apus / uvicorn:.2f}x; apus --hello's floor is {floor / uvicorn:.2f}x uvicorn's p50")
    return 0


if __name__ == "__main__":
    sys.exit(main())
