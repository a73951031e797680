"""FastFN's routing rules for a functions directory, over real sockets: file names, parameters,
catch-alls, method prefixes and method files, private files and folders, precedence,
conflicts (409), 405 with Allow, fn.routes.json, fn.config.json, fn.env.json, the
runtime-named layout and single-entry folders."""
import pytest

from functions_support import call, call_json, serve, write_tree

PY_ECHO = """
def handler(event):
    return {"file": __file__.rsplit("/routing/", 1)[1], "params": event["params"], "method": event["method"]}
"""
JS_ECHO = """
exports.handler = (event) => ({ file: __filename.split('/routing/')[1], params: event.params, method: event.method });
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("trees") / "routing"
    write_tree(root, {
        "hello.py": PY_ECHO,
        "My_Func.py": PY_ECHO,
        "users/index.py": PY_ECHO,
        "users/[id].py": PY_ECHO,
        "users/me.py": PY_ECHO,
        "post.users.[id].py": PY_ECHO,
        "files/[...path].py": PY_ECHO,
        "files/readme.py": PY_ECHO,
        "docs/[[...page]].js": JS_ECHO,
        "orders/[id]/get.py": PY_ECHO,
        "orders/[id]/put.js": JS_ECHO,
        "orders/[id]/delete.py": PY_ECHO,
        "_private.py": PY_ECHO,
        "hello.test.py": PY_ECHO,
        "node_modules/dep/index.js": JS_ECHO,
        "__pycache__/x.py": PY_ECHO,
        "dup/[a].py": PY_ECHO,
        "dup/[b].js": JS_ECHO,
        "same.py": PY_ECHO,
        "same.js": JS_ECHO,
        "manifest/fn.routes.json": '{"routes": {"GET,POST /listing": "list.py", "/same": "list.py"}}',
        "manifest/list.py": PY_ECHO,
        "multi/fn.config.json": '{"invoke": {"methods": ["GET", "POST"]}}',
        "multi/thing.py": PY_ECHO,
        "svc/handler.py": PY_ECHO,
        "svc/helpers.py": PY_ECHO,
        "svc/post.run.py": PY_ECHO,
        "node/greet/handler.js": JS_ECHO,
        "envfn/show.py": 'def handler(event):\n    return {"env": event["env"], "session": event["session"]}\n',
        "envfn/fn.env.json": '{"GREETING": {"value": "hi", "is_secret": false}, "TOKEN": {"value": "s3", "is_secret": true}, "N": 5}',
    })
    server = serve(root)
    yield server
    server.stop()


def routed(server, path, method="GET"):
    status, body = call_json(server, path, method=method, body="" if method in ("POST", "PUT") else None)
    assert status == 200, (path, status, body)
    return body["file"], body["params"]


def test_a_file_is_a_route(server):
    assert routed(server, "/hello") == ("hello.py", {})
    assert routed(server, "/my-func") == ("My_Func.py", {})  # static segments: lower case, "_" as "-"


def test_index_names_the_folder_and_static_beats_parameters(server):
    assert routed(server, "/users") == ("users/index.py", {})
    assert routed(server, "/users/me") == ("users/me.py", {})
    assert routed(server, "/users/42") == ("users/[id].py", {"id": "42"})


def test_method_prefixes_and_method_files(server):
    assert routed(server, "/users/7", method="POST") == ("post.users.[id].py", {"id": "7"})
    assert routed(server, "/orders/9") == ("orders/[id]/get.py", {"id": "9"})
    assert routed(server, "/orders/9", method="PUT") == ("orders/[id]/put.js", {"id": "9"})
    assert routed(server, "/orders/9", method="DELETE") == ("orders/[id]/delete.py", {"id": "9"})


def test_catch_alls_rank_last_and_optional_ones_map_the_root(server):
    assert routed(server, "/files/readme") == ("files/readme.py", {})
    assert routed(server, "/files/a/b/c.txt") == ("files/[...path].py", {"path": "a/b/c.txt"})
    assert routed(server, "/docs") == ("docs/[[...page]].js", {})
    assert routed(server, "/docs/guide/intro") == ("docs/[[...page]].js", {"page": "guide/intro"})


@pytest.mark.parametrize("path", ["/_private", "/hello.test", "/hello/test", "/node_modules/dep", "/dep", "/x"])
def test_private_files_and_folders_are_not_routes(server, path):
    status, body = call_json(server, path)
    assert (status, body) == (404, {"error": "not found"})


def test_routes_of_equal_rank_for_the_same_urls_are_a_conflict(server):
    assert call_json(server, "/dup/1") == (409, {"error": "ambiguous function"})
    # fn.routes.json outranks files: /same is the manifest's, not a conflict of same.py and same.js
    assert routed(server, "/same") == ("manifest/list.py", {})


def test_a_method_no_file_has_is_405_with_allow(server):
    status, headers, body = call(server, "/hello", method="DELETE")
    assert status == 405 and headers["allow"] == "GET" and body == b'{"error":"method not allowed"}'
    status, headers, _ = call(server, "/orders/1", method="PATCH")
    assert status == 405 and headers["allow"] == "GET, PUT, DELETE"


def test_fn_routes_json_and_fn_config_methods(server):
    assert routed(server, "/listing") == ("manifest/list.py", {})
    assert routed(server, "/listing", method="POST") == ("manifest/list.py", {})
    assert routed(server, "/multi/thing", method="POST") == ("multi/thing.py", {})


def test_a_folder_with_an_entry_file_keeps_its_helpers_private(server):
    assert routed(server, "/svc") == ("svc/handler.py", {})
    assert routed(server, "/svc/run", method="POST") == ("svc/post.run.py", {})
    assert call(server, "/svc/helpers")[0] == 404


def test_the_runtime_named_layout(server):
    assert routed(server, "/greet") == ("node/greet/handler.js", {})
    assert routed(server, "/greet/a/b") == ("node/greet/handler.js", {"wildcard": "a/b"})


def test_env_and_session(server):
    status, body = call_json(server, "/envfn/show", headers={"Cookie": "theme=dark; sid=abc123"})
    assert status == 200
    assert body["env"] == {"GREETING": "hi", "TOKEN": "s3", "N": "5"}
    assert body["session"] == {"id": "abc123", "raw": "theme=dark; sid=abc123", "cookies": {"theme": "dark", "sid": "abc123"}}
    assert call_json(server, "/envfn/show")[1]["session"] is None


def test_startup_reports_routes_and_conflicts(server):
    log = "\n".join(server.lines)
    assert "function GET /users/{id} python users/[id].py" in log
    assert "conflict (answered 409): GET /dup/{a}: dup/[a].py and dup/[b].js" in log


def test_home_aliases_of_the_root_and_of_a_folder(tmp_path):
    """FastFN's `home`: the root's serves a route at `/` (or redirects); a folder's serves one of
    its routes (relative or absolute) at the folder's URL, without an index file."""
    root = tmp_path / "routing"
    write_tree(root, {
        "fn.config.json": '{"home": {"route": "/showcase"}}',
        "showcase/index.py": PY_ECHO,
        "portal/fn.config.json": '{"home": {"route": "dashboard"}}',
        "portal/get.dashboard.js": JS_ECHO,
        "admin/fn.config.json": '{"home": {"route": "/portal/dashboard"}}',
        "admin/get.users.py": PY_ECHO,
    })
    server = serve(root)
    try:
        assert routed(server, "/")[0] == "showcase/index.py"
        assert routed(server, "/portal")[0] == "portal/get.dashboard.js"
        assert routed(server, "/portal/dashboard")[0] == "portal/get.dashboard.js"
        assert routed(server, "/admin")[0] == "portal/get.dashboard.js"
        assert routed(server, "/admin/users")[0] == "admin/get.users.py"
    finally:
        server.stop()


