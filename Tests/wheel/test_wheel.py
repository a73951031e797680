"""The wheel as a user gets it: built by scripts/build-wheel.sh, installed with pip into a fresh
venv of its Python version, and used from a folder outside the repository with the Swift
toolchain off PATH and no APUS_* variable set: `apus run`, `apus routes`, `apus dev`, a functions
tree, `import apus`, and a pytest suite through the plugin.

APUS_WHEEL names the wheel (scripts/test-wheel.sh builds it); its Python version is the one the
fresh venv is made from (APUS_WHEEL_PYTHON)."""
import os
import re
import shutil
import signal
import subprocess
import time
import urllib.request

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
WHEEL = os.environ.get("APUS_WHEEL")
PYTHON = os.environ.get("APUS_WHEEL_PYTHON")
pytestmark = pytest.mark.skipif(not WHEEL or not PYTHON, reason="APUS_WHEEL and APUS_WHEEL_PYTHON name the wheel and its Python")

APP = '''
from fastapi import Depends, FastAPI

app = FastAPI()


def page(skip: int = 0):
    return skip


@app.get("/items")
def items(skip: int = Depends(page)):
    return {"skip": skip, "text": "café"}
'''

SUITE = '''
from fastapi.testclient import TestClient

from main import app


def test_items():
    with TestClient(app) as client:
        assert client.get("/items?skip=2").json() == {"skip": 2, "text": "café"}
        assert client.get("/items?skip=x").status_code == 422
'''


def requirement(name):
    """The version the project pins (requirements*.txt), so pip takes it from its cache."""
    for file in ("requirements.txt", "requirements-dev.txt"):
        with open(os.path.join(REPO, file)) as lines:
            for line in lines:
                if line.split("==")[0].split("[")[0].strip() == name:
                    return line.strip()
    return name


def user_environment(venv):
    """What a user's shell has after `source venv/bin/activate`, on a machine without Swift."""
    path = ":".join(folder for folder in os.environ.get("PATH", "/usr/bin:/bin").split(":")
                    if folder and "swift" not in folder and not folder.startswith(REPO))
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith("APUS_") and key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    environment.update(PATH=f"{venv}/bin:{path}", VIRTUAL_ENV=venv, LANG="C.UTF-8")
    return environment


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A fresh venv with the wheel, FastAPI and pytest installed, and a project folder."""
    home = tmp_path_factory.mktemp("user")
    venv = str(home / "venv")
    subprocess.run([PYTHON, "-m", "venv", venv], check=True)
    subprocess.run([f"{venv}/bin/python", "-m", "pip", "install", "-q", "--disable-pip-version-check", WHEEL,
                    requirement("fastapi"), requirement("starlette"), requirement("pydantic"),
                    requirement("httpx"), requirement("pytest")], check=True)
    project = home / "project"
    project.mkdir()
    (project / "main.py").write_text(APP)
    (project / "test_main.py").write_text(SUITE)
    functions = project / "functions"
    functions.mkdir()
    (functions / "hello.py").write_text("def handler(event):\n    return {'hello': event['query'].get('name', 'world')}\n")
    (functions / "shout.js").write_text(
        "exports.handler = async (event) => ({ status: 200, body: String(event.query.text || '').toUpperCase() });\n")
    return venv, str(project), user_environment(venv)


def serve(argv, cwd, environment):
    process = subprocess.Popen(argv, cwd=cwd, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
    lines = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        found = re.search(r"running on http://\S+:(\d+)", line)
        if found:
            return process, int(found.group(1))
    process.kill()
    raise AssertionError("apus did not start:\n" + "".join(lines))


def stop(process):
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()


def fetch(port, path):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
        return response.status, response.read().decode()


def test_the_command_is_installed_and_needs_no_toolchain(installed):
    venv, project, environment = installed
    command = shutil.which("apus", path=environment["PATH"])
    assert command == f"{venv}/bin/apus"
    needed = subprocess.run(["readelf", "-d", command], capture_output=True, text=True, check=True).stdout
    libraries = set(re.findall(r"Shared library: \[(.+?)\]", needed))
    assert not any("uv" in name or "swift" in name or "python" in name for name in libraries), libraries
    assert subprocess.run(["apus", "--version"], env=environment, capture_output=True, text=True,
                          check=True).stdout.strip()


def test_run_serves_the_app_with_its_plans(installed):
    _, project, environment = installed
    process, port = serve(["apus", "run", "main:app", "--port", "0"], project, environment)
    try:
        assert fetch(port, "/items?skip=3") == (200, '{"skip":3,"text":"café"}')
    finally:
        stop(process)


def test_routes_lists_the_app(installed):
    _, project, environment = installed
    listing = subprocess.run(["apus", "routes", "main:app"], cwd=project, env=environment, capture_output=True,
                             text=True, timeout=60)
    assert listing.returncode == 0, listing.stdout + listing.stderr
    assert "/items" in listing.stdout and "injected" in listing.stdout


def test_dev_serves_a_functions_tree_in_two_languages(installed):
    _, project, environment = installed
    process, port = serve(["apus", "dev", "functions", "--port", "0"], project, environment)
    try:
        assert fetch(port, "/hello?name=apus") == (200, '{"hello":"apus"}')
        if shutil.which("node"):
            assert fetch(port, "/shout?text=hi") == (200, "HI")
    finally:
        stop(process)


def test_the_package_and_its_extension_import(installed):
    venv, project, environment = installed
    code = "import apus, apus._apus, sys; print(apus.__file__, sys.version_info[:2])"
    shown = subprocess.run([f"{venv}/bin/python", "-c", code], cwd=project, env=environment, capture_output=True,
                           text=True, check=True).stdout
    assert shown.startswith(venv + "/lib/")


def test_a_pytest_suite_runs_through_the_plugin(installed):
    venv, project, environment = installed
    run = subprocess.run([f"{venv}/bin/python", "-m", "pytest", "-q", "-p", "apus.pytest_plugin", "test_main.py"],
                         cwd=project, env=environment, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 passed" in run.stdout


def test_a_tree_without_python_functions_needs_only_the_wheel(tmp_path):
    """`pip install apus` alone (no FastAPI): a tree of Node functions and files serves."""
    venv = str(tmp_path / "venv")
    subprocess.run([PYTHON, "-m", "venv", venv], check=True)
    subprocess.run([f"{venv}/bin/python", "-m", "pip", "install", "-q", "--disable-pip-version-check", WHEEL],
                   check=True)
    environment = user_environment(venv)
    assert subprocess.run([f"{venv}/bin/python", "-c", "import fastapi"], env=environment,
                          capture_output=True).returncode != 0
    tree = tmp_path / "site"
    (tree / "public").mkdir(parents=True)
    (tree / "public" / "index.html").write_text("<h1>site</h1>")
    (tree / "fn.config.json").write_text('{"assets": {"directory": "public"}}')
    if shutil.which("node"):
        (tree / "shout.js").write_text(
            "exports.handler = async (event) => ({ status: 200, body: String(event.query.text || '').toUpperCase() });\n")
    process, port = serve(["apus", "dev", ".", "--port", "0"], str(tree), environment)
    try:
        assert fetch(port, "/") == (200, "<h1>site</h1>")
        if shutil.which("node"):
            assert fetch(port, "/shout?text=hi") == (200, "HI")
    finally:
        stop(process)
