"""A user's suite under `pytest -p apus.pytest_plugin` with `httpx2` installed, which Starlette
1.x's TestClient then uses instead of `httpx`: requests and WebSocket sessions still go through
Apus, with the warnings Starlette itself gives."""
import os
import subprocess
import textwrap

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

SUITE = '''
import starlette.testclient
from fastapi import FastAPI, WebSocket
from fastapi.testclient import TestClient

app = FastAPI()


@app.get("/items/{item_id}")
def read_item(item_id: int):
    return {"item_id": item_id}


@app.websocket("/ws")
async def echo(websocket: WebSocket):
    await websocket.accept()
    await websocket.send_text("echo " + await websocket.receive_text())
    await websocket.close()


def never(self, request):
    raise AssertionError("Starlette's in-memory transport was used")


starlette.testclient._TestClientTransport.handle_request = never


def test_through_apus_with_httpx2():
    assert starlette.testclient.httpx.__name__ == "httpx2"
    client = TestClient(app)
    assert client.get("/items/3").json() == {"item_id": 3}
    assert client.get("/items/x").status_code == 422
    with client.websocket_connect("/ws") as session:
        session.send_text("hi")
        assert session.receive_text() == "echo hi"
'''


def test_a_suite_with_httpx2_runs_through_apus(tmp_path):
    venv = subprocess.run([os.path.join(ROOT, "scripts", "venv-httpx2.sh")], capture_output=True, text=True,
                          check=True, timeout=600).stdout.strip().splitlines()[-1]
    (tmp_path / "test_app.py").write_text(textwrap.dedent(SUITE))
    stats = tmp_path / "stats"
    env = {**os.environ, "PYTHONPATH": os.path.join(ROOT, "python"), "APUS_ROUTE_STATS": str(stats)}
    result = subprocess.run([os.path.join(ROOT, venv, "bin", "python"), "-m", "pytest", "-q", "-p", "apus.pytest_plugin",
                             "-p", "no:cacheprovider", str(tmp_path / "test_app.py")],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    served = stats.read_text().splitlines()
    assert "websocket /ws" in served and sum(line.startswith("direct GET") for line in served) == 2, served
