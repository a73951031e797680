"""The TestClient: the real server in-process, with FastAPI's TestClient conventions."""
import apus
from apus.testclient import TestClient

app = apus.FastAPI()


@app.get("/items/{item_id}")
def read_item(item_id: int, q: str | None = None):
    return {"item_id": item_id, "q": q}


@app.get("/redirected")
def redirected():
    return {"ok": True}


def test_requests_through_the_real_server():
    client = TestClient(app)
    response = client.get("/items/3?q=x")
    assert response.status_code == 200 and response.json() == {"item_id": 3, "q": "x"}
    assert client.get("/items/x").status_code == 422
    client.close()


def test_redirects_use_the_test_host():
    with TestClient(app, follow_redirects=False) as client:
        response = client.get("/redirected/")
        assert response.status_code == 307
        assert response.headers["location"] == "http://testserver/redirected"


@app.get("/boom")
def boom():
    raise ValueError("raised in the handler")


@app.get("/async-boom")
async def async_boom():
    raise KeyError("raised in an async handler")


def test_server_exceptions_are_raised_in_the_test():
    import pytest

    with TestClient(app) as client:
        with pytest.raises(ValueError, match="raised in the handler"):
            client.get("/boom")
        with pytest.raises(KeyError):
            client.get("/async-boom")
        assert client.get("/items/1").status_code == 200
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/boom").status_code == 500
