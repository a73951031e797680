#!/usr/bin/env python3
"""Functions benchmark: each language's `hello` function served by Apus against the same
handler served without Apus, in one run, interleaved.

- a Python function (event style) against a FastAPI app route answering the same, both on Apus;
- a Node function against the same handler behind a bare `node:http` server;
- a PHP function against the same handler behind `php -S`;
- a Go function against the same handler behind `net/http` (the function built with a helper
  file of its folder, `_greeting.go`, as multi-file functions are);
- a Rust function (the real `serde_json`, and a module of its folder, `_shared.rs`), reported
  beside the others: there is no bare Rust server without crates to set it against.

Each server runs on CPU 0, wrk on CPU 1: requests/s at 64 connections, and the p50 latency at
one connection. The round-trip overhead of a worker function is its p50 at concurrency 1 minus
the bare server's (both include the client's own HTTP round trip).

  bench/functions.py --apus .build/release/apus [--rounds 3] [--duration 5]
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRATCH = os.path.join(ROOT, ".build", "bench", "functions")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from http_core import serving, wait_ready, wrk  # noqa: E402

HANDLERS = {
    "tree/hello.py": "def handler(event):\n    return {\"hello\": \"world\"}\n",
    "tree/js/hello.js": "exports.handler = () => ({ hello: 'world' });\n",
    "tree/phpfn/hello.php": "<?php\nfunction handler($event) { return ['hello' => 'world']; }\n",
    # One Node and one Go worker (as one node:http and one net/http process), with room for
    # wrk's 64 connections; PHP workers take one request at a time, so two (the two cores).
    "tree/js/fn.config.json": '{"max_concurrency": 64, "worker_pool": {"max_workers": 1, "min_warm": 1}}',
    "tree/phpfn/fn.config.json": '{"max_concurrency": 64, "worker_pool": {"max_workers": 2, "min_warm": 2, "max_queue": 64}}',
    "tree/gofn/fn.config.json": '{"max_concurrency": 64, "worker_pool": {"max_workers": 1, "min_warm": 1}}',
    "tree/gofn/hello.go": ('package main\n\nfunc handler(event map[string]interface{}) interface{} {\n'
                           '\treturn map[string]interface{}{"hello": greeting()}\n}\n'),
    "tree/gofn/_greeting.go": 'package main\n\nfunc greeting() string { return "world" }\n',
    "tree/rsfn/fn.config.json": '{"max_concurrency": 64, "worker_pool": {"max_workers": 2, "min_warm": 2, "max_queue": 64}}',
    "tree/rsfn/hello.rs": ('#[path = "_shared.rs"]\nmod _shared;\n\nuse serde_json::{json, Value};\n\n'
                           'pub fn handler(_event: Value) -> Value {\n    json!({"hello": _shared::greeting()})\n}\n'),
    "tree/rsfn/_shared.rs": 'pub fn greeting() -> &\'static str {\n    "world"\n}\n',
    "app/bench_functions_app.py": ("from fastapi import FastAPI\n\napp = FastAPI()\n\n\n@app.get(\"/hello\")\n"
                                   "def hello():\n    return {\"hello\": \"world\"}\n"),
    "bare/node_server.js": (
        "const http = require('http');\nconst { handler } = require(process.argv[2]);\n"
        "http.createServer(async (req, res) => {\n  const body = JSON.stringify(await handler({}));\n"
        "  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });\n"
        "  res.end(body);\n}).listen(Number(process.argv[3]), '127.0.0.1');\n"),
    "bare/php_router.php": ("<?php\nrequire getenv('HANDLER');\nheader('content-type: application/json');\n"
                            "echo json_encode(handler([]));\n"),
    "bare/go/main.go": ('package main\n\nimport (\n\t"encoding/json"\n\t"net/http"\n\t"os"\n)\n\n'
                        'func main() {\n\thttp.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {\n'
                        '\t\tbody, _ := json.Marshal(handler(map[string]interface{}{}))\n'
                        '\t\tw.Header().Set("content-type", "application/json")\n\t\tw.Write(body)\n\t})\n'
                        '\thttp.ListenAndServe("127.0.0.1:"+os.Args[1], nil)\n}\n'),
}


def write_files():
    shutil.rmtree(SCRATCH, ignore_errors=True)
    for relative, text in HANDLERS.items():
        path = os.path.join(SCRATCH, relative)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as file:
            file.write(text)
    shutil.copy(os.path.join(SCRATCH, "tree/gofn/hello.go"), os.path.join(SCRATCH, "bare/go/handler.go"))
    shutil.copy(os.path.join(SCRATCH, "tree/gofn/_greeting.go"), os.path.join(SCRATCH, "bare/go/greeting.go"))
    subprocess.run(["go", "build", "-o", "server", "main.go", "handler.go", "greeting.go"], cwd=os.path.join(SCRATCH, "bare/go"),
                   check=True)


def servers(apus):
    tree, app = os.path.join(SCRATCH, "tree"), os.path.join(SCRATCH, "app")
    quiet = ["--no-access-log", "--log-level", "warning"]
    env = {**os.environ, "VIRTUAL_ENV": os.path.join(ROOT, ".venv")}
    return {
        "apus python function": ([apus, "run", tree, "--port", "{port}", *quiet], "/hello", env),
        "apus app route": ([apus, "run", "bench_functions_app:app", "--app-dir", app, "--port", "{port}", *quiet], "/hello", env),
        "apus node function": ([apus, "run", tree, "--port", "{port}", *quiet], "/js/hello", env),
        "node:http": (["node", os.path.join(SCRATCH, "bare/node_server.js"), os.path.join(SCRATCH, "tree/js/hello.js"),
                       "{port}"], "/", None),
        "apus php function": ([apus, "run", tree, "--port", "{port}", *quiet], "/phpfn/hello", env),
        "php -S": (["php", "-S", "127.0.0.1:{port}", os.path.join(SCRATCH, "bare/php_router.php")], "/",
                   {**os.environ, "HANDLER": os.path.join(SCRATCH, "tree/phpfn/hello.php")}),
        "apus go function": ([apus, "run", tree, "--port", "{port}", *quiet], "/gofn/hello", env),
        "go net/http": ([os.path.join(SCRATCH, "bare/go/server"), "{port}"], "/", None),
        "apus rust function": ([apus, "run", tree, "--port", "{port}", *quiet], "/rsfn/hello", env),
    }


def measure(command, path, env, duration, warmup):
    """Requests/s at 64 connections and the p50 at one."""
    with serving(command, env) as port:
        wait_ready(port, path)
        wrk(port, path, warmup)
        rps = wrk(port, path, duration).rps
        return rps, wrk(port, path, max(2, duration // 2), connections=1).p50


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--apus", default=os.path.join(ROOT, ".build", "release", "apus"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--only", help="the servers to measure, by name, comma-separated (default: all)")
    args = parser.parse_args()
    write_files()
    table = servers(os.path.abspath(args.apus))
    if args.only:
        names = [name.strip() for name in args.only.split(",")]
        unknown = [name for name in names if name not in table]
        if unknown:
            parser.error(f"unknown servers {unknown}; known: {', '.join(table)}")
        table = {name: table[name] for name in names}
    results = {name: [] for name in table}
    for round_ in range(args.rounds):
        order = list(table) if round_ % 2 == 0 else list(reversed(table))
        for name in order:
            rps, p50 = measure(*table[name], args.duration, args.warmup)
            results[name].append((rps, p50))
            print(f"round {round_ + 1}  {name:22s} {rps:>10,.0f} req/s   p50 at c=1 {p50 * 1000:7.1f} us", flush=True)
    medians = {name: (statistics.median(r for r, _ in runs), statistics.median(p for _, p in runs))
               for name, runs in results.items()}
    print("\nGET hello, wrk -t1 -c64 (p50 at -c1), server on CPU 0, client on CPU 1 (median of rounds)")
    for name, (rps, p50) in medians.items():
        print(f"  {name:22s} {rps:>10,.0f} req/s   p50 {p50 * 1000:7.1f} us")
    print()
    for ours, theirs in (("apus python function", "apus app route"), ("apus node function", "node:http"),
                         ("apus php function", "php -S"), ("apus go function", "go net/http")):
        if ours not in medians or theirs not in medians:
            continue
        (a, a50), (b, b50) = medians[ours], medians[theirs]
        print(f"  {ours} / {theirs}: requests/s {a / b:.2f}x, p50 overhead at c=1 {(a50 - b50) * 1000:+.0f} us")
    return 0


if __name__ == "__main__":
    sys.exit(main())
