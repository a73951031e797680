"""Proxy headers, as uvicorn reads them: from a trusted peer (127.0.0.1 and ::1 unless
`--forwarded-allow-ips` says otherwise), `X-Forwarded-Proto` is the scheme and the first
untrusted `X-Forwarded-For` hop from the right is the client; `--no-proxy-headers` ignores them."""
import json

from conftest import APPS, ApusServer
from test_plans import exchange

FORWARDED = "X-Forwarded-Proto: https\r\nX-Forwarded-For: 203.0.113.7:4711, 127.0.0.1\r\n"


def who(server, headers=FORWARDED, path="/who"):
    status, _, body = exchange(server, f"GET {path} HTTP/1.1\r\nHost: api.example.com\r\n{headers}\r\n".encode())
    return status, json.loads(body) if body.startswith(b"{") else body


def test_a_trusted_proxy_names_the_client_and_the_scheme():
    server = ApusServer("behind_proxy:app", "--app-dir", APPS, "--port", "0", "--no-access-log")
    try:
        _, seen = who(server)
        assert seen == {"scheme": "https", "client": "203.0.113.7", "port": 4711, "url": "https://api.example.com/who"}
        _, direct = who(server, headers="")
        assert direct["scheme"] == "http" and direct["client"] == "127.0.0.1"
    finally:
        server.stop()


def test_untrusted_peers_and_no_proxy_headers_leave_the_scope_alone():
    for flags in (["--forwarded-allow-ips", "10.0.0.1"], ["--no-proxy-headers"]):
        server = ApusServer("behind_proxy:app", "--app-dir", APPS, "--port", "0", "--no-access-log", *flags)
        try:
            _, seen = who(server)
            assert seen["scheme"] == "http" and seen["client"] == "127.0.0.1", flags
        finally:
            server.stop()


def test_https_redirect_is_satisfied_by_the_proxys_scheme():
    server = ApusServer("behind_proxy:secure", "--app-dir", APPS, "--port", "0", "--no-access-log")
    try:
        status, seen = who(server)
        assert status.endswith("200 OK") and seen == {"scheme": "https"}
        status, _ = who(server, headers="")
        assert status.endswith("307 Temporary Redirect")
    finally:
        server.stop()
