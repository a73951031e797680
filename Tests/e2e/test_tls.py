"""--ssl-certfile: HTTPS with OpenSSL under the event loop, as uvicorn's --ssl-* options set
it: TLS 1.2 and 1.3, ALPN, session resumption, client certificates, an encrypted key, the
scope's scheme, and a plain-HTTP client on the TLS port refused without harm."""
import http.client
import json
import os
import socket
import ssl
import subprocess

import pytest

import ws_client
from conftest import APUS_BIN, PROJECT_VENV, ApusServer

APP = '''
from fastapi import FastAPI, Request, WebSocket
from fastapi.responses import Response

app = FastAPI()


@app.websocket("/echo")
async def echo(websocket: WebSocket):
    await websocket.accept()
    text = await websocket.receive_text()
    await websocket.send_text(websocket.url.scheme + " " + text)
    await websocket.close()


@app.get("/scheme")
async def scheme(request: Request):
    return {"scheme": request.url.scheme, "url": str(request.url)}


@app.get("/tls")
async def tls(request: Request):
    return request.scope["extensions"]["tls"]


@app.get("/big")
def big():
    return Response(b"x" * 1_000_000, media_type="application/octet-stream")


@app.post("/length")
async def length(request: Request):
    return {"length": len(await request.body())}
'''


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A CA; a server certificate for localhost and 127.0.0.1 and a client certificate, both
    signed by it; a stranger's self-signed client certificate; the server key encrypted."""
    folder = tmp_path_factory.mktemp("tls")
    curve = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    # Extensions as strict verification wants them (Python 3.13's default context checks them).
    openssl("req", "-x509", *curve, "-keyout", "ca.key", "-out", "ca.pem", "-subj", "/CN=apus test CA", "-days", "2",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            cwd=folder)
    leaf = "authorityKeyIdentifier=keyid,issuer\nsubjectKeyIdentifier=hash\nkeyUsage=critical,digitalSignature\n"
    (folder / "server.ext").write_text(leaf + "extendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n")
    (folder / "client.ext").write_text(leaf + "extendedKeyUsage=clientAuth\n")
    for name, extension in (("server", ["-extfile", "server.ext"]), ("client", ["-extfile", "client.ext"])):
        openssl("req", *curve, "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}", cwd=folder)
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                "-out", f"{name}.pem", "-days", "2", *extension, cwd=folder)
    openssl("req", "-x509", *curve, "-keyout", "stranger.key", "-out", "stranger.pem", "-subj", "/CN=stranger",
            "-days", "2", cwd=folder)
    openssl("ec", "-in", "server.key", "-aes256", "-passout", "pass:s3cret", "-out", "server-encrypted.key", cwd=folder)
    (folder / "tls_app.py").write_text(APP)
    return folder


def serve(files, *args):
    return ApusServer("tls_app:app", "--app-dir", str(files), "--port", "0", "--ssl-certfile", str(files / "server.pem"),
                      *args, env={**os.environ, "VIRTUAL_ENV": PROJECT_VENV})


def client_context(files, version=None, certificate=None, alpn=("http/1.1",)):
    context = ssl.create_default_context(cafile=str(files / "ca.pem"))
    if version is not None:
        context.minimum_version = context.maximum_version = version
    context.set_alpn_protocols(list(alpn))
    if certificate:
        context.load_cert_chain(str(files / f"{certificate}.pem"), str(files / f"{certificate}.key"))
    return context


def request(port, context, method="GET", path="/scheme", body=None, session=None):
    """(status, body, the TLS socket's version, ALPN protocol, whether the session was resumed,
    the session)."""
    connection = http.client.HTTPSConnection("localhost", port, context=context, timeout=10)
    try:
        connection.connect()
        if session is not None:  # http.client has no session argument: wrap again with one
            connection.sock.close()
            raw = socket.create_connection(("127.0.0.1", port), timeout=10)
            connection.sock = context.wrap_socket(raw, server_hostname="localhost", session=session)
        connection.request(method, path, body=body)
        response = connection.getresponse()
        content = response.read()
        sock = connection.sock
        return response.status, content, sock.version(), sock.selected_alpn_protocol(), sock.session_reused, sock.session
    finally:
        connection.close()


@pytest.fixture(scope="module")
def server(files):
    server = serve(files, "--ssl-keyfile", str(files / "server.key"))
    yield server
    server.stop()


