"""HTTP/2 (`--http auto`, the default): h2c with prior knowledge and h2 chosen by ALPN over TLS,
with the same app, plans and limits as HTTP/1.1; many streams on one connection, bodies past
the flow-control windows both ways, streamed responses as they are written, the access log,
GOAWAY at shutdown, and what a broken client sends refused without harm."""
import asyncio
import hashlib
import os
import signal
import socket
import ssl
import subprocess
import time

import httpx
import pytest

from conftest import PROJECT_VENV, ApusServer

APP = '''
import asyncio
import hashlib

from fastapi import FastAPI, Request, Response
from fastapi.responses import StreamingResponse

app = FastAPI()
finished = []


@app.get("/items/{item_id}")
def read_item(item_id: int, q: str = ""):
    return {"item_id": item_id, "q": q}


@app.get("/scope")
async def scope(request: Request):
    return {"http_version": request.scope["http_version"], "host": request.headers.get("host"),
            "cookies": request.cookies, "scheme": request.url.scheme}


@app.post("/digest")
async def digest(request: Request):
    body = await request.body()
    return {"length": len(body), "sha256": hashlib.sha256(body).hexdigest()}


@app.post("/ignore")
def ignore():
    return {"ignored": True}


@app.get("/big")
def big():
    return Response(bytes(range(256)) * 20_000, media_type="application/octet-stream")


@app.get("/stream")
async def stream():
    async def chunks():
        try:
            for index in range(5):
                yield f"chunk {index}\\n"
                await asyncio.sleep(0.2)
        finally:
            finished.append("stream")
    return StreamingResponse(chunks(), media_type="text/plain")


@app.get("/finished")
def was_finished():
    return finished


@app.get("/slow")
async def slow():
    await asyncio.sleep(1)
    return {"slow": True}


@app.get("/headers")
def headers():
    return Response("ok", headers={"X-Custom": "Value", "Connection": "keep-alive"})
'''


@pytest.fixture(scope="module")
def app_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("h2")
    (folder / "h2_app.py").write_text(APP)
    return folder


def serve(app_dir, *args):
    return ApusServer("h2_app:app", "--app-dir", str(app_dir), "--port", "0", *args,
                      env={**os.environ, "VIRTUAL_ENV": PROJECT_VENV})


@pytest.fixture(scope="module")
def server(app_dir):
    server = serve(app_dir)
    yield server
    server.stop()


def h2c(server):
    """A client that speaks HTTP/2 from the first byte (prior knowledge)."""
    return httpx.Client(base_url=f"http://127.0.0.1:{server.port}", http1=False, http2=True, timeout=10)


def test_prior_knowledge_serves_the_app_over_http2(server):
    with h2c(server) as client:
        response = client.get("/items/3", params={"q": "x"})
        assert response.http_version == "HTTP/2" and response.json() == {"item_id": 3, "q": "x"}
        assert client.get("/items/x").status_code == 422
        scope = client.get("/scope", headers={"cookie": "a=1; b=2"}).json()
        assert scope == {"http_version": "2", "host": f"127.0.0.1:{server.port}", "cookies": {"a": "1", "b": "2"},
                         "scheme": "http"}
    # The same server still speaks HTTP/1.1.
    assert httpx.get(server.url("/items/4")).http_version == "HTTP/1.1"


def test_many_streams_at_once_on_one_connection(server):
    async def run():
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}", http1=False, http2=True,
                                     timeout=20) as client:
            responses = await asyncio.gather(*(client.get(f"/items/{n}") for n in range(60)))
            return [response.json()["item_id"] for response in responses]
    assert asyncio.run(run()) == list(range(60))


def test_bodies_past_the_flow_control_windows(server):
    body = os.urandom(3_000_000)
    with h2c(server) as client:
        answer = client.post("/digest", content=body).json()
        assert answer == {"length": len(body), "sha256": hashlib.sha256(body).hexdigest()}
        big = client.get("/big")
        assert big.content == bytes(range(256)) * 20_000 and big.headers["content-length"] == str(5_120_000)


def test_a_streamed_response_arrives_as_it_is_written(server):
    with h2c(server) as client:
        started = time.monotonic()
        with client.stream("GET", "/stream") as response:
            pieces = response.iter_text()
            first = next(pieces)
            first_after = time.monotonic() - started
            rest = "".join(pieces)
        assert first.startswith("chunk 0") and first_after < 0.6
        assert (first + rest).splitlines() == [f"chunk {n}" for n in range(5)]


