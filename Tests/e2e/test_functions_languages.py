"""The examples in functions/, in every language, over real sockets: an event handler, route
parameters, a JSON body echo and a catch-all each; Python's typed handler is a FastAPI route
(422, OpenAPI); every function is listed in /openapi.json. The event a Node or PHP worker gets
is the one a Python function gets."""
import json
import os

import pytest

from functions_support import REPO, call, call_json, serve, write_tree

LANGUAGES = {"python": "", "node": "/node-examples", "php": "/php-examples", "go": "/go-examples", "rust": "/rust-examples"}


@pytest.fixture(scope="module")
def server():
    server = serve(os.path.join(REPO, "functions"))
    yield server
    server.stop()


@pytest.mark.parametrize("language", LANGUAGES)
def test_hello(server, language):
    prefix = LANGUAGES[language]
    assert call_json(server, f"{prefix}/hello?name=Ada") == (200, {"hello": "Ada", "runtime": language})
    assert call_json(server, f"{prefix}/hello")[1]["hello"] == "world"


@pytest.mark.parametrize("language", LANGUAGES)
def test_route_parameters_reach_the_handler(server, language):
    status, body = call_json(server, f"{LANGUAGES[language]}/{'users' if language == 'python' else 'items'}/42")
    assert status == 200 and body["runtime"] == language
    assert body["id"] == (42 if language == "python" else "42")  # typed in Python, text elsewhere


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_json_body_comes_back(server, language):
    payload = {"name": "widget", "tags": ["a", "b"], "price": 1.5}
    status, headers, body = call(server, f"{LANGUAGES[language]}/echo", method="POST", body=json.dumps(payload),
                                 headers={"content-type": "application/json"})
    assert (status, json.loads(body), headers["x-runtime"]) == (201, payload, language)


def test_catch_alls(server):
    assert call_json(server, "/blog/2026/12/hello") == (200, {"slug": "2026/12/hello", "runtime": "python"})
    assert call_json(server, "/node-examples/files/a/b.txt") == (200, {"path": "a/b.txt", "runtime": "node"})
    assert call_json(server, "/go-examples/files/a/b.txt") == (200, {"path": "a/b.txt", "runtime": "go"})
    assert call_json(server, "/rust-examples/files/a/b.txt") == (200, {"path": "a/b.txt", "runtime": "rust"})
    status, headers, body = call(server, "/php-examples/files/x/y")
    assert (status, body) == (200, b"path x/y from php")  # printed, not returned


def test_a_typed_python_function_is_a_fastapi_route(server):
    status, body = call_json(server, "/users/abc")
    assert status == 422 and body["detail"][0]["loc"] == ["path", "id"]
    assert call_json(server, "/users/5?q=x") == (200, {"id": 5, "q": "x", "runtime": "python"})


def test_openapi_lists_every_function(server):
    status, schema = call_json(server, "/openapi.json")
    assert status == 200
    paths = schema["paths"]
    assert paths["/node-examples/items/{id}"]["get"]["operationId"] == "get_node_node_examples_items__id__js_default"
    assert paths["/node-examples/items/{id}"]["get"]["parameters"][0]["name"] == "id"
    assert "post" in paths["/php-examples/echo"] and "get" in paths["/blog/{slug}"]
    assert paths["/users/{id}"]["get"]["parameters"][0]["schema"]["type"] == "integer"  # FastAPI's own schema


EVENT_PY = """
def handler(event):
    return {"event": event}
"""
EVENT_JS = """
exports.handler = (event) => ({ event });
"""
EVENT_PHP = """<?php
function handler(array $event): array { return ['event' => $event]; }
"""
EVENT_RUST = """use serde_json::{json, Value};

pub fn handler(event: Value) -> Value {
    json!({"event": event})
}
"""
EVENT_GO = """package main

func handler(event map[string]interface{}) interface{} {
	return map[string]interface{}{"event": event}
}
"""


def test_every_language_gets_the_same_event(tmp_path):
    write_tree(tmp_path, {"py/[id].py": EVENT_PY, "js/[id].js": EVENT_JS, "phpfn/[id].php": EVENT_PHP, "gofn/[id].go": EVENT_GO, "rs/[id].rs": EVENT_RUST,
                          "py/fn.env.json": '{"K": "v"}', "js/fn.env.json": '{"K": "v"}', "phpfn/fn.env.json": '{"K": "v"}',
                          "gofn/fn.env.json": '{"K": "v"}', "rs/fn.env.json": '{"K": "v"}'})
    server = serve(tmp_path)
    try:
        events = {}
        for language, path in (("python", "/py/7"), ("node", "/js/7"), ("php", "/phpfn/7"), ("go", "/gofn/7"), ("rust", "/rs/7")):
            status, body = call_json(server, path + "?a=1&a=2&flag&b=%20x+y", body="hello body",
                                     headers={"Cookie": "sid=s1", "User-Agent": "tester", "X-Two": "1"})
            assert status == 200, body
            event = body["event"]
            request_id = event["context"]["request_id"]
            assert request_id.startswith("req-")
            # Go and Rust also get the route's parameters as top-level keys, over the event's own,
            # as FastFN merges them there.
            assert event["id"] == ("7" if language in ("go", "rust") else request_id)
            assert event["context"]["runtime"] == language
            for volatile in ("id", "ts"):
                event.pop(volatile)
            for volatile in ("request_id", "runtime", "function_name"):
                event["context"].pop(volatile)
            event["path"] = event["path"].rsplit("/", 1)[1]
            event["raw_path"] = event["raw_path"].rsplit("/", 1)[1]
            events[language] = event
        assert events["python"]["query"] == {"a": ["1", "2"], "flag": True, "b": " x y"}
        assert events["python"]["body"] == "hello body" and events["python"]["params"] == {"id": "7"}
        assert events["python"]["env"] == {"K": "v"} and events["python"]["session"]["id"] == "s1"
        assert events["python"]["client"] == {"ip": "127.0.0.1", "ua": "tester"}
        assert events["node"] == events["python"]
        assert events["php"] == events["python"]
        assert events["go"] == events["python"]
        assert events["rust"] == events["python"]
    finally:
        server.stop()