def test_announced_as_https(server):
    assert any(f"running on https://127.0.0.1:{server.port}" in line for line in server.lines)


@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3])
def test_tls_12_and_13_with_alpn_and_the_https_scheme(server, files, version):
    status, body, negotiated, alpn, _, _ = request(server.port, client_context(files, version))
    assert status == 200 and json.loads(body) == {"scheme": "https", "url": f"https://localhost:{server.port}/scheme"}
    assert negotiated == {ssl.TLSVersion.TLSv1_2: "TLSv1.2", ssl.TLSVersion.TLSv1_3: "TLSv1.3"}[version]
    assert alpn == "http/1.1"


def test_alpn_prefers_h2_unless_http_1_1_only(server, files):
    offered = client_context(files, alpn=("h2", "http/1.1"))
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as raw:
        with offered.wrap_socket(raw, server_hostname="localhost") as sock:
            assert sock.selected_alpn_protocol() == "h2"
    only = serve(files, "--ssl-keyfile", str(files / "server.key"), "--http", "1.1")
    try:
        _, _, _, alpn, _, _ = request(only.port, client_context(files, alpn=("h2", "http/1.1")))
        assert alpn == "http/1.1"
    finally:
        only.stop()


def test_the_tls_extension_in_the_scope(server, files):
    status, body, *_ = request(server.port, client_context(files, ssl.TLSVersion.TLSv1_3), path="/tls")
    info = json.loads(body)
    assert status == 200 and info["tls_version"] == 0x0304 and info["server_name"] == "localhost"
    assert info["cipher_suite"] in (0x1301, 0x1302, 0x1303)  # a TLS 1.3 suite, by its IANA number
    assert info["client_cert_chain"] == [] and info["client_cert_name"] is None and info["server_cert"] is None


def test_websockets_over_tls(server, files):
    context = client_context(files)

    class Secure:
        def connect(self):
            raw = socket.create_connection(("127.0.0.1", server.port), timeout=10)
            return context.wrap_socket(raw, server_hostname="localhost")

    client = ws_client.Client(Secure(), "/echo")
    client.send_text("hello")
    assert client.read_frame() == (ws_client.TEXT, b"wss hello")
    assert client.read_close()[0] == 1000


def test_large_bodies_both_ways(server, files):
    context = client_context(files)
    status, body, *_ = request(server.port, context, path="/big")
    assert status == 200 and body == b"x" * 1_000_000
    status, body, *_ = request(server.port, context, method="POST", path="/length", body=b"y" * 3_000_000)
    assert status == 200 and json.loads(body) == {"length": 3_000_000}


@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3])
def test_sessions_resume(server, files, version):
    context = client_context(files, version)
    *_, resumed, session = request(server.port, context)
    assert not resumed
    *_, resumed, _ = request(server.port, context, session=session)
    assert resumed


def test_plain_http_on_the_tls_port_is_closed_and_the_server_serves_on(server, files):
    received = b""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(b"GET /scheme HTTP/1.1\r\nHost: x\r\n\r\n")
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except ConnectionResetError:
            pass
    # At most a TLS alert record (content type 21), never an HTTP answer; then the close.
    assert received == b"" or received[0] == 21, received[:40]
    assert request(server.port, client_context(files))[0] == 200


def test_openssl_s_client(server, files):
    result = subprocess.run(
        ["openssl", "s_client", "-connect", f"127.0.0.1:{server.port}", "-servername", "localhost", "-alpn", "http/1.1",
         "-CAfile", str(files / "ca.pem"), "-verify_return_error", "-ign_eof"],
        input=b"GET /scheme HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", capture_output=True, timeout=30)
    output = result.stdout.decode(errors="replace")
    assert "ALPN protocol: http/1.1" in output and "Verify return code: 0 (ok)" in output
    assert '"scheme":"https"' in output


def test_client_certificates_when_required(files):
    server = serve(files, "--ssl-keyfile", str(files / "server.key"), "--ssl-cert-reqs", "2",
                   "--ssl-ca-certs", str(files / "ca.pem"))
    try:
        status, body, *_ = request(server.port, client_context(files, certificate="client"), path="/tls")
        info = json.loads(body)
        assert status == 200 and info["client_cert_name"] == "CN=client" and info["client_cert_error"] is None
        # The client's certificate first, then what else it sent (OpenSSL clients add the CA)
        assert info["client_cert_chain"][0] == (files / "client.pem").read_text()
        for certificate in (None, "stranger"):
            with pytest.raises((ssl.SSLError, ConnectionError)):
                request(server.port, client_context(files, certificate=certificate))
        assert request(server.port, client_context(files, certificate="client"))[0] == 200
    finally:
        server.stop()


