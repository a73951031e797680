#!/usr/bin/env python3
"""Scale and footprint: a real FastAPI app with N param routes (`/r{i}/items/{item_id}`) and N
static routes (`/s{i}`), N = 10 and 10,000 (20,000 routes in all), served by Apus; the same app under uvicorn for
memory and cold start. In one run, it reports:

- requests/s of the last-declared param route and static route, at 10,000 routes against 10
  (both apps served at once, measured in alternation);
- Apus's start-up (spawn to first response) against the app's own import time, same interpreter;
- RSS after serving (both servers answer the same requests first), and cold start (spawn to
  first response), Apus against uvicorn.

Server pinned to CPU 0, wrk (-t1 -c64) to CPU 1, as in the peer matrix.

  bench/scale.py [--apus .build/release/apus] [--routes 10,10000] [--duration 5] [--rounds 3]
"""
import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRATCH = os.path.join(ROOT, ".build", "bench", "scale")
PYTHON = os.path.join(ROOT, ".venv", "bin", "python")


def write_app(routes):
    """The app's source: param routes first, then static ones, each with its own function."""
    os.makedirs(SCRATCH, exist_ok=True)
    name = f"scale_app_{routes}"
    path = os.path.join(SCRATCH, name + ".py")
    if not os.path.exists(path):
        lines = ["from fastapi import FastAPI", "", "app = FastAPI()", ""]
        for i in range(routes):
            lines += [f"@app.get('/r{i}/items/{{item_id}}')", f"def param_{i}(item_id: int, q: str | None = None):",
                      f"    return {{'route': {i}, 'item_id': item_id, 'q': q}}", ""]
        for i in range(routes):
            lines += [f"@app.get('/s{i}')", f"def static_{i}():", f"    return {{'route': {i}}}", ""]
        with open(path, "w") as source:
            source.write("\n".join(lines))
    return name


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def import_seconds(module):
    """The app's own import time, in a fresh interpreter (the one Apus embeds)."""
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    out = subprocess.run([PYTHON, "-c", code], cwd=SCRATCH, capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def first_response(port, path, deadline):
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
                if s.recv(1024).startswith(b"HTTP/1.1 200"):
                    return
        except OSError:
            time.sleep(0.005)
    raise RuntimeError(f"no answer on port {port}")


def start(command, port, path):
    """Spawns a server; returns it and the seconds to its first 200."""
    began = time.monotonic()
    proc = subprocess.Popen(["taskset", "-c", "0", *command], cwd=SCRATCH,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        first_response(port, path, began + 300)
    except BaseException:
        stop(proc)
        raise
    return proc, time.monotonic() - began


def stop(proc):
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as status:
        return int(re.search(r"VmRSS:\s+(\d+) kB", status.read()).group(1)) / 1024


def wrk(port, path, duration):
    out = subprocess.run(["taskset", "-c", "1", "wrk", "-t1", "-c64", f"-d{duration}s", f"http://127.0.0.1:{port}{path}"],
                         capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out:
        raise RuntimeError(out)
    return float(re.search(r"Requests/sec:\s*([\d.]+)", out).group(1))


def apus_command(apus, module, port):
    return [apus, "run", f"{module}:app", "--port", str(port), "--no-access-log", "--log-level", "warning"]


def uvicorn_command(module, port):
    return [PYTHON, "-m", "uvicorn", f"{module}:app", "--port", str(port), "--log-level", "warning", "--no-access-log"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--apus", default=os.path.join(ROOT, ".build", "release", "apus"))
    parser.add_argument("--routes", default="10,10000")
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    apus = os.path.abspath(args.apus)
    counts = [int(n) for n in args.routes.split(",")]
    os.environ["VIRTUAL_ENV"] = os.path.join(ROOT, ".venv")

    apps, rows = {}, {}
    for routes in counts:
        module = write_app(routes)
        last = routes - 1
        apps[routes] = (module, {"param": f"/r{last}/items/7?q=x", "static": f"/s{last}"})
        rows[routes] = {key: [] for key in ("import", "startup", "param", "static", "rss", "uvicorn cold",
                                            "uvicorn rss", "uvicorn param", "uvicorn static")}
        # The bytecode, written once for every server alike (an environment with
        # PYTHONDONTWRITEBYTECODE would leave it to whichever server writes it first).
        subprocess.run([PYTHON, "-m", "py_compile", os.path.join(SCRATCH, module + ".py")], check=True)
        import_seconds(module)  # warm the file cache

    for _ in range(args.rounds):
        # Apus serves every size at once (each started alone, so that start-ups do not overlap),
        # and the sizes are measured in alternation, kind by kind: the lookup ratio compares
        # requests/s taken seconds apart, not minutes, on a machine whose speed drifts.
        servers = {}
        try:
            for routes, (module, paths) in apps.items():
                rows[routes]["import"].append(import_seconds(module))
                port = free_port()
                proc, seconds = start(apus_command(apus, module, port), port, paths["static"])
                servers[routes] = (proc, port)
                rows[routes]["startup"].append(seconds)
            for kind in ("param", "static"):
                for routes, (proc, port) in servers.items():
                    wrk(port, apps[routes][1][kind], 1)
                for routes, (proc, port) in servers.items():
                    rows[routes][kind].append(wrk(port, apps[routes][1][kind], args.duration))
            for routes, (proc, port) in servers.items():
                rows[routes]["rss"].append(rss_mb(proc.pid))
        finally:
            for proc, _ in servers.values():
                stop(proc)
        for routes, (module, paths) in apps.items():
            port = free_port()
            proc, seconds = start(uvicorn_command(module, port), port, paths["static"])
            try:
                rows[routes]["uvicorn cold"].append(seconds)
                # The same requests as Apus served, so that both RSS are taken after the same work.
                for kind, path in paths.items():
                    wrk(port, path, 1)
                    rows[routes][f"uvicorn {kind}"].append(wrk(port, path, args.duration))
                rows[routes]["uvicorn rss"].append(rss_mb(proc.pid))
            finally:
                stop(proc)

    results = {}
    for routes in counts:
        results[routes] = {key: statistics.median(values) for key, values in rows[routes].items()}
        r = results[routes]
        print(f"{routes:>6} routes: import {r['import']:.2f} s, apus start-up {r['startup']:.2f} s "
              f"(uvicorn {r['uvicorn cold']:.2f} s); last param {r['param']:,.0f} req/s, last static "
              f"{r['static']:,.0f} req/s (uvicorn {r['uvicorn param']:,.0f} and {r['uvicorn static']:,.0f}); "
              f"RSS apus {r['rss']:.1f} MB, uvicorn {r['uvicorn rss']:.1f} MB", flush=True)

    print(f"\nmedians of {args.rounds} rounds; wrk -t1 -c64 {args.duration} s, server on CPU 0, client on CPU 1")
    small, large = min(counts), max(counts)
    a, b = results[small], results[large]
    if large != small:
        print(f"at {large} routes against {small}: last param route {b['param'] / a['param']:.0%}, "
              f"last static route {b['static'] / a['static']:.0%} (target >= 95%)")
    for routes, r in results.items():
        print(f"{routes} routes: start-up / import {r['startup'] / r['import']:.2f}x (target <= 1.25x); "
              f"RSS apus / uvicorn {r['rss'] / r['uvicorn rss']:.2f}x; cold start apus / uvicorn "
              f"{r['startup'] / r['uvicorn cold']:.2f}x (targets <= 1x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
