"""`apus dev DIR`: a file edited, added or removed is served within a second with no restart,
in Python and in Node; a syntax error keeps the previous version serving and prints the error;
a route table that changes shape (a new folder, a new parameter route) is swapped whole."""
import os
import re
import subprocess
import time

import pytest

from conftest import APUS_BIN, PROJECT_VENV
from functions_support import REPO, call_json, serve, write_tree


def py(value):
    return f"def handler(event):\n    return {{'v': {value!r}}}\n"


def js(value):
    return f"exports.handler = () => ({{ v: {value!r} }});\n"


@pytest.fixture
def dev(tmp_path):
    write_tree(tmp_path, {"a.py": py(1), "js/b.js": js(1)})
    server = serve(tmp_path, "--hot-reload")  # what `apus dev` runs
    yield tmp_path, server
    server.stop()


def eventually(server, path, expected, within=1.0):
    """Polls `path` until it answers `expected` (status, json); returns the seconds it took."""
    started = time.monotonic()
    while True:
        got = call_json(server, path)
        if got == expected:
            return time.monotonic() - started
        assert time.monotonic() - started < within, f"{path}: still {got}, expected {expected}"
        time.sleep(0.02)


def test_edits_adds_and_deletes_are_live_within_a_second(dev):
    root, server = dev
    assert call_json(server, "/a") == (200, {"v": 1})
    write_tree(root, {"a.py": py(2), "js/b.js": js(2)})
    eventually(server, "/a", (200, {"v": 2}))
    eventually(server, "/js/b", (200, {"v": 2}))
    write_tree(root, {"new/[id].js": "exports.handler = (e, p) => ({ id: p.id });\n"})
    eventually(server, "/new/7", (200, {"id": "7"}))
    (root / "a.py").unlink()
    eventually(server, "/a", (404, {"error": "not found"}))


def test_a_syntax_error_keeps_the_previous_version_serving(dev):
    root, server = dev
    # The previous version is the one running: a Python module, a Node worker.
    assert call_json(server, "/a") == (200, {"v": 1}) and call_json(server, "/js/b") == (200, {"v": 1})
    write_tree(root, {"a.py": "def handler(event) oops\n", "js/b.js": "exports.handler = ( => oops\n"})
    deadline = time.monotonic() + 1.0
    log = ""
    while time.monotonic() < deadline and not ("SyntaxError: expected ':'" in log and "Unexpected token" in log):
        time.sleep(0.05)
        log = "\n".join(server.lines)
    assert "SyntaxError: expected ':'" in log and "Unexpected token" in log
    assert call_json(server, "/a") == (200, {"v": 1})
    assert call_json(server, "/js/b") == (200, {"v": 1})
    write_tree(root, {"a.py": py(3), "js/b.js": js(3)})  # fixed: the new version takes over
    eventually(server, "/a", (200, {"v": 3}))
    eventually(server, "/js/b", (200, {"v": 3}))


def test_apus_dev_defaults_to_functions_and_takes_run_options(tmp_path):
    write_tree(tmp_path / "functions", {"hi.py": py("dev")})
    env = {**os.environ, "VIRTUAL_ENV": PROJECT_VENV}
    proc = subprocess.Popen([APUS_BIN, "dev", "--port", "0"], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        port = None
        for line in proc.stdout:
            match = re.search(r"running on http://\S+:(\d+)", line)
            if match:
                port = int(match.group(1))
                break
        assert port is not None

        class Server:
            def url(self, path):
                return f"http://127.0.0.1:{port}{path}"
        assert call_json(Server(), "/hi") == (200, {"v": "dev"})
    finally:
        proc.terminate()
        proc.wait(10)
