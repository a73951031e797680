"""Starlette's CORS, GZip and TrustedHost middleware run by Apus around planned routes must be
indistinguishable from the app's own middleware stack: the same requests to one app served
with plans and with `--no-plans` get byte-identical responses (but for `date`), and the plans
really served the requests the middleware lets through (APUS_ROUTE_STATS)."""
import gzip

import pytest

from conftest import planned_and_plain
from test_plans import exchange

ORIGIN = "Origin: https://app.example.com\r\n"
STRANGER = "Origin: https://evil.example.net\r\n"
GZIP = "Accept-Encoding: gzip, deflate\r\n"
PREFLIGHT = "Access-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: x-token\r\n"


def request(method, path, headers="", host="test", body=b""):
    length = f"Content-Length: {len(body)}\r\nContent-Type: application/json\r\n" if body else ""
    return f"{method} {path} HTTP/1.1\r\nHost: {host}\r\n{headers}{length}\r\n".encode() + body


PASSING = [
    request("GET", path, headers)
    for path in ("/small", "/large", "/large-async", "/stream", "/png", "/encoded", "/partial", "/teapot", "/crash")
    for headers in ("", ORIGIN, STRANGER, GZIP, ORIGIN + GZIP, "Accept-Encoding: br\r\n", "Origin: null\r\n")
] + [
    request("POST", "/echo", ORIGIN + GZIP, body=b'{"words": "' + b"w" * 300 + b'"}'),
    request("POST", "/echo", ORIGIN, body=b"{bad json"),
    request("GET", "/folder", ORIGIN + GZIP),  # redirect_slashes, inside the middleware
    request("GET", "/small", ORIGIN, host="api.example.com:8000"),
]
# No route allows them: the app answers 405.
UNROUTED = [request("HEAD", "/large", GZIP), request("PUT", "/small", ORIGIN)]
# Answered by a middleware itself: the app's own stack serves them.
ANSWERED = [
    request("OPTIONS", "/small", ORIGIN + PREFLIGHT),
    request("OPTIONS", "/small", STRANGER + PREFLIGHT),
    request("GET", "/small", ORIGIN, host="example.org"),  # www redirect
    request("GET", "/small", GZIP, host="evil.test"),
    request("GET", "/small", "", host="[::1]:8000"),
]


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    with planned_and_plain("native_middleware:app", tmp_path_factory) as servers:
        yield servers


def test_the_middleware_is_run_natively(servers):
    native, _, _ = servers
    assert any("middleware run natively: CORSMiddleware, GZipMiddleware, TrustedHostMiddleware" in line
               for line in native.lines)


@pytest.mark.parametrize("raw", PASSING + ANSWERED + UNROUTED, ids=lambda raw: raw.split(b"\r\n\r\n")[0].decode().replace("\r\n", " | "))
def test_responses_are_the_apps_own(servers, raw):
    native, plain, _ = servers
    assert exchange(native, raw) == exchange(plain, raw)


def test_compressed_bodies_are_gzip_of_the_original(servers):
    native, _, _ = servers
    status, headers, body = exchange(native, request("GET", "/large", GZIP))
    assert ("content-encoding", "gzip") in headers and ("vary", "Accept-Encoding, Origin") in headers
    assert b'"word199"' in gzip.decompress(body)


def test_requests_the_middleware_lets_through_are_planned(servers):
    native, _, stats = servers
    stats.write_text("")
    for raw in PASSING:
        exchange(native, raw)
    for raw in ANSWERED + UNROUTED:
        exchange(native, raw)
    lines = stats.read_text().splitlines()
    assert sum(not line.startswith("asgi ") for line in lines) == len(PASSING)
    assert sum(line.startswith("asgi ") for line in lines) == len(ANSWERED + UNROUTED)


def test_https_redirect_runs_natively_for_https_requests(tmp_path, monkeypatch):
    from fastapi import FastAPI
    from fastapi.middleware.httpsredirect import HTTPSRedirectMiddleware

    from apus.testclient import TestClient

    stats = tmp_path / "routes"
    monkeypatch.setenv("APUS_ROUTE_STATS", str(stats))
    secure = FastAPI()
    secure.add_middleware(HTTPSRedirectMiddleware)

    @secure.get("/where")
    def where():
        return {"ok": True}

    with TestClient(secure, base_url="http://testserver:8080", follow_redirects=False) as client:
        response = client.get("/where?x=1")
        assert response.status_code == 307 and response.headers["location"] == "https://testserver:8080/where?x=1"
    with TestClient(secure, base_url="https://testserver") as client:
        assert client.get("/where").json() == {"ok": True}
    assert stats.read_text().splitlines() == ["asgi GET /where", "direct GET /where"]
