"""--uds PATH: served on a Unix-domain socket, as uvicorn's --uds (a reverse proxy on the same
machine connects to a path): mode 0666, a stale socket replaced and any other file refused, the
scope's client and server None, workers sharing the socket, the file removed at exit."""
import json
import os
import signal
import socket
import stat
import subprocess
import time

from conftest import APPS, APUS_BIN, PROJECT_VENV, ApusServer

SCOPE_APP = '''
from fastapi import FastAPI, Request

app = FastAPI()


@app.get("/scope")
async def scope(request: Request):
    return {"client": request.scope["client"], "server": request.scope["server"], "url": str(request.url)}


@app.get("/pid")
def pid():
    import os
    return {"pid": os.getpid()}
'''


def request(path, target):
    """One request over the Unix-domain socket at `path`: (status, body)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(10)
        sock.connect(path)
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode())
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


def serve(tmp_path, *args):
    (tmp_path / "scope_app.py").write_text(SCOPE_APP)
    path = str(tmp_path / "apus.sock")
    server = ApusServer("scope_app:app", "--app-dir", str(tmp_path), "--uds", path, *args,
                        env={**os.environ, "VIRTUAL_ENV": PROJECT_VENV})
    return server, path


def test_serves_on_the_socket_with_no_addresses_in_the_scope_and_removes_it_at_exit(tmp_path):
    server, path = serve(tmp_path)
    try:
        assert server.unix_socket == path
        assert stat.S_ISSOCK(os.stat(path).st_mode) and stat.S_IMODE(os.stat(path).st_mode) == 0o666
        status, body = request(path, "/scope")
        assert status == 200
        assert json.loads(body) == {"client": None, "server": None, "url": "http://localhost/scope"}
        deadline = time.monotonic() + 5
        while not any('- "GET /scope HTTP/1.1" 200 OK' in line for line in server.lines) and time.monotonic() < deadline:
            time.sleep(0.05)
        # uvicorn's access line, without a client address
        assert any(line.endswith(' - "GET /scope HTTP/1.1" 200 OK') and "INFO:      -" in line for line in server.lines)
        server.signal(signal.SIGTERM)
        assert server.wait(15) == 0
        assert not os.path.exists(path)
    finally:
        server.stop()


def test_workers_share_the_socket(tmp_path):
    server, path = serve(tmp_path, "--workers", "2")
    try:
        pids = set()
        deadline = time.monotonic() + 20
        while len(pids) < 2 and time.monotonic() < deadline:
            try:
                status, body = request(path, "/pid")
                if status == 200:
                    pids.add(json.loads(body)["pid"])
            except OSError:
                time.sleep(0.05)  # workers still starting
        assert len(pids) == 2, pids
        server.signal(signal.SIGTERM)
        assert server.wait(20) == 0
        assert not os.path.exists(path)
    finally:
        server.stop()


def test_a_stale_socket_is_replaced(tmp_path):
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(str(tmp_path / "apus.sock"))
    stale.close()  # the file stays, as after a crash
    server, path = serve(tmp_path)
    try:
        assert request(path, "/scope")[0] == 200
    finally:
        server.stop()


def test_a_file_that_is_not_a_socket_is_refused(tmp_path):
    path = tmp_path / "data.txt"
    path.write_text("keep me")
    result = subprocess.run([APUS_BIN, "run", "basic:app", "--app-dir", APPS, "--uds", str(path)],
                            capture_output=True, text=True, timeout=60,
                            env={**os.environ, "VIRTUAL_ENV": PROJECT_VENV})
    assert result.returncode == 1
    assert f"cannot listen on unix socket {path}: a file that is not a socket is there" in result.stderr
    assert path.read_text() == "keep me"


def test_uds_and_fd_together_are_refused():
    result = subprocess.run([APUS_BIN, "run", "--hello", "--uds", "/tmp/x.sock", "--fd", "3"], capture_output=True,
                            text=True, timeout=30)
    assert result.returncode == 2 and "--uds or --fd" in result.stderr
