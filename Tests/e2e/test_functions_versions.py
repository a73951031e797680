"""Versions (``hello/v2/`` at ``/hello@v2``) and weighted rollouts between a function and its
versions, over a real socket."""
import json
import os
import subprocess

from conftest import APUS_BIN, PROJECT_VENV
from functions_support import call, call_json, serve, write_tree

TREE = {
    "hello/handler.py": "def handler(event):\n    return {'v': 1, 'version': event['context']['version']}\n",
    "hello/v2/handler.py": "def handler(event):\n    return {'v': 2, 'version': event['context']['version'], 'q': event['query']}\n",
    "hello/v3/handler.py": "def handler(event):\n    return {'v': 3}\n",
    "hello/v3/fn.config.json": json.dumps({"invoke": {"methods": ["POST"]}}),
    "users/index.py": "def handler(event):\n    return 'users'\n",
    "users/admin/handler.py": "def handler(event):\n    return 'admin'\n",
    "node/greet/handler.js": "exports.handler = async (event) => ({version: event.context.version});\n",
    "node/greet/beta/handler.js": "exports.handler = async (event) => ({version: event.context.version, beta: true});\n",
}


def test_versions_are_served_beside_their_function(tmp_path):
    write_tree(tmp_path, TREE)
    server = serve(tmp_path)
    try:
        assert call_json(server, "/hello") == (200, {"v": 1, "version": "default"})
        assert call_json(server, "/hello@v2?x=1") == (200, {"v": 2, "version": "v2", "q": {"x": "1"}})
        assert call_json(server, "/hello@v3")[0] == 405, "a version's own fn.config.json applies"
        assert call_json(server, "/hello@v3", method="POST") == (200, {"v": 3})
        assert call_json(server, "/hello@v9")[0] == 404
        assert call(server, "/hello/v2")[0] == 404, "a version folder is no route of its own"
        # In a zero-config folder, only v<digit> folders are versions: users/admin stays a route.
        assert call(server, "/users/admin")[2] == b"admin"
        assert call(server, "/users@admin")[0] == 404
        # The runtime layout: any folder holding an entry file is a version.
        assert call_json(server, "/greet@beta") == (200, {"version": "beta", "beta": True})
        assert call_json(server, "/greet") == (200, {"version": "default"})
    finally:
        server.stop()


def test_a_rollout_shares_the_route_by_weight(tmp_path):
    write_tree(tmp_path, {**TREE, "hello/fn.config.json": json.dumps({"rollout": {"v2": 30}}),
                          "node/greet/fn.config.json": json.dumps({"rollout": {"beta": 100}})})
    server = serve(tmp_path)
    try:
        versions = [call_json(server, "/hello?n=%d" % index)[1]["version"] for index in range(300)]
        share = versions.count("v2") / len(versions)
        assert set(versions) == {"default", "v2"}
        assert 0.18 < share < 0.42, share  # 30% give or take (binomial, n=300: sd 2.6%)
        assert call_json(server, "/hello@v2")[1]["version"] == "v2"
        assert all(call_json(server, "/greet")[1] == {"version": "beta", "beta": True} for _ in range(20))
        assert "rollout /hello: 30% to /hello@v2" in "\n".join(server.lines)
        assert "rollout /greet: 100% to /greet@beta" in "\n".join(server.lines)
    finally:
        server.stop()


def test_a_rollout_to_no_such_version_stops_the_start(tmp_path):
    write_tree(tmp_path, {**TREE, "hello/fn.config.json": json.dumps({"rollout": {"v7": 10}})})
    result = subprocess.run([APUS_BIN, "run", str(tmp_path), "--port", "0"], capture_output=True, text=True, timeout=60,
                            env={**os.environ, "VIRTUAL_ENV": PROJECT_VENV})
    assert result.returncode == 1
    assert "hello/fn.config.json: rollout names 'v7', which is not a version of /hello (its versions: v2, v3)" in result.stderr
    write_tree(tmp_path, {"hello/fn.config.json": json.dumps({"rollout": {"v2": 60, "v3": 50}})})
    result = subprocess.run([APUS_BIN, "run", str(tmp_path), "--port", "0"], capture_output=True, text=True, timeout=60,
                            env={**os.environ, "VIRTUAL_ENV": PROJECT_VENV})
    assert result.returncode == 1 and "rollout's percentages add up to more than 100" in result.stderr
    write_tree(tmp_path, {"hello/fn.config.json": json.dumps({"rollout": {"v3": 10}})})
    result = subprocess.run([APUS_BIN, "run", str(tmp_path), "--port", "0"], capture_output=True, text=True, timeout=60,
                            env={**os.environ, "VIRTUAL_ENV": PROJECT_VENV})
    assert result.returncode == 1 and "rollout sends GET /hello to 'v3', which does not answer GET" in result.stderr
