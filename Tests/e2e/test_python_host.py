"""Python as the host: `import apus` loads the runtime's extension library and serves an app
from inside the Python process (the base of the TestClient)."""
import os
import subprocess
import sys
import sysconfig

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

SCRIPT = r"""
import json, urllib.request
import apus
from fastapi import FastAPI

app = FastAPI()

@app.get("/hello/{name}")
def hello(name: str, times: int = 1):
    return {"hello": name * times}

@app.get("/async")
async def hello_async():
    return {"async": True}

with apus.serve(app, port=0) as server:
    assert server.port > 0
    with urllib.request.urlopen(server.url + "/hello/ab?times=2") as response:
        print(response.status, response.read().decode())
    with urllib.request.urlopen(server.url + "/async") as response:
        print(response.status, response.read().decode())
print("stopped")
"""


def run(python, env=None):
    return subprocess.run([python, "-c", SCRIPT], capture_output=True, text=True, timeout=60, env=env)


def test_import_apus_in_the_project_venv_serves_in_process():
    result = run(sys.executable)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ['200 {"hello":"abab"}', '200 {"async":true}', "stopped"]


def test_any_interpreter_of_the_version_given_the_path():
    """The base interpreter (outside any venv), with the package and the venv's site-packages on
    PYTHONPATH."""
    site = sysconfig.get_paths()["purelib"]
    env = {"PYTHONPATH": os.path.join(ROOT, "python") + os.pathsep + site, "PATH": "/usr/bin:/bin"}
    result = run(sys._base_executable, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "stopped"


def test_stopping_a_server_releases_its_threads():
    script = r"""
import os, urllib.request
import apus
from fastapi import FastAPI

app = FastAPI()

@app.get("/s")
def s():
    return 1

@app.get("/a")
async def a():
    return 2

def threads():
    return len(os.listdir("/proc/self/task"))

counts = []
for _ in range(8):
    with apus.serve(app) as server:
        urllib.request.urlopen(server.url + "/s").read()
        urllib.request.urlopen(server.url + "/a").read()
    counts.append(threads())
import time
deadline = time.monotonic() + 5
while threads() > counts[0] and time.monotonic() < deadline:
    time.sleep(0.05)  # threads end on their own after stop(); give them a moment
print(counts, threads())
assert threads() <= counts[0], (counts, threads())
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_hosting_process_keeps_its_own_signal_handlers():
    script = r"""
import os, signal, time, urllib.request
import apus
from fastapi import FastAPI

app = FastAPI()

@app.get("/")
def index():
    return 1

with apus.serve(app) as server:
    urllib.request.urlopen(server.url + "/").read()
assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
try:
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(1)
except KeyboardInterrupt:
    print("KeyboardInterrupt")
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "KeyboardInterrupt", result.stdout + result.stderr
