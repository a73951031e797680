"""Files (`FileResponse`, `StaticFiles`) are sent by the runtime from the file itself (ASGI's
`http.response.pathsend`): Python opens no file, the bytes and headers are Starlette's, a
large file costs the server little memory, and Range requests still get Starlette's answers."""
import gzip
import os
import socket

import pytest

from conftest import APPS, ApusServer, PROJECT_VENV


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("files")
    (folder / "small.txt").write_text("hello, file\n" * 10)
    (folder / "medium.bin").write_bytes(bytes(range(256)) * 4096 + b"tail")  # 1 MiB + 4: several pieces
    with open(folder / "large.bin", "wb") as large:  # 512 MiB, sparse: quick to make
        large.truncate(512 * 1024 * 1024)
    (folder / "index.html").write_text("<h1>index</h1>")
    return folder


@pytest.fixture(scope="module")
def server(files):
    server = ApusServer("file_responses:app", "--app-dir", APPS, "--port", "0", "--no-access-log",
                        env={**os.environ, "FILES_DIR": str(files), "VIRTUAL_ENV": PROJECT_VENV})
    yield server
    server.stop()


def fetch(server, path, headers=(), method="GET", read=True):
    with socket.create_connection(("127.0.0.1", server.port), timeout=60) as sock:
        extra = "".join(f"{name}: {value}\r\n" for name, value in headers)
        sock.sendall(f"{method} {path} HTTP/1.1\r\nHost: x\r\n{extra}Connection: close\r\n\r\n".encode())
        chunks = []
        while chunk := sock.recv(1 << 20):
            chunks.append(chunk)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    fields = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        fields[name.strip().lower()] = value.strip()
    return int(lines[0].split()[1]), fields, body


def test_a_file_response_is_the_file_with_starlettes_headers_and_python_reads_nothing(server, files):
    for name in ("small.txt", "medium.bin"):
        status, headers, body = fetch(server, f"/file/{name}")
        content = (files / name).read_bytes()
        assert status == 200 and body == content
        assert headers["content-length"] == str(len(content))
        assert headers["etag"] and headers["last-modified"] and headers["accept-ranges"] == "bytes"
    status, _, body = fetch(server, "/static/medium.bin")
    assert status == 200 and body == (files / "medium.bin").read_bytes()
    status, _, body = fetch(server, "/static/", headers=[("accept", "text/html")])
    assert status == 200 and body == b"<h1>index</h1>"
    status, _, body = fetch(server, "/opened")
    assert status == 200 and body == b'{"opened":[]}', "Python opened none of the files"


def test_head_and_ranges_stay_starlettes(server, files):
    status, headers, body = fetch(server, "/static/medium.bin", method="HEAD")  # FastAPI routes take no HEAD
    assert status == 200 and body == b"" and headers["content-length"] == str(1024 * 1024 + 4)
    status, headers, body = fetch(server, "/file/medium.bin", headers=[("range", "bytes=1048570-")])
    assert status == 206 and body == (files / "medium.bin").read_bytes()[1048570:]
    assert headers["content-range"] == f"bytes 1048570-{1024 * 1024 + 3}/{1024 * 1024 + 4}"
    etag = fetch(server, "/static/small.txt")[1]["etag"]
    assert fetch(server, "/static/small.txt", headers=[("if-none-match", etag)])[0] == 304  # StaticFiles' check


def test_a_large_file_costs_the_server_little_memory(server, files):
    def rss():
        with open(f"/proc/{server.pid}/status") as status:
            return int(status.read().split("VmRSS:")[1].split()[0]) * 1024
    before = rss()
    size = 0
    with socket.create_connection(("127.0.0.1", server.port), timeout=60) as sock:
        sock.sendall(b"GET /file/large.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        peak = before
        while chunk := sock.recv(1 << 20):
            size += len(chunk)
            if size % (64 << 20) < (1 << 20):
                peak = max(peak, rss())
    assert size > 512 * 1024 * 1024
    assert peak - before < 50 * 1024 * 1024, f"RSS grew by {(peak - before) >> 20} MiB"


def test_a_missing_file_answers_as_starlette_does(server):
    assert fetch(server, "/file/missing.txt")[0] == 500  # Starlette raises: the file does not exist


def test_gzip_middleware_compresses_a_file(files):
    server = ApusServer("file_responses:app", "--app-dir", APPS, "--port", "0", "--no-access-log",
                        env={**os.environ, "FILES_DIR": str(files), "FILES_GZIP": "1", "VIRTUAL_ENV": PROJECT_VENV})
    try:
        status, headers, body = fetch(server, "/file/medium.bin", headers=[("accept-encoding", "gzip")])
        assert status == 200 and headers["content-encoding"] == "gzip"
        raw = body
        if headers.get("transfer-encoding") == "chunked":
            out, rest = [], body
            while True:
                size_line, _, rest = rest.partition(b"\r\n")
                length = int(size_line, 16)
                if length == 0:
                    break
                out.append(rest[:length])
                rest = rest[length + 2:]
            raw = b"".join(out)
        assert gzip.decompress(raw) == (files / "medium.bin").read_bytes()
        assert fetch(server, "/opened")[2] == b'{"opened":[]}'
    finally:
        server.stop()
