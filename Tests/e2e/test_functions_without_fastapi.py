"""A functions tree served by an environment with no FastAPI (no venv at all, or one without
it): a tree without Python functions serves as it does with FastAPI, answer for answer but for
files' ranges (served whole: no `accept-ranges`); one with Python functions says in one line
what to install."""
import os
import subprocess
import time

import pytest

from conftest import APUS_BIN, PROJECT_VENV, ApusServer
from functions_support import call, serve, write_tree

FILES = {
    "api/hello.js": "module.exports.handler = async (event) => ({ status: 200, body: { hi: event.query.name || 'you' } });\n",
    "items/[id].js": "module.exports.handler = async (event) => ({ status: 200, body: { id: event.params.id } });\n",
    "public/index.html": "<html>home</html>",
    "public/site.css": "body{}",
    "public/docs/index.html": "<html>docs</html>",
    "fn.config.json": '{"assets": {"directory": "public", "not_found_handling": "single-page-application"}}',
}

REQUESTS = [("GET", "/api/hello?name=ann", {}), ("GET", "/items/7", {}), ("GET", "/", {}), ("GET", "/site.css", {}),
            ("HEAD", "/site.css", {}), ("GET", "/docs", {}), ("GET", "/dashboard", {"accept": "text/html"}),
            ("GET", "/settings", {"accept": "application/json"}), ("GET", "/api/nope", {"accept": "text/html"}),
            ("GET", "/missing.js", {"accept": "text/html"}), ("DELETE", "/api/hello", {}), ("POST", "/site.css", {})]


@pytest.fixture(scope="module")
def bare_venv(tmp_path_factory):
    """A venv of the embedded Python with nothing installed in it."""
    venv = tmp_path_factory.mktemp("bare") / "venv"
    python = os.path.realpath(os.path.join(PROJECT_VENV, "bin", "python"))
    subprocess.run([python, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    return str(venv)


def answers(server):
    seen = []
    for method, path, headers in REQUESTS:
        status, response_headers, body = call(server, path, method=method, headers=headers)
        response_headers.pop("date", None)
        response_headers.pop("accept-ranges", None)  # Starlette's FileResponse serves ranges; the plain one does not
        if "allow" in response_headers:  # a set's order, which differs from process to process
            response_headers["allow"] = sorted(response_headers["allow"].split(", "))
        seen.append((method, path, status, response_headers, body))
    return seen


def test_a_tree_without_python_functions_answers_as_with_fastapi(tmp_path, bare_venv):
    write_tree(tmp_path, FILES)
    plain = serve(tmp_path, env={"VIRTUAL_ENV": bare_venv})
    with_fastapi = serve(tmp_path)
    try:
        assert "no FastAPI installed" in "\n".join(plain.lines)
        got = answers(plain)
        assert got == answers(with_fastapi)
        by_request = {(method, path): (status, body) for method, path, status, _, body in got}
        assert by_request["GET", "/api/hello?name=ann"] == (200, b'{"hi":"ann"}')
        assert by_request["GET", "/items/7"] == (200, b'{"id":"7"}')
        assert by_request["GET", "/dashboard"] == (200, b"<html>home</html>") and by_request["GET", "/settings"][0] == 404
        assert by_request["GET", "/api/nope"][0] == 404 and by_request["DELETE", "/api/hello"][0] == 405
        # A range is answered with the whole file.
        assert call(plain, "/site.css", headers={"range": "bytes=0-1"})[:3:2] == (200, b"body{}")
    finally:
        plain.stop()
        with_fastapi.stop()


def test_no_venv_at_all(tmp_path):
    """No VIRTUAL_ENV, no .venv above the tree, only the system's python3 on PATH."""
    write_tree(tmp_path, FILES)
    environment = {key: value for key, value in os.environ.items() if key not in ("VIRTUAL_ENV", "PYTHONPATH")}
    environment["PATH"] = "/usr/bin:/bin"
    server = ApusServer(str(tmp_path), "--port", "0", env=environment, ready_timeout=60)
    try:
        assert call(server, "/api/hello")[2] == b'{"hi":"you"}'
        assert call(server, "/site.css")[2] == b"body{}"
    finally:
        server.stop()


def test_reload_without_fastapi(tmp_path, bare_venv):
    write_tree(tmp_path, FILES)
    dev = subprocess.Popen([APUS_BIN, "dev", str(tmp_path), "--port", "0"], env={**os.environ, "VIRTUAL_ENV": bare_venv},
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        port = None
        deadline = time.monotonic() + 60
        while port is None and time.monotonic() < deadline:
            line = dev.stdout.readline()
            if "running on http://" in line:
                port = int(line.split("running on http://", 1)[1].split()[0].rsplit(":", 1)[1])
        assert port

        class Dev:
            def url(self, path):
                return f"http://127.0.0.1:{port}{path}"
        assert call(Dev(), "/api/hello")[2] == b'{"hi":"you"}'
        (tmp_path / "api" / "hello.js").write_text(
            "module.exports.handler = async () => ({ status: 200, body: { hi: 'changed' } });\n")
        deadline = time.monotonic() + 10
        while call(Dev(), "/api/hello")[2] != b'{"hi":"changed"}' and time.monotonic() < deadline:
            time.sleep(0.1)
        assert call(Dev(), "/api/hello")[2] == b'{"hi":"changed"}'
        (tmp_path / "public" / "new.txt").write_text("new file")
        deadline = time.monotonic() + 10
        while call(Dev(), "/new.txt")[0] != 200 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert call(Dev(), "/new.txt")[2] == b"new file"
    finally:
        dev.terminate()
        dev.wait(10)


def test_python_functions_say_what_to_install(tmp_path, bare_venv):
    write_tree(tmp_path, {**FILES, "hello.py": "def handler(event):\n    return 'hi'\n",
                          "other.py": "def handler(event):\n    return 'hi'\n"})
    result = subprocess.run([APUS_BIN, "run", str(tmp_path), "--port", "0"], env={**os.environ, "VIRTUAL_ENV": bare_venv},
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "the Python functions (hello.py and 1 more) need FastAPI" in lines[0]
    assert f"{bare_venv}/bin/python3" in lines[0] and "pip install fastapi" in lines[0]