def test_head_and_the_response_header_fields(server):
    with h2c(server) as client:
        full = client.get("/openapi.json")
        head = client.head("/openapi.json")
        assert head.status_code == 200 and head.content == b""
        assert head.headers["content-length"] == full.headers["content-length"] == str(len(full.content))
        fields = client.get("/headers").headers
        assert fields["x-custom"] == "Value" and "connection" not in fields and fields["server"] == "apus"


def test_the_access_log_says_http_2(server):
    with h2c(server) as client:
        client.get("/items/77")
    deadline = time.monotonic() + 2
    while not any('"GET /items/77 HTTP/2" 200' in line for line in server.lines) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert any('"GET /items/77 HTTP/2" 200' in line for line in server.lines)


def test_a_client_that_resets_a_stream_stops_its_generator(server):
    with h2c(server) as client:
        with client.stream("GET", "/stream") as response:
            next(response.iter_text())
        # Closing the response early resets the stream; the connection goes on.
        deadline = time.monotonic() + 3
        while "stream" not in client.get("/finished").json() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert "stream" in client.get("/finished").json()
        assert client.get("/items/5").json()["item_id"] == 5


def raw_exchange(port, data, read_for=1.0):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(data)
        sock.settimeout(read_for)
        received = b""
        try:
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    return received, True
                received += chunk
        except socket.timeout:
            return received, False


def test_broken_clients_are_refused_without_harm(server):
    preface = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
    # A broken preface, then frames of nonsense: a GOAWAY (type 7) and the connection closed.
    for data in (b"PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n", preface + b"\x00\x00\x04\x99\x00\x00\x00\x00\x01garbage" * 3):
        received, closed = raw_exchange(server.port, data)
        assert closed
    # Header fields past --limit-request-head-size: 431.
    with h2c(server) as client:
        assert client.get("/items/1", headers={"x-big": "v" * 20_000}).status_code == 431
        assert client.get("/items/2").status_code == 200


def test_http_1_1_only(app_dir):
    only = serve(app_dir, "--http", "1.1")
    try:
        with pytest.raises(httpx.HTTPError):
            with h2c(only) as client:
                client.get("/items/1")
        assert httpx.get(only.url("/items/1")).json()["item_id"] == 1
    finally:
        only.stop()


def test_http_2_only(app_dir):
    only = serve(app_dir, "--http", "2")
    try:
        with h2c(only) as client:
            assert client.get("/items/1").json()["item_id"] == 1
        assert httpx.get(only.url("/items/1")).status_code == 505
    finally:
        only.stop()


def test_shutdown_finishes_the_streams_in_flight(app_dir):
    server = serve(app_dir)
    try:
        async def run():
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}", http1=False, http2=True,
                                         timeout=10) as client:
                slow = asyncio.create_task(client.get("/slow"))
                await asyncio.sleep(0.3)
                server.signal(signal.SIGTERM)
                return await slow
        response = asyncio.run(run())
        assert response.json() == {"slow": True}
        assert server.wait(15) == 0
    finally:
        server.stop()


@pytest.fixture(scope="module")
def certificates(tmp_path_factory):
    folder = tmp_path_factory.mktemp("h2tls")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", "key.pem", "-out", "cert.pem", "-subj", "/CN=localhost", "-days", "2",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                   cwd=folder, check=True, capture_output=True)
    return folder


def test_h2_over_tls_by_alpn(app_dir, certificates):
    server = serve(app_dir, "--ssl-certfile", str(certificates / "cert.pem"), "--ssl-keyfile",
                   str(certificates / "key.pem"))
    try:
        base = f"https://localhost:{server.port}"
        trust = ssl.create_default_context(cafile=str(certificates / "cert.pem"))
        with httpx.Client(base_url=base, http2=True, verify=trust, timeout=10) as client:
            response = client.get("/scope")
            assert response.http_version == "HTTP/2" and response.json()["scheme"] == "https"
            body = os.urandom(500_000)
            assert client.post("/digest", content=body).json()["sha256"] == hashlib.sha256(body).hexdigest()
        with httpx.Client(base_url=base, verify=trust, timeout=10) as client:
            assert client.get("/scope").http_version == "HTTP/1.1"
    finally:
        server.stop()


