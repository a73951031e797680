#!/usr/bin/env python3
"""Apus on each Python version against FastAPI on uvicorn on the same interpreter, in the same
run: the peer matrix's `/json` (FastAPI, `def`) with `wrk -c64`, rounds alternated; and the
start-up of an installed wheel's `apus run main:app` to its first response, against `uvicorn
main:app` from the same venv.

Each version's release build comes from scripts/build-for-python.sh and its venv from
scripts/venv-with.sh (as `make test-pythons` makes them); the wheels from `make wheel`.

  .venv/bin/python bench/pythons.py [--versions 3.11 3.12 3.13] [--rounds 3] [--duration 5]
"""
import argparse
import glob
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from http_core import PEERS, ROOT, free_port, serving, wait_ready, wrk  # noqa: E402

APPS = os.path.join(PEERS, "apps")


def build(version):
    scratch = subprocess.run([os.path.join(ROOT, "scripts", "build-for-python.sh"), version, "release"],
                             capture_output=True, text=True, check=True).stdout.strip()
    venv = subprocess.run([os.path.join(ROOT, "scripts", "venv-with.sh"), ".build/venv", "-r", "requirements.txt",
                           "-r", "requirements-dev.txt"], cwd=ROOT, capture_output=True, text=True, check=True,
                          env={**os.environ, "APUS_PYTHON_VERSION": version}).stdout.strip()
    if version == "3.11":
        venv = ".venv"
    return os.path.join(ROOT, scratch, "release", "apus"), os.path.join(ROOT, venv)


def commands(apus, venv):
    common = ["--port", "{port}", "--no-access-log", "--log-level", "warning"]
    return {
        "apus": ["env", f"VIRTUAL_ENV={venv}", apus, "run", "fastapi_sync:app", "--app-dir", APPS, *common],
        "uvicorn": [f"{venv}/bin/uvicorn", "--app-dir", APPS, "fastapi_sync:app", *common],
    }


def throughput(version, args):
    apus, venv = build(version)
    servers = commands(apus, venv)
    results = {name: [] for name in servers}
    for round_ in range(args.rounds):
        order = list(servers) if round_ % 2 == 0 else list(reversed(servers))
        for name in order:
            with serving(servers[name]) as port:
                wait_ready(port, "/json", timeout=60)
                wrk(port, "/json", args.warmup)
                results[name].append(wrk(port, "/json", args.duration).rps)
    apus_rps, uvicorn_rps = statistics.median(results["apus"]), statistics.median(results["uvicorn"])
    print(f"Python {version}: /json apus {apus_rps:,.0f} req/s, uvicorn {uvicorn_rps:,.0f} req/s, "
          f"ratio {apus_rps / uvicorn_rps:.2f}x", flush=True)


APP = "from fastapi import FastAPI\napp = FastAPI()\n\n@app.get('/')\ndef root():\n    return {'ok': True}\n"


def first_response(argv, cwd, env, port):
    started = time.monotonic()
    process = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1) as response:
                    response.read()
                    return time.monotonic() - started
            except OSError:
                if process.poll() is not None:
                    raise SystemExit(f"{argv[0]} exited with {process.returncode}")
                time.sleep(0.005)
    finally:
        process.terminate()
        process.wait(30)


def start_up(version, args):
    wheels = glob.glob(os.path.join(ROOT, "dist", f"apus-*-cp{version.replace('.', '')}-*.whl"))
    if not wheels:
        print(f"Python {version}: no wheel in dist/ (make wheel)")
        return
    python = subprocess.run([os.path.join(ROOT, "scripts", "find-python.sh"), version], capture_output=True,
                            text=True, check=True).stdout.strip()
    with tempfile.TemporaryDirectory() as home:
        venv = os.path.join(home, "venv")
        subprocess.run([python, "-m", "venv", venv], check=True)
        pins = [line.strip() for line in open(os.path.join(ROOT, "requirements.txt"))
                if line.startswith(("fastapi==", "starlette==", "pydantic=="))]
        uvicorn = [line.strip() for line in open(os.path.join(ROOT, "requirements-dev.txt"))
                   if line.startswith(("uvicorn==", "httptools=="))]
        subprocess.run([f"{venv}/bin/python", "-m", "pip", "install", "-q", "--disable-pip-version-check",
                        wheels[0], *pins, *uvicorn], check=True)
        with open(os.path.join(home, "main.py"), "w") as app:
            app.write(APP)
        env = {"PATH": f"{venv}/bin:/usr/bin:/bin", "VIRTUAL_ENV": venv, "LANG": "C.UTF-8"}
        times = {"apus": [], "uvicorn": []}
        for round_ in range(args.starts):
            for name in ("apus", "uvicorn") if round_ % 2 == 0 else ("uvicorn", "apus"):
                port = free_port()
                argv = [f"{venv}/bin/{name}", "main:app", "--port", str(port), "--log-level", "warning"]
                if name == "apus":
                    argv.insert(1, "run")
                times[name].append(first_response(argv, home, env, port))
        apus_s, uvicorn_s = statistics.median(times["apus"]), statistics.median(times["uvicorn"])
        size = os.path.getsize(wheels[0]) / 1e6
        print(f"Python {version}: wheel {os.path.basename(wheels[0])} {size:.1f} MB; start to first response "
              f"apus {apus_s * 1000:.0f} ms, uvicorn {uvicorn_s * 1000:.0f} ms, ratio {apus_s / uvicorn_s:.2f}x "
              f"(median of {args.starts})", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--versions", nargs="+", default=["3.11", "3.12", "3.13"])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--starts", type=int, default=5)
    parser.add_argument("--skip-throughput", action="store_true")
    args = parser.parse_args()
    for version in args.versions:
        if not args.skip_throughput:
            throughput(version, args)
        start_up(version, args)


if __name__ == "__main__":
    main()
