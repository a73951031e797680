"""The health endpoint, answered ahead of the app for apps and functions trees alike: liveness
and readiness apart, readiness failing once a graceful shutdown begins and while warm pools
start, `status` degraded while a function failed to load, and no error details outside dev."""
import json
import signal
import time

import pytest

from conftest import parse_responses, read_until_closed
from functions_support import call_json, serve, write_tree


def get(server, path, method="GET"):
    with server.connect() as sock:
        sock.sendall(f"{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        [(status, headers, body)] = parse_responses(read_until_closed(sock))
    return status, headers, json.loads(body) if body else None


def test_an_app_answers_liveness_readiness_and_the_report(start_app):
    server = start_app("basic:app")
    assert get(server, "/_apus/health/live")[::2] == (200, {"status": "ok"})
    assert get(server, "/_apus/health/ready")[::2] == (200, {"status": "ready"})
    status, headers, report = get(server, "/_apus/health")
    assert (status, report) == (200, {"status": "ok", "ready": True})
    assert headers["content-type"] == "application/json"
    assert get(server, "/_apus/health/ready", "HEAD")[0] == 200
    # Other methods and other paths below it are the app's.
    assert get(server, "/_apus/health", "POST")[0] in (404, 405)
    assert get(server, "/_apus/healthy")[0] == 404


def test_the_path_moves_and_the_endpoint_turns_off(start_app):
    moved = start_app("basic:app", "--health-path", "/healthz")
    assert get(moved, "/healthz/ready")[::2] == (200, {"status": "ready"})
    assert get(moved, "/_apus/health")[0] == 404
    off = start_app("basic:app", "--no-health")
    assert get(off, "/_apus/health/live")[0] == 404


def test_a_health_path_that_is_not_a_path_is_refused(start_app):
    from conftest import APUS_BIN
    import subprocess
    result = subprocess.run([APUS_BIN, "run", "--hello", "--health-path", "health/"], capture_output=True, text=True)
    assert result.returncode == 2 and "--health-path" in result.stderr


def test_readiness_fails_once_a_graceful_shutdown_begins(start_app):
    server = start_app("basic:app", "--graceful-timeout", "5")
    busy = server.connect()
    busy.sendall(b"GET /sleep?seconds=1.0 HTTP/1.1\r\nHost: x\r\n\r\n")
    time.sleep(0.3)  # the request is in flight
    probe = server.connect()  # connected before the drain, its request sent during it
    time.sleep(0.1)
    server.signal(signal.SIGTERM)
    time.sleep(0.05)
    probe.sendall(b"GET /_apus/health/ready HTTP/1.1\r\nHost: x\r\n\r\n")
    [(status, headers, body)] = parse_responses(read_until_closed(probe))
    assert (status, json.loads(body)) == (503, {"status": "draining"})
    assert headers["connection"] == "close"
    [(status, _, _)] = parse_responses(read_until_closed(busy, timeout=5))
    assert status == 200  # the request in flight still got its answer
    assert server.wait(10) == 0


@pytest.mark.parametrize("development", [False, True])
def test_a_tree_with_a_broken_function_is_degraded_and_says_why_only_in_dev(tmp_path, development):
    write_tree(tmp_path, {"ok.py": "def handler(event):\n    return 'ok'\n",
                          "broken.py": "def handler(event)\n    return 1\n"})
    server = serve(tmp_path, *(["--hot-reload"] if development else []))
    try:
        status, report = call_json(server, "/_apus/health")
        assert status == 200 and report["status"] == "degraded" and report["ready"] is True
        assert report["load_errors"] == 1 and report["functions"] == {"python": 2}
        assert ("errors" in report) == development
        if development:
            assert "SyntaxError" in report["errors"][0]
        else:
            assert str(tmp_path) not in json.dumps(report)
        assert call_json(server, "/_apus/health/ready") == (200, {"status": "ready"})
    finally:
        server.stop()


def test_readiness_waits_for_pools_kept_warm(tmp_path):
    # A Node function that takes a second and a half to load, with one worker kept warm.
    write_tree(tmp_path, {
        "slow/index.js": "const end = Date.now() + 1500; while (Date.now() < end) {}\n"
                         "exports.handler = () => 'warm';\n",
        "slow/fn.config.json": '{"worker_pool": {"min_warm": 1}}',
    })
    server = serve(tmp_path)
    try:
        assert call_json(server, "/_apus/health/ready") == (503, {"status": "starting"})
        assert call_json(server, "/_apus/health")[1]["status"] == "starting"
        assert call_json(server, "/_apus/health/live") == (200, {"status": "ok"})
        deadline = time.monotonic() + 10
        while call_json(server, "/_apus/health/ready")[0] != 200:
            assert time.monotonic() < deadline, "never ready"
            time.sleep(0.1)
        assert call_json(server, "/_apus/health")[1]["status"] == "ok"
    finally:
        server.stop()