def test_h2load_many_connections_and_streams(server):
    """nghttp2's own load tool: 4 connections of 10 streams at once, every answer a 200."""
    out = subprocess.run(["h2load", "-n", "2000", "-c", "4", "-m", "10", server.url("/items/1")],
                         capture_output=True, text=True, timeout=120).stdout
    assert "2000 succeeded, 0 failed" in out and "status codes: 2000 2xx" in out, out


def test_the_limits_of_http_1_1_hold(app_dir):
    limited = serve(app_dir, "--limit-request-body-size", "1000", "--limit-concurrency", "1")
    try:
        with h2c(limited) as client:
            assert client.post("/digest", content=b"x" * 999).json()["length"] == 999
            assert client.post("/digest", content=b"x" * 5000).status_code == 413

        async def two_at_once():
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{limited.port}", http1=False, http2=True,
                                         timeout=10) as client:
                return await asyncio.gather(client.get("/slow"), client.get("/items/1"))
        slow, busy = asyncio.run(two_at_once())
        assert slow.status_code == 200 and busy.status_code == 503 and busy.headers["retry-after"] == "1"
    finally:
        limited.stop()


def test_a_client_that_stops_reading_stalls_only_its_stream(server):
    """Flow control: a client with a 1 KiB window that grants no more gets 1 KiB of /big and the
    server waits; other streams and connections go on; once it grants the rest, all of it comes."""
    import h2.config
    import h2.connection
    import h2.events
    import h2.settings

    sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    connection = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
    connection.initiate_connection()
    connection.update_settings({h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 1024})
    sock.sendall(connection.data_to_send())
    connection.send_headers(1, [(":method", "GET"), (":path", "/big"), (":scheme", "http"),
                                (":authority", "127.0.0.1")], end_stream=True)
    sock.sendall(connection.data_to_send())
    received = 0
    ended = False

    def pump(seconds):
        nonlocal received, ended
        sock.settimeout(seconds)
        try:
            while not ended:
                data = sock.recv(65536)
                if not data:
                    break
                for event in connection.receive_data(data):
                    if isinstance(event, h2.events.DataReceived):
                        received += len(event.data)
                    elif isinstance(event, h2.events.StreamEnded):
                        ended = True
                sock.sendall(connection.data_to_send())
        except socket.timeout:
            pass

    pump(1.0)
    assert 0 < received <= 1024 and not ended
    # Meanwhile the server answers others.
    assert httpx.get(server.url("/items/9")).json()["item_id"] == 9
    connection.increment_flow_control_window(10_000_000, stream_id=1)
    connection.increment_flow_control_window(10_000_000)
    sock.sendall(connection.data_to_send())
    pump(10.0)
    sock.close()
    assert ended and received == 5_120_000


def test_uploads_stream_to_the_app_and_unread_bodies_do_not_stall_the_connection(server):
    body = os.urandom(20_000_000)
    with h2c(server) as client:
        answer = client.post("/digest", content=body).json()
        assert answer == {"length": len(body), "sha256": hashlib.sha256(body).hexdigest()}
        # A route that never reads its body: answered, and the connection's window reopened.
        for _ in range(3):
            assert client.post("/ignore", content=os.urandom(2_000_000)).json() == {"ignored": True}
        assert client.get("/items/6").json()["item_id"] == 6


def test_a_body_that_stops_arriving_times_out(app_dir):
    import h2.config
    import h2.connection
    import h2.events

    server = serve(app_dir, "--timeout-request-head", "1")
    try:
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        connection = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
        connection.initiate_connection()
        connection.send_headers(1, [(":method", "POST"), (":path", "/digest"), (":scheme", "http"),
                                    (":authority", "127.0.0.1")])
        connection.send_data(1, b"part of it")
        sock.sendall(connection.data_to_send())
        status = None
        sock.settimeout(5)
        deadline = time.monotonic() + 5
        while status is None and time.monotonic() < deadline:
            data = sock.recv(65536)
            if not data:
                break
            for event in connection.receive_data(data):
                if isinstance(event, h2.events.ResponseReceived):
                    status = dict(event.headers)[":status"]
            sock.sendall(connection.data_to_send())
        sock.close()
        assert status == "408"
    finally:
        server.stop()