@pytest.mark.parametrize("language", ["python", "node", "php", "go", "rust"])
def test_apus_init_creates_a_working_function(tmp_path, language):
    import subprocess
    from conftest import APUS_BIN
    made = subprocess.run([APUS_BIN, "init", "greet", "--lang", language, "--dir", str(tmp_path / "fns")],
                          capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    assert "GET /greet" in made.stdout
    again = subprocess.run([APUS_BIN, "init", "greet", "--lang", language, "--dir", str(tmp_path / "fns")],
                           capture_output=True, text=True)
    assert again.returncode == 1 and "already exists" in again.stderr
    server = serve(tmp_path / "fns")
    try:
        assert call_json(server, "/greet?name=you") == (200, {"hello": "you"})
    finally:
        server.stop()


PRODUCT_GO = """package main

func handler(event map[string]interface{}) interface{} {
	return map[string]interface{}{"id": event["id"]}
}
"""
FILES_GO = """package main

func handler(event map[string]interface{}) interface{} {
	return map[string]interface{}{"path": event["path"]}
}
"""
PRODUCT_RUST = """use serde_json::{json, Value};

pub fn handler(event: Value) -> Value {
    json!({"id": event["id"].clone()})
}
"""
FILES_RUST = """use serde_json::{json, Value};

pub fn handler(event: Value) -> Value {
    json!({"path": event["path"].clone()})
}
"""


def test_go_and_rust_read_route_parameters_from_the_event_as_fastfn_examples_do(tmp_path):
    """FastFN's rest-api-methods examples: `products/[id]/get.go` reads event["id"] and
    `files/[...path]/get.go` reads event["path"]: the route's values, not the request id and path."""
    write_tree(tmp_path, {"gofn/products/[id]/get.go": PRODUCT_GO, "gofn/files/[...path]/get.go": FILES_GO,
                          "rsfn/products/[id]/get.rs": PRODUCT_RUST, "rsfn/files/[...path]/get.rs": FILES_RUST})
    server = serve(tmp_path)
    try:
        for prefix in ("/gofn", "/rsfn"):
            assert call_json(server, f"{prefix}/products/42") == (200, {"id": "42"})
            assert call_json(server, f"{prefix}/files/a/b.txt") == (200, {"path": "a/b.txt"})
    finally:
        server.stop()


# Ordinary serde_json code the real crate accepts: borrowing iterators over the event's maps and
# arrays, typed parsing, pretty printing, and a module shared by the folder (FastFN's
# next-style example: `#[path = "_shared.rs"] mod _shared;`).
SERDE_RUST = """#[path = "_shared.rs"]
mod _shared;

use serde_json::{json, Map, Value};

pub fn handler(event: Value) -> Value {
    let mut names: Vec<&String> = event["query"].as_object().map(|query| query.keys().collect()).unwrap_or_default();
    names.sort();
    let parsed: Value = serde_json::from_str(event["body"].as_str().unwrap_or("null")).unwrap_or(Value::Null);
    let total: i64 = parsed["items"].as_array().map(|items| items.iter().filter_map(Value::as_i64).sum()).unwrap_or(0);
    let mut extra = Map::new();
    extra.insert("pretty".to_string(), Value::from(serde_json::to_string_pretty(&json!({"a": 1})).unwrap()));
    json!({"names": names, "total": total, "shared": _shared::greeting(), "extra": extra})
}
"""
SHARED_RUST = """pub fn greeting() -> String {
    "from _shared.rs".to_string()
}
"""
# A Go function and a private helper of its folder (`_*.go`), one package.
HELPED_GO = """package main

func handler(event map[string]interface{}) interface{} {
	return map[string]interface{}{"shout": shout("hi")}
}
"""
HELPER_GO = """package main

import "strings"

func shout(text string) string { return strings.ToUpper(text) + "!" }
"""


def test_rust_gets_the_real_serde_json_and_modules_beside_it_and_go_its_helpers(tmp_path):
    write_tree(tmp_path, {"rs/post.sum.rs": SERDE_RUST, "rs/_shared.rs": SHARED_RUST,
                          "go/loud/handler.go": HELPED_GO, "go/loud/_strings.go": HELPER_GO})
    server = serve(tmp_path)
    try:
        status, body = call_json(server, "/rs/sum?b=2&a=1", method="POST", body='{"items": [1, 2, 39]}')
        assert status == 200, "\n".join(server.lines)
        assert body == {"names": ["a", "b"], "total": 42, "shared": "from _shared.rs", "extra": {"pretty": '{\n  "a": 1\n}'}}
        assert call_json(server, "/loud") == (200, {"shout": "HI!"})  # go/: the runtime layout
    finally:
        server.stop()
    # A change to the shared module is a new build.
    write_tree(tmp_path, {"rs/_shared.rs": SHARED_RUST.replace("from _shared.rs", "changed")})
    server = serve(tmp_path)
    try:
        assert call_json(server, "/rs/sum", method="POST", body="{}")[1]["shared"] == "changed"
    finally:
        server.stop()
