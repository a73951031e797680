"""Worker pools under failure, over real sockets: a worker that crashes, hangs past its
timeout or writes garbage on its protocol pipe is killed and replaced (502, 504), the other
requests are unaffected, and the pool recovers; what a handler prints is logged, not sent; a
body over max_body_bytes is 413; a full pool answers its overflow status; min_warm workers
start before any request."""
import glob
import os
import threading
import time

import pytest

from functions_support import call, call_json, logged, serve, write_tree

TREE = {
    "ok.js": "exports.handler = () => ({ ok: true, pid: process.pid });\n",
    "crash.js": """
        exports.handler = (event) => {
          if (event.query.crash) process.exit(3);
          return { alive: process.pid };
        };
    """,
    "hang.js": """
        exports.handler = (event) => {
          if (event.query.hang) { const end = Date.now() + 60000; while (Date.now() < end) {} }
          return { alive: process.pid };
        };
    """,
    "garbage.js": """
        const fs = require('fs');
        exports.handler = (event) => {
          if (event.query.garbage) fs.writeSync(4, Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3]));
          return { alive: process.pid };
        };
    """,
    "noisy.js": """
        exports.handler = () => { console.log('noise on stdout: {not a frame}'); console.error('and on stderr'); return 'quiet'; };
    """,
    "throws.js": "exports.handler = () => { throw new Error('the handler broke'); };\n",
    "throws.py": "def handler(event):\n    raise ValueError('python broke')\n",
    "small/post.upload.js": "exports.handler = (event) => ({ got: (event.body || '').length });\n",
    "small/fn.config.json": '{"max_body_bytes": 16}',
    "slow/sleep.js": "exports.handler = async () => { await new Promise((r) => setTimeout(r, 400)); return 'done'; };\n",
    "slow/fn.config.json": '{"max_concurrency": 1, "worker_pool": {"max_queue": 0, "overflow_status": 503}}',
    "warm/ready.php": "<?php\nfunction handler($event) { return ['pid' => getmypid()]; }\n",
    "warm/fn.config.json": '{"worker_pool": {"min_warm": 2}}',
    "broken.js": "exports.handler = (event) => { syntax error here\n",
}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("workers")
    write_tree(root, TREE)
    # A folder's fn.config.json applies to the files below it: this hang.js times out fast.
    write_tree(root, {"timeouts/hang.js": TREE["hang.js"], "timeouts/fn.config.json": '{"timeout_ms": 300}'})
    server = serve(root)
    yield server
    server.stop()


def test_a_crashing_worker_gets_502_and_is_replaced(server):
    first = call_json(server, "/crash")[1]["alive"]
    assert call_json(server, "/crash?crash=1") == (502, {"error": "worker process exited"})
    status, body = call_json(server, "/crash")
    assert status == 200 and body["alive"] != first


def test_a_hanging_worker_gets_504_and_others_are_unaffected(server):
    before = call_json(server, "/timeouts/hang")[1]["alive"]
    started = time.monotonic()
    results = {}
    hanging = threading.Thread(target=lambda: results.update(hang=call_json(server, "/timeouts/hang?hang=1")))
    hanging.start()
    assert call_json(server, "/ok")[0] == 200  # another function meanwhile
    hanging.join(10)
    assert results["hang"] == (504, {"error": "runtime timeout"})
    assert time.monotonic() - started < 3
    status, body = call_json(server, "/timeouts/hang")
    assert status == 200 and body["alive"] != before


def test_garbage_on_the_protocol_pipe_gets_502_and_a_new_worker(server):
    before = call_json(server, "/garbage")[1]["alive"]
    assert call_json(server, "/garbage?garbage=1") == (502, {"error": "invalid runtime response"})
    status, body = call_json(server, "/garbage")
    assert status == 200 and body["alive"] != before


def test_what_a_handler_prints_is_logged_not_sent(server):
    status, _, body = call(server, "/noisy")
    assert (status, body) == (200, b"quiet")
    assert logged(server, "[noisy.js] noise on stdout: {not a frame}") and logged(server, "[noisy.js] and on stderr")


def test_one_name_in_two_languages_is_a_conflict(server):
    assert call_json(server, "/throws") == (409, {"error": "ambiguous function"})  # throws.js and throws.py


def test_a_body_over_max_body_bytes_is_413(server):
    assert call_json(server, "/small/upload", method="POST", body="x" * 16) == (200, {"got": 16})
    assert call_json(server, "/small/upload", method="POST", body="x" * 17) == (413, {"error": "payload too large"})


def test_a_full_pool_answers_its_overflow_status(server):
    results = []
    threads = [threading.Thread(target=lambda: results.append(call(server, "/slow/sleep")[0])) for _ in range(3)]
    for thread in threads:
        thread.start()
        time.sleep(0.05)
    for thread in threads:
        thread.join(10)
    assert sorted(results) == [200, 503, 503]


