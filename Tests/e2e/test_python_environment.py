"""The embedded interpreter behaves as `python3` does in the same environment: the locale and
its encodings, UTF-8 mode, buffered and unbuffered stdio (flushed at exit), `sys.argv` and
`sys.executable` for libraries that start Python processes of their own."""
import glob
import json
import os
import subprocess
import sys
import time
import urllib.request

import pytest

from conftest import APUS_BIN, PROJECT_VENV, ApusServer

VENV = PROJECT_VENV
PYTHON = os.path.join(VENV, "bin", "python3")

APP = '''
import concurrent.futures, locale, logging, multiprocessing, os, subprocess, sys
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

HERE = os.path.dirname(os.path.abspath(__file__))
app = FastAPI()
log = logging.getLogger("environment")


def square(x):
    return x * x


@app.get("/encodings")
def encodings():
    return {"utf8_mode": sys.flags.utf8_mode, "filesystem": sys.getfilesystemencoding(),
            "stdout": sys.stdout.encoding, "stderr": sys.stderr.encoding,
            "preferred": locale.getpreferredencoding(False)}


@app.get("/print")
def printed(text: str):
    print(text)
    return {"printed": text}


@app.get("/log")
def logged(text: str):
    log.warning(text)
    return {}


@app.get("/file")
def read_file():
    with open(os.path.join(HERE, "grüße.txt")) as file:
        return {"text": file.read()}


@app.get("/argv")
def argv():
    return {"argv": sys.argv, "orig_argv": sys.orig_argv, "executable": sys.executable}


@app.get("/pool")
def pool(method: str):
    context = multiprocessing.get_context(method)
    with concurrent.futures.ProcessPoolExecutor(2, mp_context=context) as executor:
        return {"squares": list(executor.map(square, range(5)))}


@app.get("/terminate")
def terminate():
    child = subprocess.Popen(["sleep", "30"])
    child.terminate()
    return {"returncode": child.wait(timeout=10)}


app.mount("/static", StaticFiles(directory=os.path.join(HERE, "static")), name="static")
'''

ENCODINGS = ("import json, locale, sys; print(json.dumps({'utf8_mode': sys.flags.utf8_mode, "
             "'filesystem': sys.getfilesystemencoding(), 'stdout': sys.stdout.encoding, "
             "'stderr': sys.stderr.encoding, 'preferred': locale.getpreferredencoding(False)}))")


@pytest.fixture
def app_dir(tmp_path):
    (tmp_path / "environment_app.py").write_text(APP, encoding="utf-8")
    (tmp_path / "grüße.txt").write_text("grüße, 世界\n", encoding="utf-8")
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "naïve.txt").write_text("naïve ✓\n", encoding="utf-8")
    return tmp_path


def base_environment(**extra):
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("LC_", "PYTHON")) and key not in ("LANG", "LANGUAGE")}
    env["VIRTUAL_ENV"] = VENV
    env.update(extra)
    return env


def start(app_dir, env):
    return ApusServer("environment_app:app", "--app-dir", str(app_dir), "--port", "0",
                      "--no-access-log", env=env)


def get(server, path):
    with urllib.request.urlopen(server.url(path), timeout=30) as response:
        return response.status, response.read()


@pytest.mark.parametrize("settings", [
    {"LANG": "C.UTF-8"},
    {"LANG": "C"},
    {},
    {"LC_ALL": "C.UTF-8", "PYTHONIOENCODING": "latin-1"},
    {"LANG": "C.UTF-8", "PYTHONUTF8": "1"},
    {"LANG": "C", "PYTHONUTF8": "0"},
], ids=["c-utf8", "c-locale", "no-locale", "ioencoding", "utf8-mode", "utf8-mode-off"])
def test_encodings_are_pythons_in_the_same_environment(app_dir, settings):
    env = base_environment(**settings)
    expected = json.loads(subprocess.run([PYTHON, "-c", ENCODINGS], env=env, capture_output=True,
                                         text=True, check=True).stdout)
    server = start(app_dir, env)
    try:
        status, body = get(server, "/encodings")
        assert status == 200
        assert json.loads(body) == expected
    finally:
        server.stop()