def test_an_encrypted_key_with_its_password(files):
    server = serve(files, "--ssl-keyfile", str(files / "server-encrypted.key"), "--ssl-keyfile-password", "s3cret")
    try:
        assert request(server.port, client_context(files))[0] == 200
    finally:
        server.stop()
    wrong = subprocess.run([APUS_BIN, "run", "tls_app:app", "--app-dir", str(files), "--port", "0",
                            "--ssl-certfile", str(files / "server.pem"), "--ssl-keyfile",
                            str(files / "server-encrypted.key"), "--ssl-keyfile-password", "wrong"],
                           capture_output=True, text=True, timeout=60, env={**os.environ, "VIRTUAL_ENV": PROJECT_VENV})
    assert wrong.returncode == 1 and "error: TLS: --ssl-keyfile" in wrong.stderr


def test_workers_serve_tls(files):
    server = serve(files, "--ssl-keyfile", str(files / "server-encrypted.key"), "--ssl-keyfile-password", "s3cret",
                   "--workers", "2")
    try:
        for _ in range(4):
            assert request(server.port, client_context(files))[0] == 200
    finally:
        server.stop()


def test_ciphers_can_be_chosen(files):
    """--ssl-ciphers narrows TLS 1.2's suites; the default is OpenSSL's, which a client that
    offers only AEAD suites (Python 3.12's default context) shares."""
    server = serve(files, "--ssl-keyfile", str(files / "server.key"), "--ssl-ciphers", "ECDHE-ECDSA-CHACHA20-POLY1305")
    try:
        context = client_context(files, ssl.TLSVersion.TLSv1_2)
        connection = http.client.HTTPSConnection("localhost", server.port, context=context, timeout=10)
        connection.connect()
        assert connection.sock.cipher()[0] == "ECDHE-ECDSA-CHACHA20-POLY1305"
        connection.close()
    finally:
        server.stop()


def test_a_client_of_aead_suites_only_shakes_hands_over_tls_12(server, files):
    context = client_context(files, ssl.TLSVersion.TLSv1_2)
    context.set_ciphers("ECDHE+AESGCM:ECDHE+CHACHA20")  # no CBC, no SHA-1: as Python 3.12's default
    assert request(server.port, context)[0] == 200


@pytest.mark.parametrize("arguments, says", [
    (["--ssl-keyfile", "/etc/hostname"], "go with --ssl-certfile"),
    (["--ssl-certfile", "/nonexistent.pem"], "no such file"),
    (["--ssl-certfile", "/etc/hostname", "--ssl-cert-reqs", "2"], "--ssl-ca-certs"),
    (["--ssl-version", "3"], "TLS 1.2 or 1.3"),
])
def test_tls_options_that_cannot_work_are_refused(arguments, says):
    result = subprocess.run([APUS_BIN, "run", "--hello", *arguments], capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and says in result.stderr


def test_handshakes_run_off_the_loop_thread(files):
    """Each handshake step runs on libuv's thread pool: the metrics count every handshake and
    the CPU time spent there; 40 handshakes at once all complete, and a request on a connection
    already open is answered meanwhile."""
    from concurrent.futures import ThreadPoolExecutor
    from test_metrics import scrape

    server = serve(files, "--ssl-keyfile", str(files / "server.key"), "--metrics-port", "0")
    try:
        open_connection = http.client.HTTPSConnection("localhost", server.port, context=client_context(files), timeout=10)
        open_connection.request("GET", "/scheme")
        assert open_connection.getresponse().read()
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda _: request(server.port, client_context(files))[0], range(40)))
            open_connection.request("GET", "/scheme")
            assert open_connection.getresponse().status == 200
        assert answers == [200] * 40
        open_connection.close()
        samples, _ = scrape(server)
        assert samples["apus_tls_handshakes_total"] == 41
        assert samples["apus_tls_handshake_cpu_seconds_total"] > 0
    finally:
        server.stop()
