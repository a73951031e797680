"""examples/mixed-service, built by scripts/test-mixed-example.sh as a Swift package that
depends on Apus by URL and version: its Swift handlers and its FastAPI app on one server and one
port, over a real socket."""
import os
import re
import signal
import subprocess
import sys
import time

import httpx
import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BINARY = os.environ.get("MIXED_SERVICE_BIN")
APP = os.path.join(ROOT, "examples", "mixed-service", "app")

pytestmark = pytest.mark.skipif(not BINARY, reason="MIXED_SERVICE_BIN is not set (scripts/test-mixed-example.sh sets it)")


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    stats = tmp_path_factory.mktemp("mixed") / "route-stats"
    environment = {**os.environ, "PORT": "0", "VIRTUAL_ENV": sys.prefix, "APUS_ROUTE_STATS": str(stats)}
    process = subprocess.Popen([BINARY, APP], env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
    lines = []
    deadline = time.monotonic() + 60
    port = None
    while port is None and time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        found = re.search(r"serving Swift and Python on http://127\.0\.0\.1:(\d+)", line)
        port = found and int(found.group(1))
    assert port, "".join(lines)
    with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
        yield client, process, lines, stats
    if process.poll() is None:
        process.kill()


def test_swift_handlers(service):
    client, *_ = service
    assert client.get("/swift/ping").text == "pong"
    assert client.get("/swift/square/12").json() == {"n": 12, "square": 144}
    # A body larger than the first read: the Swift handler gets it whole.
    assert client.post("/swift/echo", content=b"x" * 3_000_000).json() == {"bytes": 3_000_000}


def test_python_routes_as_fastapi_answers_them(service):
    client, *_ = service
    assert client.get("/items/1", headers={"x-user": "ann"}).json() == {"id": 1, "name": "hammer"}
    assert client.get("/items/1").json() == {"detail": "who are you?"}
    assert client.get("/items/9", headers={"x-user": "ann"}).status_code == 404
    invalid = client.get("/items/x", headers={"x-user": "ann"})
    assert invalid.status_code == 422 and invalid.json()["detail"][0]["loc"] == ["path", "item_id"]
    assert client.get("/python/hello", params={"name": "swift"}).json() == {"hello": "swift"}
    assert client.get("/openapi.json").json()["info"]["title"] == "Mixed service"


def test_swift_routes_come_first_and_the_rest_goes_to_the_app(service):
    client, *_ = service
    # GET /swift/ping is the Swift handler's, though the app has it too; POST is only the app's.
    assert client.get("/swift/ping").text == "pong"
    assert client.post("/swift/ping").json() == {"served_by": "python", "method": "POST"}
    # A Swift path whose parameter does not convert, and a path nobody has: FastAPI's 404.
    for path in ("/swift/square/x", "/nowhere"):
        missing = client.get(path)
        assert missing.status_code == 404 and missing.json() == {"detail": "Not Found"}


def test_the_app_routes_ran_as_plans(service):
    client, _, _, stats = service
    client.get("/items/2", headers={"x-user": "ann"})
    client.get("/python/hello")
    served = stats.read_text().splitlines()
    assert any(line.startswith("injected GET /items/") for line in served), served
    assert any(line.startswith("direct GET /python/hello") for line in served), served


def test_stops_on_sigint_and_runs_the_apps_shutdown(service):
    _, process, lines, _ = service
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=30)
    text = "".join(lines) + output
    assert process.returncode == 0, text
    assert "app: started" in text and "app: stopped" in text, text