def test_non_ascii_text_in_responses_files_file_names_and_logs(app_dir):
    server = start(app_dir, base_environment(LANG="C.UTF-8"))
    try:
        status, body = get(server, "/file")
        assert (status, json.loads(body)) == (200, {"text": "grüße, 世界\n"})
        status, body = get(server, "/static/na%C3%AFve.txt")
        assert (status, body.decode("utf-8")) == (200, "naïve ✓\n")
        status, _ = get(server, "/print?text=caf%C3%A9")
        assert status == 200
        status, _ = get(server, "/log?text=%E2%9C%93%20logged")
        assert status == 200
    finally:
        server.stop()
    output = "\n".join(server.lines)
    assert "café" in output
    assert "✓ logged" in output


def test_print_to_a_pipe_is_flushed_at_exit(app_dir):
    # stdout is a pipe here, so Python buffers it by blocks: nothing shows until the exit.
    server = start(app_dir, base_environment(LANG="C.UTF-8"))
    try:
        assert get(server, "/print?text=buffered-line")[0] == 200
    finally:
        server.stop()
    assert "buffered-line" in server.lines


def test_pythonunbuffered_prints_at_once(app_dir):
    server = start(app_dir, base_environment(LANG="C.UTF-8", PYTHONUNBUFFERED="1"))
    try:
        assert get(server, "/print?text=unbuffered-line")[0] == 200
        deadline = time.monotonic() + 5
        while "unbuffered-line" not in server.lines and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "unbuffered-line" in server.lines, "printed only at exit, not while serving"
    finally:
        server.stop()


def test_argv_and_executable_let_libraries_start_python(app_dir):
    server = start(app_dir, base_environment(LANG="C.UTF-8"))
    try:
        _, body = get(server, "/argv")
        process = json.loads(body)
        assert process["executable"] == PYTHON
        assert process["argv"][0].endswith("apus") and process["argv"][1:3] == ["run", "environment_app:app"]
        assert process["orig_argv"] == process["argv"]
        # A child of a handler gets the signals sent to it (none blocked, SIGTERM included).
        status, body = get(server, "/terminate")
        assert (status, json.loads(body)) == (200, {"returncode": -15})
        for method in ("fork", "spawn", "forkserver"):
            status, body = get(server, "/pool?method=" + method)
            assert (status, json.loads(body)) == (200, {"squares": [0, 1, 4, 9, 16]}), method
    finally:
        server.stop()


def test_a_venv_of_another_python_is_named_as_the_cause(tmp_path, app_dir):
    embedded = "%d.%d" % sys.version_info[:2]
    others = [f"/usr/bin/python{minor}" for minor in ("3.11", "3.12", "3.13") if minor != embedded]
    others += sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.1[123].*/bin/python3")))
    other = next((path for path in others if os.path.exists(path) and not os.path.realpath(path).startswith(
        os.path.realpath(sys.base_prefix) + "/") and embedded not in path), None)
    if other is None:
        pytest.skip("no Python but the embedded one on this machine")
    venv = tmp_path / "other-venv"
    subprocess.run([other, "-m", "venv", "--without-pip", str(venv)], check=True)
    version = subprocess.run([other, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    env = base_environment(LANG="C.UTF-8")
    env["VIRTUAL_ENV"] = str(venv)
    result = subprocess.run([APUS_BIN, "run", "environment_app:app", "--app-dir", str(app_dir),
                             "--port", "0"], env=env, capture_output=True, text=True, timeout=30)
    assert result.returncode == 1
    assert f"Apus embeds Python {embedded}, but {venv} is a Python {version} environment" in result.stderr + result.stdout


def test_an_environment_without_fastapi_is_named_with_what_to_install(tmp_path):
    venv = tmp_path / "bare-venv"
    subprocess.run([sys._base_executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    tree = tmp_path / "functions"
    tree.mkdir()
    # (A tree of Node functions alone needs no FastAPI: test_functions_without_fastapi.)
    (tree / "hello.py").write_text("def handler(event):\n    return {'ok': True}\n")
    env = base_environment(LANG="C.UTF-8")
    env["VIRTUAL_ENV"] = str(venv)
    result = subprocess.run([APUS_BIN, "run", str(tree), "--port", "0"], env=env, capture_output=True, text=True,
                            timeout=30)
    assert result.returncode == 1
    assert (f"the Python functions (hello.py) need FastAPI, which {venv}/bin/python3 does not have: install it there "
            "(pip install fastapi)") in result.stderr