def test_fastfns_private_helper_shapes(tmp_path):
    """FastFN's zero-config routing guide, "Private helpers vs public endpoints": in a pure file
    tree only `_` files are private; beside an entry file, every non-explicit file is; a folder
    with several entry files is served by one, in FastFN's runtime order."""
    handler = "exports.handler = async (event) => ({file: __filename.split('/').slice(-2).join('/')});\n"
    write_tree(tmp_path, {
        "users/index.js": handler, "users/[id].js": handler, "users/_shared.js": handler,
        "shop/handler.js": handler, "shop/core.js": handler,
        "shop/admin/index.js": handler, "shop/admin/get.health.js": handler, "shop/admin/helpers.js": handler,
        "multi/handler.js": handler, "multi/handler.py": "def handler(event):\n    return {'file': 'python'}\n",
    })
    server = serve(tmp_path)
    try:
        assert call_json(server, "/users") == (200, {"file": "users/index.js"})
        assert call_json(server, "/users/7") == (200, {"file": "users/[id].js"})
        assert call(server, "/users/_shared")[0] == 200  # it is /users/{id} with id "_shared"
        assert call_json(server, "/users/_shared")[1] == {"file": "users/[id].js"}
        assert call_json(server, "/shop") == (200, {"file": "shop/handler.js"})
        assert call(server, "/shop/core")[0] == 404
        assert call_json(server, "/shop/admin") == (200, {"file": "admin/index.js"})
        assert call_json(server, "/shop/admin/health") == (200, {"file": "admin/get.health.js"})
        assert call(server, "/shop/admin/helpers")[0] == 404
        assert call_json(server, "/multi") == (200, {"file": "multi/handler.js"})
        assert ("multi: several entry files; handler.js serves it, handler.py ignored (FastFN's runtime order: go, node, "
                "php, python, rust)") in "\n".join(server.lines)
    finally:
        server.stop()