def test_min_warm_workers_start_before_any_request(server):
    # Two PHP workers of warm/ready.php run before it is called.
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        workers = [p for p in glob.glob("/proc/[0-9]*/cmdline") if _is_worker(p, "warm/ready.php")]
        if len(workers) >= 2:
            break
        time.sleep(0.1)
    assert len(workers) == 2


def _is_worker(cmdline, name):
    try:
        return name in open(cmdline, "rb").read().decode(errors="replace")
    except OSError:
        return False


def test_a_function_that_does_not_load_gets_503_and_the_log_says_why(server):
    assert call_json(server, "/broken") == (503, {"error": "function unavailable"})
    assert logged(server, "SyntaxError")


@pytest.mark.parametrize("development", [False, True])
def test_a_function_that_does_not_load_is_503_in_every_language(tmp_path, development):
    """One status for one kind of failure; what failed is in the log, and in the answer only
    under `apus dev`."""
    write_tree(tmp_path, {"js.js": TREE["broken.js"], "py.py": "def handler(event)\n    return 1\n"})
    server = serve(tmp_path, *(["--hot-reload"] if development else []))
    try:
        for path, detail in (("/js", "SyntaxError"), ("/py", "SyntaxError")):
            status, body = call_json(server, path)
            assert status == 503 and body["error"].startswith("function unavailable")
            assert (detail in body["error"]) == development, body
            assert str(tmp_path) not in body["error"] or development
        assert logged(server, "ERROR:    py.py") and logged(server, "SyntaxError")
    finally:
        server.stop()


@pytest.mark.parametrize("development", [False, True])
def test_errors_of_handlers(tmp_path, development):
    """A handler that raises is a 500 in every language: `internal server error` to the client,
    the error and its stack at ERROR in the log; its message in the answer only under
    `apus dev`."""
    write_tree(tmp_path, {"js.js": TREE["throws.js"], "py.py": TREE["throws.py"],
                          "phpfn/x.php": "<?php\nfunction handler($e) { throw new RuntimeException('php broke'); }\n"})
    server = serve(tmp_path, *(["--hot-reload"] if development else []))
    try:
        if development:
            assert call_json(server, "/js") == (500, {"error": "internal server error: Error: the handler broke"})
            assert call_json(server, "/py") == (500, {"error": "python broke"})
            status, body = call_json(server, "/phpfn/x")
            assert status == 500 and "php broke" in body["error"]
        else:
            for path in ("/js", "/py", "/phpfn/x"):
                assert call_json(server, path) == (500, {"error": "internal server error"})
        assert logged(server, "ValueError: python broke")
        assert logged(server, "ERROR:    [js.js] the handler failed:\nError: the handler broke")
        assert logged(server, "php broke")
    finally:
        server.stop()


GO_BROKEN = """package main

func handler(event map[string]interface{}) interface{} {
	return undefinedThing
}
"""


BROKEN = {
    "go": ("broken.go", GO_BROKEN, "Go", "broken.go:4:9: undefined: undefinedThing"),
    "rust": ("broken.rs", "use serde_json::Value;\n\npub fn handler(event: Value) -> Value {\n    undefined_thing\n}\n",
             "Rust", "broken.rs:4:5"),
}


@pytest.mark.parametrize("development", [False, True])
@pytest.mark.parametrize("language", BROKEN)
def test_a_build_error_names_the_file_and_line(tmp_path, language, development):
    file, source, name, where = BROKEN[language]
    write_tree(tmp_path, {file: source, "fine.py": "def handler(event):\n    return 'fine'\n"})
    server = serve(tmp_path, *(["--hot-reload"] if development else []))
    try:
        status, body = call_json(server, "/broken")
        assert status == 503
        where = f"{tmp_path}/{where}"
        if development:  # the compiler's output, in dev mode only
            assert body["error"].startswith(f"the {name} build failed") and where in body["error"]
        else:
            assert body == {"error": "function unavailable"}
        assert logged(server, where)
        assert call(server, "/fine")[2] == b"fine"
    finally:
        server.stop()


def test_a_rust_panic_is_a_500_and_the_worker_serves_on(tmp_path):
    write_tree(tmp_path, {"p.rs": (
        "use serde_json::{json, Value};\n\npub fn handler(event: Value) -> Value {\n"
        "    if event[\"query\"][\"boom\"].is_string() { panic!(\"boom\"); }\n    json!({\"ok\": true})\n}\n")})
    server = serve(tmp_path)
    try:
        assert call_json(server, "/p?boom=1") == (500, {"error": "internal server error"})
        assert logged(server, "rust handler panicked: boom")
        assert call_json(server, "/p") == (200, {"ok": True})
    finally:
        server.stop()


