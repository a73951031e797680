#!/usr/bin/env python3
"""FastAPI routes with dependencies (bench/apps/deps_app.py): Apus against the same app on
uvicorn (same interpreter: the project venv's python3.11), and FastrAPI for GET /simple, with
the servers alternated round by round. Ratios are from the same run; absolute numbers vary.

Routes: /chain (def) and /achain (async def), three levels of Depends with a yield session and a
filtering response_model; /router/items/{id}, an APIRouter route with a yield sqlite3 session;
/users/me, OAuth2PasswordBearer; /simple, one Depends.

Server pinned to CPU 0, wrk pinned to CPU 1: requests/s at -t1 -c64 (--connections), and p50
latency at -t1 -c1. Each server is started once per round; before measuring, every route must
answer 200 with the expected body.

  .venv/bin/python bench/deps.py --apus .build/release/apus [--rounds 3] [--duration 10]
  .venv/bin/python bench/deps.py --apus .build/release/apus --callgrind   # instructions/request
  .venv/bin/python bench/deps.py --apus .build/release/apus --middleware   # behind @app.middleware("http")

FastrAPI runs from ${PEERS_VENV:-/tmp/peers/venv} (made by ../shared/bench/peers/run.sh), and
is skipped if that venv has no fastrapi.
"""
import argparse
import glob
import http.client
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from http_core import free_port, serving, to_ms, wait_ready  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
APPS = os.path.join(ROOT, "bench", "apps")
VENV = os.path.join(ROOT, ".venv")
PYTHON = os.path.join(VENV, "bin", "python")
PEERS_VENV = os.environ.get("PEERS_VENV", "/tmp/peers/venv")

API_KEY = "bench-secret"  # deps_app.API_KEY
TOKEN = "johndoe-token"  # a key of deps_app.FAKE_TOKENS


def _entries(session):
    return [{"id": i, "name": f"entry-{i}", "q": "bench", "skip": 1, "limit": 5, "session": session}
            for i in range(3)]


# name: (request target, headers, expected JSON body)
ROUTES = {
    "/chain": ("/chain?q=bench&skip=1&limit=5", {"x-api-key": API_KEY}, _entries("sync-session")),
    "/achain": ("/achain?q=bench&skip=1&limit=5", {"x-api-key": API_KEY}, _entries("async-session")),
    "/router/items": ("/router/items/7", {}, {"id": 7, "name": "item-7", "price": 10.5}),
    "/users/me": ("/users/me", {"Authorization": f"Bearer {TOKEN}"},
                  {"username": "johndoe", "email": "johndoe@example.com", "full_name": "John Doe", "disabled": False}),
    "/simple": ("/simple?q=bench", {}, {"q": "bench"}),
}


def servers(apus, app="deps_app:app"):
    """name: (command, routes it serves)."""
    found = {
        "apus": (["env", f"VIRTUAL_ENV={VENV}", os.path.abspath(apus), "run", app, "--app-dir", APPS,
                  "--port", "{port}", "--no-access-log", "--log-level", "warning"], list(ROUTES)),
        "uvicorn": ([PYTHON, "-m", "uvicorn", "--app-dir", APPS, app, "--port", "{port}",
                     "--log-level", "warning", "--no-access-log"], list(ROUTES)),
    }
    peer_python = os.path.join(PEERS_VENV, "bin", "python")
    has_fastrapi = os.path.exists(peer_python) and subprocess.run(
        [peer_python, "-c", "import fastrapi"], capture_output=True).returncode == 0
    if has_fastrapi and app == "deps_app:app":
        found["fastrapi"] = (["env", "PORT={port}", peer_python, os.path.join(APPS, "deps_fastrapi.py")], ["/simple"])
    else:
        print(f"note: no fastrapi in {PEERS_VENV} (set PEERS_VENV, or run the install steps of "
              "../shared/bench/peers/run.sh); FastrAPI skipped", flush=True)
    return found


