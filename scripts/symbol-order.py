#!/usr/bin/env python3
"""Writes scripts/symbol-order.txt, the order in which the linker lays out the functions of the
`apus` executable: every function a FastAPI app's start-up and requests run, hottest first.

Why: the kernel maps a file's pages 64 KiB at a time around each page a process touches, so
code that runs, scattered among code that never does, makes most of the executable resident.
Packed together, it takes a fraction of those pages (RSS), and fewer page faults at start.

How: the release binary serves a small FastAPI app under valgrind's callgrind, answers a mix
of requests, and the functions of the executable it ran are listed by instructions spent.
Functions the linker cannot move (the static Swift runtime's code that is not compiled one
function per section, the static interpreter) are left out: naming them would pull whole blocks of code forward.
A stale list costs only layout, never correctness; regenerate it after large changes:

  scripts/symbol-order.py [--apus .build/release/apus]   (needs valgrind and curl)
"""
import argparse
import collections
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUTPUT = os.path.join(ROOT, "scripts", "symbol-order.txt")
STATIC_RUNTIME = "/opt/swift/usr/lib/swift_static/linux"

APP = '''from fastapi import Depends, FastAPI, Header, HTTPException
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel

app = FastAPI()


class Item(BaseModel):
    name: str
    price: float
    tags: list[str] = []


def token(x_token: str | None = Header(default=None)):
    return x_token


@app.get("/plaintext", response_class=PlainTextResponse)
def plaintext():
    return "Hello, World!"


@app.get("/json")
def json_():
    return {"message": "Hello, World!"}


@app.get("/items/{item_id}")
async def read_item(item_id: int, q: str | None = None, user=Depends(token)):
    if item_id == 0:
        raise HTTPException(404, "no such item")
    return {"item_id": item_id, "q": q, "user": user}


@app.post("/items")
def create_item(item: Item) -> Item:
    return item
'''

REQUESTS = [
    ["/json"], ["/plaintext"], ["/items/3?q=x", "-H", "x-token: t"], ["/items/0"], ["/items/x"],
    ["/items", "-X", "POST", "-H", "content-type: application/json", "-d", '{"name": "a", "price": 1}'],
    ["/items", "-X", "POST", "-H", "content-type: application/json", "-d", '{"name": "a"}'],
    ["/nowhere"], ["/openapi.json"], ["/json", "-X", "DELETE"],
]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def profile(apus, folder):
    """Runs the app under callgrind; returns the path of its profile."""
    with open(os.path.join(folder, "order_app.py"), "w") as source:
        source.write(APP)
    port, out = free_port(), os.path.join(folder, "callgrind.out")
    env = dict(os.environ, VIRTUAL_ENV=os.path.join(ROOT, ".venv"))
    server = subprocess.Popen(["valgrind", "--tool=callgrind", "--demangle=no", f"--callgrind-out-file={out}",
                               apus, "run", "order_app:app", "--port", str(port), "--no-access-log"],
                              cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while subprocess.run(["curl", "-sf", "-m", "2", url + "/json"], capture_output=True).returncode != 0:
        if time.monotonic() > deadline or server.poll() is not None:
            server.kill()
            raise SystemExit("symbol-order: the server did not start under valgrind")
        time.sleep(1)
    for _ in range(20):
        for request in REQUESTS:
            subprocess.run(["curl", "-s", "-o", "/dev/null", url + request[0], *request[1:]], check=True)
    server.terminate()
    server.wait(120)
    return out


def executed_functions(profile_path, binary):
    """The executable's functions in the profile, by instructions spent (self), most first."""
    objects, functions, cost, owner = {}, {}, collections.Counter(), {}
    current_object = current_function = None
    after_call = False
    naming = re.compile(r"^(c?)(ob|fn)=\((\d+)\)(?: (.*))?$")
    with open(profile_path) as profile_file:
        for line in profile_file:
            named = naming.match(line.rstrip("\n"))
            if named:
                is_call, kind, number, name = named.groups()
                table = objects if kind == "ob" else functions
                if name:
                    table[number] = name
                if not is_call:
                    if kind == "ob":
                        current_object = objects[number]
                    else:
                        current_function = functions[number]
                        owner[current_function] = current_object
                continue
            if line.startswith("calls="):
                after_call = True  # the next cost line is the callee's, not this function's
            elif line[:1].isdigit() or line[:1] in "+-*":
                if not after_call and current_function:
                    fields = line.split()
                    if len(fields) > 1:
                        cost[current_function] += int(fields[1])
                after_call = False
    binary = os.path.realpath(binary)
    return [name for name, _ in cost.most_common() if os.path.realpath(owner.get(name) or "") == binary]


def unmovable_functions():
    """Functions that do not have a section of their own (`.text.<name>`): much of the static
    Swift runtime, and the static interpreter (see scripts/setup.sh)."""
    inputs = [os.path.join(STATIC_RUNTIME, name) for name in sorted(os.listdir(STATIC_RUNTIME)) if name.endswith(".a")]
    inputs.append(os.path.join(ROOT, ".build", "static-python", "libpython3.11.o"))
    names = set()
    for path in filter(os.path.exists, inputs):
        table = subprocess.run(["objdump", "-t", path], capture_output=True, text=True).stdout
        for line in table.splitlines():
            left, tab, right = line.partition("\t")
            if not tab or " F " not in left:
                continue
            section, name = left.split()[-1], right.split()[-1]
            if section.startswith(".text") and section != f".text.{name}":
                names.add(name)
    return names


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--apus", default=os.path.join(ROOT, ".build", "release", "apus"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        functions = executed_functions(profile(os.path.abspath(args.apus), folder), args.apus)
    unmovable = unmovable_functions()
    ordered = [name for name in functions if name not in unmovable]
    with open(OUTPUT, "w") as output:
        output.write("\n".join(ordered) + "\n")
    print(f"symbol-order: {len(ordered)} functions ({len(functions) - len(ordered)} unmovable left out) in {OUTPUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