def test_a_language_that_is_not_installed_is_503_and_the_rest_serve(tmp_path):
    write_tree(tmp_path, {"js.js": "exports.handler = () => 1;\n", "py.py": "def handler(event):\n    return 'py'\n"})
    server = serve(tmp_path, env={"PATH": str(tmp_path)})  # no node on this PATH
    try:
        assert call_json(server, "/js") == (503, {"error": "function unavailable"})
        assert call(server, "/py")[2] == b"py"
        assert "WARNING:  node is not installed: its functions answer 503" in "\n".join(server.lines)
    finally:
        server.stop()


def test_health_lists_each_runtime_and_pool(server):
    call_json(server, "/ok")
    call_json(server, "/broken")
    status, health = call_json(server, "/_apus/health")
    # broken.js does not load: the rest serves, and the tree says so.
    assert status == 200 and health["status"] == "degraded" and health["ready"] is True
    assert health["functions"]["node"] >= 5 and health["functions"]["php"] == 1
    node = health["runtimes"]["node"]
    assert node["installed"] is True
    assert node["functions"]["ok.js"]["ready"] >= 1 and node["functions"]["ok.js"]["in_flight"] == 0
    assert health["runtimes"]["php"]["functions"]["warm/ready.php"]["ready"] == 2  # min_warm
    assert health["conflicts"] == 1


def test_a_python_function_past_its_timeout_is_504(tmp_path):
    write_tree(tmp_path, {
        "slow/sync.py": "import time\n\ndef handler(event):\n    time.sleep(float(event['query'].get('s', '0')))\n    return 'done'\n",
        "slow/async.py": ("import asyncio\n\nasync def handler(event):\n"
                          "    await asyncio.sleep(float(event['query'].get('s', '0')))\n    return 'done'\n"),
        "slow/fn.config.json": '{"timeout_ms": 300}',
    })
    server = serve(tmp_path)
    try:
        for kind in ("sync", "async"):
            started = time.monotonic()
            assert call_json(server, f"/slow/{kind}?s=2") == (504, {"error": "runtime timeout"})
            assert time.monotonic() - started < 1.5
            assert call(server, f"/slow/{kind}")[2] == b"done"
    finally:
        server.stop()


def test_idle_workers_beyond_min_warm_are_retired(tmp_path):
    write_tree(tmp_path, {"idle.php": "<?php function handler($event) { return ['pid' => getmypid()]; }\n",
                          "fn.config.json": '{"worker_pool": {"idle_ttl_seconds": 1}}'})
    server = serve(tmp_path)
    try:
        pid = call_json(server, "/idle")[1]["pid"]
        assert os.path.exists(f"/proc/{pid}")
        deadline = time.monotonic() + 5
        while os.path.exists(f"/proc/{pid}") and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not os.path.exists(f"/proc/{pid}")  # retired after a second without work
        assert call_json(server, "/_apus/health")[1]["runtimes"]["php"]["functions"]["idle.php"]["workers"] == 0
        assert call_json(server, "/idle")[0] == 200  # and started again when needed
    finally:
        server.stop()


def test_a_node_function_keeps_its_module_state_in_its_one_worker(tmp_path):
    """FastFN's Node runs every function in one long-lived process, so state a module keeps
    between requests (a PUT, then a GET) stays. Apus's Node worker takes 64 requests at once and
    the pool keeps it, however long it idles."""
    write_tree(tmp_path, {"counter/handler.js": "let count = 0;\nexports.handler = async (event) => {\n"
                                                "  if (event.method === 'PUT') count += 1;\n  return {count, pid: process.pid};\n};\n",
                          "counter/fn.config.json": '{"invoke": {"methods": ["GET", "PUT"]}, "worker_pool": {"idle_ttl_seconds": 1}}'})
    server = serve(tmp_path)
    try:
        for _ in range(3):
            assert call_json(server, "/counter", method="PUT")[0] == 200
        status, first = call_json(server, "/counter")
        assert first["count"] == 3
        time.sleep(2.5)  # past idle_ttl_seconds
        assert call_json(server, "/counter")[1] == first
    finally:
        server.stop()


def test_a_python_function_past_max_concurrency_gets_the_overflow_status(tmp_path):
    write_tree(tmp_path, {
        "gated/slow.py": "import time\n\ndef handler(event):\n    time.sleep(0.4)\n    return 'done'\n",
        "gated/fn.config.json": '{"max_concurrency": 1, "worker_pool": {"max_queue": 1, "overflow_status": 503}}',
    })
    server = serve(tmp_path)
    try:
        results = []
        threads = [threading.Thread(target=lambda: results.append(call(server, "/gated/slow")[0])) for _ in range(3)]
        for thread in threads:
            thread.start()
            time.sleep(0.05)
        for thread in threads:
            thread.join(10)
        assert sorted(results) == [200, 200, 503]  # one runs, one waits its turn, one overflows
    finally:
        server.stop()
