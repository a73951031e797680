"""`apus run app:app --functions DIR`: an app and a functions tree on one server, the app's
routes first (they win where both have a path), every function after them, one OpenAPI."""
import os

import pytest

from conftest import ApusServer
from functions_support import REPO, call_json, write_tree


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tree = tmp_path_factory.mktemp("tree")
    write_tree(tree, {
        "json.py": 'def handler(event):\n    return {"from": "function"}\n',
        "hello.py": 'def handler(event):\n    return {"from": "function"}\n',
        "js/hello.js": "exports.handler = () => ({ from: 'node function' });\n",
    })
    server = ApusServer("app:app", "--app-dir", os.path.join(REPO, "examples"), "--functions", str(tree),
                        "--port", "0", "--no-access-log")
    yield server
    server.stop()


def test_the_app_wins_where_both_have_a_path(server):
    assert call_json(server, "/json") == (200, {"message": "Hello, World!"})


def test_the_functions_serve_the_rest(server):
    assert call_json(server, "/hello") == (200, {"from": "function"})
    assert call_json(server, "/js/hello") == (200, {"from": "node function"})
    assert call_json(server, "/no-such-path")[0] == 404


def test_one_openapi_lists_the_app_and_the_functions(server):
    paths = call_json(server, "/openapi.json")[1]["paths"]
    assert "/items/{item_id}" in paths and "/js/hello" in paths and "/hello" in paths