def verify(name, port, routes):
    """Every route answers 200 with the expected body, or the run stops."""
    for route in routes:
        target, headers, expected = ROUTES[route]
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            conn.request("GET", target, headers=headers)
            response = conn.getresponse()
            body = response.read()
        finally:
            conn.close()
        if response.status != 200 or json.loads(body) != expected:
            raise SystemExit(f"FAIL: {name} GET {target} answered {response.status} {body[:500]!r}, "
                             f"expected 200 {json.dumps(expected)}")


def wrk(port, route, duration, connections):
    """wrk -t1 on CPU 1 with the route's headers: requests/s and p50 (ms); any non-2xx fails."""
    target, headers, _ = ROUTES[route]
    argv = ["taskset", "-c", "1", "wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency"]
    for key, value in headers.items():
        argv += ["-H", f"{key}: {value}"]
    out = subprocess.run([*argv, f"http://127.0.0.1:{port}{target}"], capture_output=True, text=True,
                         check=True).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise SystemExit(f"FAIL: {errors.group(1)} non-2xx responses from {target}:\n{out}")
    rps = float(re.search(r"Requests/sec:\s*([\d.]+)", out).group(1))
    p50 = to_ms(re.search(r"^\s*50%\s+(\S+)", out, re.M).group(1))
    return rps, p50


def run_round(name, command, routes, args):
    """One server, started once: each route verified, then warmed up, loaded, and timed at c1."""
    with serving(command) as port:
        wait_ready(port, "/simple", timeout=120)
        verify(name, port, routes)
        results = {}
        for route in routes:
            wrk(port, route, args.warmup, args.connections)
            rps, _ = wrk(port, route, args.duration, args.connections)
            _, p50 = wrk(port, route, args.duration, 1)
            results[route] = (rps, p50)
        return results


def ratio(a, b):
    return f"{a / b:.2f}x" if a and b else "n/a"


def report(results, args):
    """Medians over rounds; the ratios Apus/uvicorn and Apus/FastrAPI."""
    median = {(server, route): (statistics.median(r for r, _ in runs), statistics.median(p for _, p in runs))
              for server, by_route in results.items() for route, runs in by_route.items()}
    names = list(results)
    peers = [n for n in names if n != "apus"]
    cell = lambda server, route, i, fmt: (fmt.format(median[server, route][i])  # noqa: E731
                                          if (server, route) in median else "-")

    def table(title, index, fmt):
        print(title)
        print("| route | " + " | ".join(names) + " | " + " | ".join(f"apus/{p}" for p in peers) + " |")
        print("|---|" + "---:|" * (len(names) + len(peers)))
        for route in ROUTES:
            values = [cell(n, route, index, fmt) for n in names]
            ratios = [ratio(median[("apus", route)][index], median[(p, route)][index]) if (p, route) in median
                      else "-" for p in peers]
            print(f"| {route} | " + " | ".join(values) + " | " + " | ".join(ratios) + " |")

    table(f"\nrequests/s, wrk -t1 -c{args.connections}, median of {args.rounds} round(s); "
          "server on CPU 0, wrk on CPU 1", 0, "{:,.0f}")
    table(f"\np50 latency (ms), wrk -t1 -c1, median of {args.rounds} round(s) (ratio < 1: Apus faster)",
          1, "{:.3f}")

    print("\nratios (same run; req/s > 1 and p50 < 1: Apus faster):")
    for route in ROUTES:
        line = f"  {route:14s} req/s apus/uvicorn {ratio(median['apus', route][0], median['uvicorn', route][0])}"
        line += f", p50@c1 apus/uvicorn {ratio(median['apus', route][1], median['uvicorn', route][1])}"
        if ("fastrapi", route) in median:
            line += (f"; req/s apus/fastrapi {ratio(median['apus', route][0], median['fastrapi', route][0])}"
                     f", p50@c1 apus/fastrapi {ratio(median['apus', route][1], median['fastrapi', route][1])}")
        print(line)


