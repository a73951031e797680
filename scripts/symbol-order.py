#!/usr/bin/env python3
"""Writes scripts/symbol-order.txt, the order in which the linker lays out the functions of the
`apus` executable: every function a FastAPI app's start-up and requests run, hottest first.

Why: the kernel maps a file's pages 64 KiB at a time around each page a process touches, so
code that runs, scattered among code that never does, makes most of the executable resident.
Packed together, it takes a fraction of those pages (RSS), and fewer page faults at start.

How: the release binary serves the example app (`examples/app.py`) under valgrind's callgrind
and answers a mix of requests; the functions of the executable it ran are listed by instructions
spent. Functions the linker cannot move (the static Swift runtime's code that is not compiled
one function per section) are left out: naming them would pull whole blocks of code forward.
The static interpreter's functions are named: their sections are each object's hot, normal
or unlikely code (scripts/setup.sh), and moving those whose code runs packs them together.
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

# The example app of `make run` (a router with a dependency, a model, `def` and `async def`
# routes), asked for what a FastAPI app is asked for: answers, errors, the docs.
REQUESTS = [
    ["/json"], ["/plaintext"], ["/items/1?q=x"], ["/items/9"], ["/items/x"], ["/async"], ["/todos/"],
    ["/items", "-X", "POST", "-H", "content-type: application/json", "-d", '{"name": "a", "price": 1}'],
    ["/items", "-X", "POST", "-H", "content-type: application/json", "-d", '{"name": "a"}'],
    ["/todos/", "-X", "POST", "-H", "content-type: application/json", "-d", '{"title": "t"}'],
    ["/nowhere"], ["/openapi.json"], ["/json", "-X", "DELETE"],
]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def profile(apus, folder):
    """Runs the example app under callgrind; returns the path of its profile."""
    port, out = free_port(), os.path.join(folder, "callgrind.out")
    env = dict(os.environ, VIRTUAL_ENV=os.path.join(ROOT, ".venv"))
    server = subprocess.Popen(["valgrind", "--tool=callgrind", "--demangle=no", f"--callgrind-out-file={out}",
                               apus, "run", "app:app", "--app-dir", os.path.join(ROOT, "examples"),
                               "--port", str(port), "--no-access-log"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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


# A section this small moves whole at no cost: the kernel maps 64 KiB around any page of it that
# runs anyway.
WHOLE_SECTION_LIMIT = 64 * 1024


def unmovable_functions():
    """Functions the linker cannot move without pulling a large block of code that does not run:
    those in a shared code section of over 64 KiB of the static Swift runtime (its standard
    library is one section of 1.6 MB). A function in a smaller shared section is named, and
    moves its section. (The static interpreter's sections are each object's hot, normal or
    unlikely code, kept apart by scripts/setup.sh: they move whole, and most of the code in
    those that run, runs.)"""
    inputs = [os.path.join(STATIC_RUNTIME, name) for name in sorted(os.listdir(STATIC_RUNTIME)) if name.endswith(".a")]
    names = set()
    for path in filter(os.path.exists, inputs):
        listing = subprocess.run(["readelf", "-SW", "-sW", path], capture_output=True, text=True, errors="replace").stdout
        sections = {}
        for line in listing.splitlines():
            if line.startswith("File: "):
                sections = {}  # the next member's
                continue
            header = re.match(r"\s*\[\s*(\d+)\]\s+(\S+)\s+\S+\s+[0-9a-f]+\s+[0-9a-f]+\s+([0-9a-f]+)", line)
            if header:
                sections[header.group(1)] = (header.group(2), int(header.group(3), 16))
                continue
            fields = line.split()
            if len(fields) >= 8 and fields[3] == "FUNC" and fields[6] in sections:
                section, size = sections[fields[6]]
                name = fields[7]
                if section.startswith(".text") and section != f".text.{name}" and size > WHOLE_SECTION_LIMIT:
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
