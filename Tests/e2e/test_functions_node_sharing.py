"""The Node files of one folder share their workers, over real sockets: state a module beside
them keeps is seen by all of them (a PUT, then a GET of another file), as under FastFN's one
Node process; another folder's functions run in workers of their own; a file of the folder that
does not load answers 503 while the others serve; what each prints is logged with its name; and
a reload that would break a file that loads today keeps the previous version serving."""
import time

import pytest

from functions_support import call_json, logged, serve, write_tree

STORE = "let state = { count: 0 };\nmodule.exports = { state };\n"

TREE = {
    "counter/_store.js": STORE,
    "counter/put.js": "const { state } = require('./_store');\n"
                      "exports.handler = () => { state.count += 1; return { count: state.count, pid: process.pid }; };\n",
    "counter/get.js": "const { state } = require('./_store');\n"
                      "exports.handler = () => { console.log('read', state.count); return { count: state.count, pid: process.pid }; };\n",
    "other/get.js": "const { state } = require('../counter/_store');\n"
                    "exports.handler = () => ({ count: state.count, pid: process.pid });\n",
    "mixed/get.js": "exports.handler = () => ({ ok: true });\n",
    "mixed/post.js": "exports.handler = (event) => { this is not javascript\n",
}


@pytest.fixture
def server(tmp_path):
    write_tree(tmp_path, TREE)
    server = serve(tmp_path, "--hot-reload")
    yield tmp_path, server
    server.stop()


def test_the_files_of_a_folder_share_one_worker_and_its_modules(server):
    _, server = server
    for expected in (1, 2, 3):
        status, body = call_json(server, "/counter", method="PUT")
        assert status == 200 and body["count"] == expected
    status, read = call_json(server, "/counter")
    assert status == 200 and read == {"count": 3, "pid": body["pid"]}


def test_another_folder_has_workers_and_modules_of_its_own(server):
    _, server = server
    _, put = call_json(server, "/counter", method="PUT")
    status, other = call_json(server, "/other")
    assert status == 200 and other["pid"] != put["pid"] and other["count"] == 0


def test_what_a_file_prints_is_logged_with_its_name(server):
    _, server = server
    assert call_json(server, "/counter")[0] == 200
    assert logged(server, "[counter/*.js] [get.js] read 0")


def test_a_file_that_does_not_load_is_503_and_its_folder_serves(server):
    _, server = server
    assert call_json(server, "/mixed") == (200, {"ok": True})
    # Served as `apus dev` serves it: the answer says what failed.
    status, body = call_json(server, "/mixed", method="POST")
    assert status == 503 and body["error"].startswith("function unavailable: ") and "mixed/post.js:1" in body["error"]
    assert logged(server, "mixed/post.js does not load")
    status, health = call_json(server, "/_apus/health")
    pools = health["runtimes"]["node"]["functions"]
    assert pools["mixed/get.js"]["ready"] == 1 and pools["mixed/get.js"]["last_failure"] is None
    assert pools["mixed/post.js"]["ready"] == 0 and "SyntaxError" in pools["mixed/post.js"]["last_failure"]
    assert health["status"] == "degraded"


def test_a_reload_that_breaks_a_loading_file_keeps_the_previous_version(server):
    root, server = server
    _, first = call_json(server, "/counter", method="PUT")
    write_tree(root, {"counter/get.js": "exports.handler = ( => broken\n"})
    assert logged(server, "counter/get.js no longer loads; the previous version keeps serving", within=5)
    # The previous workers serve on, with their state.
    assert call_json(server, "/counter") == (200, {"count": 1, "pid": first["pid"]})
    write_tree(root, {"counter/get.js": "exports.handler = () => ({ fixed: true, pid: process.pid });\n"})
    deadline = time.monotonic() + 5
    while call_json(server, "/counter")[1].get("fixed") is not True:
        assert time.monotonic() < deadline, "the fixed file is not served"
        time.sleep(0.05)
    assert call_json(server, "/counter")[1]["pid"] != first["pid"]