def callgrind(args):
    """Apus under callgrind: user-space instructions per request of each route (all threads), from
    the counters zeroed and dumped (callgrind_control) around `--requests` keep-alive requests."""
    if not shutil.which("valgrind"):
        raise SystemExit("--callgrind needs valgrind")
    folder = tempfile.mkdtemp(prefix="apus-deps-callgrind-")
    port = free_port()
    command = servers(args.apus, _app_spec(args))["apus"][0]
    command = [part.replace("{port}", str(port)) for part in command]
    env_part, rest = command[:2], command[2:]  # "env VIRTUAL_ENV=..." then the apus command
    proc = subprocess.Popen([*env_part, "valgrind", "--tool=callgrind", "--quiet",
                             f"--callgrind-out-file={folder}/callgrind.out", *rest],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_ready(port, "/simple", timeout=600)
        verify("apus (callgrind)", port, list(ROUTES))
        pid = proc.pid  # env execs valgrind, which keeps the pid
        print(f"callgrind, {args.requests} requests per route after 20 of warm-up, one keep-alive connection")
        for route in ROUTES:
            target, headers, _ = ROUTES[route]
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            send(conn, target, headers, 20)
            subprocess.run(["callgrind_control", "-z", str(pid)], capture_output=True, check=True)
            send(conn, target, headers, args.requests)
            before = set(glob.glob(f"{folder}/callgrind.out*"))
            subprocess.run(["callgrind_control", f"--dump={route}", str(pid)], capture_output=True, check=True)
            conn.close()
            dumped = sorted(set(glob.glob(f"{folder}/callgrind.out*")) - before)
            total = sum(instructions(path) for path in dumped)
            print(f"  {route:14s} {total / args.requests:>12,.0f} instructions/request", flush=True)
    finally:
        proc.terminate()
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
    shutil.rmtree(folder, ignore_errors=True)


def send(conn, target, headers, count):
    for _ in range(count):
        conn.request("GET", target, headers=headers)
        response = conn.getresponse()
        response.read()
        if response.status != 200:
            raise SystemExit(f"FAIL: GET {target} answered {response.status} under callgrind")


def instructions(path):
    with open(path) as profile:
        for line in profile:
            if line.startswith(("summary:", "totals:")):
                return int(line.split()[1])
    return 0


def _app_spec(args):
    return "deps_middleware_app:app" if args.middleware else "deps_app:app"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--apus", default=os.path.join(ROOT, ".build", "release", "apus"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=10, help="seconds of each wrk run (c64 and c1)")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up per route")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--callgrind", action="store_true",
                        help="instead: Apus's instructions per request under callgrind")
    parser.add_argument("--requests", type=int, default=200, help="requests per route with --callgrind")
    parser.add_argument("--middleware", action="store_true",
                        help="the app behind one @app.middleware(\"http\") (deps_middleware_app.py); no FastrAPI")
    args = parser.parse_args()
    if not os.path.exists(args.apus):
        raise SystemExit(f"no apus binary at {args.apus}")
    if args.callgrind:
        callgrind(args)
        return 0
    if not shutil.which("wrk"):
        raise SystemExit("needs wrk (apt-get install -y wrk)")

    found = servers(args.apus, _app_spec(args))
    results = {name: {route: [] for route in routes} for name, (_, routes) in found.items()}
    started = time.monotonic()
    for round_ in range(args.rounds):
        order = list(found) if round_ % 2 == 0 else list(reversed(found))
        for name in order:
            command, routes = found[name]
            for route, (rps, p50) in run_round(name, command, routes, args).items():
                results[name][route].append((rps, p50))
                print(f"round {round_ + 1}  {name:9s} {route:14s} {rps:>9,.0f} req/s   p50@c1 {p50:7.3f} ms",
                      flush=True)
    report(results, args)
    print(f"\n({time.monotonic() - started:.0f} s; apus {os.path.abspath(args.apus)}; "
          f"uvicorn on {os.path.realpath(PYTHON)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
