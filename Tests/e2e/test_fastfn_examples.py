"""Conformance with FastFN's own example trees (github.com/misaelzapata/fastfn, examples/functions/
and the docs pages that describe them), in every language.

Each tree in Tests/fastfn_examples/ is modelled on one FastFN example (its routes, methods and
response shapes, written anew) and is served as FastFN's README serves it: on its own
(`fastfn dev examples/functions/<tree>`), or, for the polyglot tutorial and the namespaced
next-style checks, inside a catalog root (`fastfn dev examples/functions`). Every case is named
"<language>-<example>-<what>" (the language of the function under test; "polyglot" for a case
about several), and carries a marker of its language, so that

    pytest -q -rA Tests/e2e/test_fastfn_examples.py

can be counted per language by prefix (or run per language with `-m node`). A case where Apus
answers otherwise than FastFN documents is kept, marked xfail(strict=True) with the difference.

The trees are copied to a fixed folder under the system's temporary directory before they are
served (some write state files), at the same path every run, so that the Go and Rust builds
(cached by source and path) are reused from one run to the next."""
import hashlib
import hmac
import http.client
import json
import os
import shutil
import tempfile
import warnings

import pytest

from conftest import PROJECT_VENV, ApusServer
from functions_support import REPO, call

EXAMPLES = os.path.join(REPO, "Tests", "fastfn_examples")
STAGE = os.path.join(tempfile.gettempdir(), "apus-fastfn-examples")
# The catalog root: trees FastFN's docs run namespaced under examples/functions.
CATALOG = ("next-style", "polyglot-tutorial")
JSON = {"content-type": "application/json"}
LANGUAGES = ("python", "node", "php", "go", "rust", "polyglot")


# -- serving ---------------------------------------------------------------------------------

def _stage(name):
    """A fresh copy of the tree (or of the catalog root) at a path that is the same every run."""
    target = os.path.join(STAGE, name)
    shutil.rmtree(target, ignore_errors=True)
    if name == "catalog":
        for member in CATALOG:
            shutil.copytree(os.path.join(EXAMPLES, member), os.path.join(target, member))
    else:
        shutil.copytree(os.path.join(EXAMPLES, name), target)
    return target


@pytest.fixture(scope="module")
def tree():
    """tree(name) is a server for that tree, started on first use and kept for the module."""
    servers = {}

    def get(name):
        if name not in servers:
            environment = {**os.environ, "VIRTUAL_ENV": PROJECT_VENV}
            # Go and Rust functions are built before the server listens: the first time, slowly.
            servers[name] = ApusServer(_stage(name), "--port", "0", env=environment, ready_timeout=600)
        return servers[name]

    yield get
    for server in servers.values():
        server.stop()


def get_json(server, path, **options):
    """(status, parsed JSON body, headers)."""
    status, headers, body = call(server, path, **options)
    try:
        parsed = json.loads(body) if body else None
    except ValueError:
        raise AssertionError(f"{path}: not JSON: {status} {body[:300]!r}")
    return status, parsed, headers


def send_json(server, path, payload, method="POST", headers=None):
    return get_json(server, path, method=method, body=json.dumps(payload), headers={**JSON, **(headers or {})})


def raw_request(server, path, method="GET", headers=None):
    """(status, headers, body) without following redirects."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.request(method, path, headers=headers or {})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def openapi_paths(server):
    status, schema, _ = get_json(server, "/openapi.json")
    assert status == 200
    return set(schema["paths"])


# -- the cases -------------------------------------------------------------------------------

CASES = []


def case(case_id, xfail=None):
    """Registers a check as one parametrized case, marked with its language (the id's prefix)."""
    language = case_id.split("-", 1)[0]
    assert language in LANGUAGES, case_id

    def register(check):
        with warnings.catch_warnings():  # the language markers are not registered in a pytest.ini
            warnings.simplefilter("ignore", pytest.PytestUnknownMarkWarning)
            marks = [getattr(pytest.mark, language)]
        if xfail:
            marks.append(pytest.mark.xfail(strict=True, reason=xfail))
        CASES.append(pytest.param(check, id=case_id, marks=marks))
        return check

    return register


# next-style (examples/functions/next-style/README.md; docs/en/how-to/zero-config-routing.md),
# served on its own: `fastfn dev examples/functions/next-style`.

@case("node-next-style-users-index")
def _(tree):
    assert get_json(tree("next-style"), "/users")[:2] == (200, {
        "route": "/users", "runtime": "node", "helper": "users/_shared.js",
        "users": [{"id": "123", "label": "Ada"}, {"id": "456", "label": "Kai"}]})


@case("node-next-style-users-id")
def _(tree):
    assert get_json(tree("next-style"), "/users/123")[:2] == (200, {
        "route": "/users/:id", "params": {"id": "123"}, "runtime": "node", "helper": "users/_shared.js"})


@case("node-next-style-hello-plain-object")
def _(tree):
    status, body, headers = get_json(tree("next-style"), "/hello?name=Ada")
    assert (status, body) == (200, {"message": "hello works", "runtime": "node", "query": {"name": "Ada"}})
    assert headers["content-type"].startswith("application/json")


@case("node-next-style-html-page")
def _(tree):
    status, headers, body = call(tree("next-style"), "/html?name=%3Cb%3EDev%3C/b%3E")
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert b"<h1>Hello &lt;b&gt;Dev&lt;/b&gt;</h1>" in body


@case("node-next-style-downloads-report-attachment")
def _(tree):
    status, headers, body = call(tree("next-style"), "/downloads/report")
    assert status == 200 and headers["content-type"].startswith("text/csv")
    assert headers["content-disposition"] == 'attachment; filename="report.csv"'
    assert headers["cache-control"] == "no-store"
    with open(os.path.join(EXAMPLES, "next-style", "downloads", "report.csv"), "rb") as file:
        assert body == file.read()


@case("node-next-style-showcase-form-methods")
def _(tree):
    server = tree("next-style")
    posted = {"name": "Misael", "accent": "#38bdf8", "message": "Saved from POST"}
    assert send_json(server, "/showcase/form", posted)[:2] == (
        200, {"route": "POST /showcase/form", "data": posted, "runtime": "node"})
    put = {"name": "Misael", "accent": "#f59e0b", "message": "Updated from PUT"}
    assert send_json(server, "/showcase/form", put, method="PUT")[:2] == (
        200, {"route": "PUT /showcase/form", "data": put, "runtime": "node"})
    status, body, _ = get_json(server, "/showcase/form", method="POST", body="{not json", headers=JSON)
    assert status == 400 and body["error"] == "invalid_json_body"
    status, body, _ = get_json(server, "/showcase/form")
    assert status == 200 and body["route"] == "GET /showcase/form"


@case("node-next-style-showcase-form-state")
def _(tree):
    server = tree("next-style")
    saved = {"name": "Misael", "accent": "#f472b6", "message": "Kept between routes"}
    assert send_json(server, "/showcase/form", saved, method="PUT")[0] == 200
    assert get_json(server, "/showcase/form")[:2] == (
        200, {"route": "GET /showcase/form", "data": saved, "runtime": "node"})


@case("python-next-style-blog-index")
def _(tree):
    assert get_json(tree("next-style"), "/blog")[:2] == (200, {
        "route": "GET /blog", "params": {}, "runtime": "python", "helper": "blog/_shared.py",
        "intro": "Blog root, built by a private helper."})


@case("python-next-style-blog-catch-all")
def _(tree):
    assert get_json(tree("next-style"), "/blog/a/b/c")[:2] == (200, {
        "route": "GET /blog/:slug*", "params": {"slug": "a/b/c"}, "runtime": "python",
        "helper": "blog/_shared.py", "slug": "a/b/c"})


@case("python-next-style-admin-post-users-id")
def _(tree):
    server = tree("next-style")
    assert get_json(server, "/admin/users/123", method="POST")[:2] == (200, {
        "route": "POST /admin/users/:id", "params": {"id": "123"}, "runtime": "python"})
    assert call(server, "/admin/users/123")[0] == 405


@case("python-next-style-hello-demo-invoke-routes")
def _(tree):
    status, body, _ = get_json(tree("next-style"), "/hello-demo/Ada?lang=es")
    assert status == 200
    assert (body["message"], body["params"], body["query"]) == ("Hola Ada", {"name": "Ada"}, {"lang": "es"})




@case("php-next-style-profile-id")
def _(tree):
    assert get_json(tree("next-style"), "/php/profile/123")[:2] == (200, {
        "route": "GET /php/profile/:id", "runtime": "php", "helper": "php/_shared.php",
        "params": {"id": "123"}, "id": "123"})


@case("php-next-style-export-raw-output")
def _(tree):
    status, headers, body = call(tree("next-style"), "/php/export")
    assert (status, body) == (200, b"id,source\n10,php-mod-style\n11,raw-output\n")


@case("rust-next-style-health")
def _(tree):
    status, body, _ = get_json(tree("next-style"), "/rust/health")
    assert (status, body["route"], body["status_text"]) == (200, "GET /rust/health", "ok")


@case("rust-next-style-version")
def _(tree):
    status, body, _ = get_json(tree("next-style"), "/rust/version")
    assert (status, body["route"], body["version"]) == (200, "GET /rust/version", "v1")


# next-style inside the catalog root (`fastfn dev examples/functions`): its routes under
# /next-style/, where php/ and rust/ are ordinary folders.

@case("php-catalog-next-style-profile-id")
def _(tree):
    assert get_json(tree("catalog"), "/next-style/php/profile/123")[:2] == (200, {
        "route": "GET /php/profile/:id", "runtime": "php", "helper": "php/_shared.php",
        "params": {"id": "123"}, "id": "123"})


@case("php-catalog-next-style-export-raw-output")
def _(tree):
    # A PHP file without a handler prints its body; $FASTFN_STATUS and $FASTFN_HEADERS set the rest
    # ("mod_php-style raw CSV output", downloaded with curl -OJ in next-style/README.md).
    status, headers, body = call(tree("catalog"), "/next-style/php/export")
    assert (status, body) == (200, b"id,source\n10,php-mod-style\n11,raw-output\n")
    assert headers["content-type"].startswith("text/csv")
    assert headers["content-disposition"] == 'attachment; filename="php-export.csv"'
    assert headers["cache-control"] == "no-store"


@case("rust-catalog-next-style-health-shared-module")
def _(tree):
    assert get_json(tree("catalog"), "/next-style/rust/health")[:2] == (200, {
        "route": "GET /rust/health", "runtime": "rust", "helper": "rust/_shared.rs", "params": {},
        "status_text": "ok"})


@case("rust-catalog-next-style-version-shared-module")
def _(tree):
    assert get_json(tree("catalog"), "/next-style/rust/version")[:2] == (200, {
        "route": "GET /rust/version", "runtime": "rust", "helper": "rust/_shared.rs", "params": {},
        "version": "v1"})


# "Private helpers stay out of route discovery and out of /_fn/openapi.json" (next-style/README.md).

def _helper_is_private(tree, published):
    """No OpenAPI path names a helper, while the routes beside it are listed."""
    server = tree("catalog")
    paths = openapi_paths(server)
    assert published in paths and not [path for path in paths if "_shared" in path], sorted(paths)
    return server


@case("node-next-style-private-helper")
def _(tree):
    server = _helper_is_private(tree, "/next-style/users/{id}")
    # No route of its own: 404, or users/[id].js (id "_shared"), never the helper.
    status, body, _ = get_json(server, "/next-style/users/_shared")
    assert status == 404 or (status, body["route"], body["params"]) == (200, "/users/:id", {"id": "_shared"})


@case("python-next-style-private-helper")
def _(tree):
    server = _helper_is_private(tree, "/next-style/blog/{slug}")
    # No route of its own: 404, or the catch-all blog/[...slug].py, never the helper.
    status, body, _ = get_json(server, "/next-style/blog/_shared")
    assert status == 404 or (status, body["route"]) == (200, "GET /blog/:slug*")


@case("php-next-style-private-helper")
def _(tree):
    server = _helper_is_private(tree, "/next-style/php/profile/{id}")
    assert call(server, "/next-style/php/_shared")[0] == 404


@case("rust-next-style-private-helper")
def _(tree):
    server = _helper_is_private(tree, "/next-style/rust/health")
    assert call(server, "/next-style/rust/_shared")[0] == 404


# polyglot-tutorial (examples/functions/polyglot-tutorial/README.md), in the catalog root.

STEP_1 = {"step": 1, "message": "Step 1 ready (node).", "runtime": "node"}
STEP_2 = {"step": 2, "message": "Hello Ana from Python.", "runtime": "python", "name": "Ana"}
STEP_3 = {"step": 3, "runtime": "php", "name": "Ana", "score": 30, "message": "PHP scored Ana with 30"}
STEP_4 = {"step": 4, "runtime": "rust", "status": "ready", "message": "Rust helper is warm."}


@case("node-polyglot-tutorial-step-1")
def _(tree):
    assert get_json(tree("catalog"), "/polyglot-tutorial/step-1")[:2] == (200, STEP_1)


@case("python-polyglot-tutorial-step-2")
def _(tree):
    assert get_json(tree("catalog"), "/polyglot-tutorial/step-2?name=Ana")[:2] == (200, STEP_2)


@case("php-polyglot-tutorial-step-3")
def _(tree):
    assert get_json(tree("catalog"), "/polyglot-tutorial/step-3?name=Ana")[:2] == (200, STEP_3)


@case("rust-polyglot-tutorial-step-4-and-alias")
def _(tree):
    server = tree("catalog")
    assert get_json(server, "/polyglot-tutorial/step-4")[:2] == (200, STEP_4)
    assert get_json(server, "/polyglot-tutorial/step-4/status")[:2] == (200, STEP_4)


@case("node-polyglot-tutorial-step-5-flow")
def _(tree):
    status, body, _ = get_json(tree("catalog"), "/polyglot-tutorial/step-5?name=Ana")
    assert status == 200, body
    assert body == {"step": 5, "runtime": "node", "name": "Ana", "flow": [STEP_1, STEP_2, STEP_3, STEP_4],
                    "summary": "Polyglot pipeline completed for Ana"}


# rest-api-methods (examples/functions/rest-api-methods/README.md;
# docs/en/articles/file-based-method-routing.md), one tree per runtime as `FN_RUNTIMES=<runtime>
# fastfn dev examples/functions/rest-api-methods` serves it.

PRODUCTS = {"products": [{"id": 1, "name": "Widget", "price": 9.99}, {"id": 2, "name": "Gadget", "price": 24.99}],
            "total": 2}


def _products_collection(tree, language):
    server = tree(f"rest-api-methods-{language}")
    assert get_json(server, "/products")[:2] == (200, PRODUCTS)
    assert send_json(server, "/products", {"name": "Widget", "price": 9.99})[:2] == (
        201, {"id": 42, "name": "Widget", "price": 9.99, "created": True})
    assert send_json(server, "/products", {"price": 1})[:2] == (400, {"error": "name is required"})


def _products_item(tree, language):
    server = tree(f"rest-api-methods-{language}")
    assert get_json(server, "/products/42")[:2] == (200, {"id": 42, "name": "Widget", "price": 9.99})
    assert send_json(server, "/products/42", {"name": "Updated Widget", "price": 12.99}, method="PUT")[:2] == (
        200, {"id": 42, "name": "Updated Widget", "price": 12.99, "updated": True})
    assert get_json(server, "/products/42", method="DELETE")[:2] == (200, {"id": 42, "deleted": True})


def _posts(tree, language):
    server = tree(f"rest-api-methods-{language}")
    assert get_json(server, "/posts/hello-world")[:2] == (
        200, {"slug": "hello-world", "title": "Post: hello-world", "content": "Lorem ipsum..."})
    assert get_json(server, "/posts/tech/hello-world")[:2] == (200, {
        "category": "tech", "slug": "hello-world", "title": "tech/hello-world", "url": "/posts/tech/hello-world"})


def _files(tree, language):
    assert get_json(tree(f"rest-api-methods-{language}"), "/files/docs/2024/report.pdf")[:2] == (200, {
        "path": "docs/2024/report.pdf", "segments": ["docs", "2024", "report.pdf"], "depth": 3})


for _language in ("python", "node", "php", "go", "rust"):
    for _what, _check in (("products-collection", _products_collection), ("products-item", _products_item),
                          ("posts-params", _posts), ("files-catch-all", _files)):
        case(f"{_language}-rest-api-methods-{_what}")(
            lambda tree, check=_check, language=_language: check(tree, language))


@case("polyglot-rest-api-methods-unfiltered-409")
def _(tree):
    # "Since multiple files map to the same route, you must select a single runtime to avoid 409
    # ambiguity" (rest-api-methods/README.md): products/get.{py,js,php,go,rs} all at GET /products.
    assert call(tree("rest-api-methods-all"), "/products")[0] == 409


# The runtime folders of examples/functions (node/, python/, php/, go/, rust/ and their
# READMEs), each served on its own as `fastfn dev examples/functions/<runtime>` serves it.

SESSION_COOKIES = {"Cookie": "session_id=abc123; theme=dark"}
NO_SESSION = {"error": "No session cookie found", "hint": "Send Cookie: session_id=your-token"}


def _session_demo(tree, name):
    server = tree(name)
    assert get_json(server, "/session-demo")[:2] == (401, NO_SESSION)
    assert get_json(server, "/session-demo", headers=SESSION_COOKIES)[:2] == (200, {
        "authenticated": True, "session_id": "abc123", "theme": "dark",
        "all_cookies": {"session_id": "abc123", "theme": "dark"}})
    # "id: auto-detected from session_id / sessionid / sid cookies"
    status, body, _ = get_json(server, "/session-demo", headers={"Cookie": "sid=xyz"})
    assert (status, body["session_id"], body["theme"]) == (200, "xyz", "light")


for _language in ("python", "node", "php", "go", "rust"):
    case(f"{_language}-examples-session-demo")(lambda tree, name=f"{_language}-examples": _session_demo(tree, name))


@case("node-examples-node-echo")
def _(tree):
    assert get_json(tree("node-examples"), "/node-echo?name=Node")[:2] == (
        200, {"runtime": "node", "function": "node-echo", "hello": "Node"})


@case("node-examples-echo-query-context")
def _(tree):
    assert get_json(tree("node-examples"), "/echo?key=value")[:2] == (
        200, {"key": "value", "query": {"key": "value"}, "context": {"user": None}})


@case("node-examples-custom-handler-main")
def _(tree):
    assert get_json(tree("node-examples"), "/custom-handler-demo?name=Ada")[:2] == (
        200, {"runtime": "node", "handler": "main", "hello": "Ada"})


@case("node-examples-request-inspector-methods")
def _(tree):
    server = tree("node-examples")
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        status, body, _ = get_json(server, "/request-inspector?key=value", method=method, body="hello",
                                   headers={"content-type": "text/plain", "x-demo": "1"})
        assert status == 200, (method, status, body)
        assert (body["ok"], body["method"], body["path"], body["query"]) == (
            True, method, "/request-inspector", {"key": "value"})
        assert body["headers"]["x-demo"] == "1" and body["headers"]["content-type"] == "text/plain"
        assert body["body"] == "hello" and isinstance(body["context"]["request_id"], str)


@case("node-examples-request-inspector-private-module")
def _(tree):
    # "payments/core.js is importable from handler.js, but it is not published as /payments/core"
    # (docs/en/reference/function-spec.md, single-entry root).
    status, headers, body = call(tree("node-examples"), "/request-inspector/inspect")
    assert status == 404 or (status == 200 and json.loads(body)["ok"] is True), (status, body)


@case("python-examples-hello-env")
def _(tree):
    status, headers, body = call(tree("python-examples"), "/hello?name=Ada")
    assert (status, body) == (200, b'{"hello":"saludos Ada"}')


@case("python-examples-csv-demo")
def _(tree):
    status, headers, body = call(tree("python-examples"), "/csv-demo?name=Ada")
    assert (status, body) == (200, b"id,name,runtime\n1,Ada,python\n")
    assert headers["content-type"].startswith("text/csv")


@case("python-examples-custom-handler-main")
def _(tree):
    assert get_json(tree("python-examples"), "/custom-handler-demo?name=Ada")[:2] == (
        200, {"runtime": "python", "handler": "main", "hello": "Ada"})


@case("python-examples-png-demo-binary")
def _(tree):
    status, headers, body = call(tree("python-examples"), "/png-demo")
    assert (status, headers["content-type"]) == (200, "image/png")
    assert body.startswith(b"\x89PNG\r\n\x1a\n") and body.endswith(b"IEND\xaeB`\x82")


@case("php-examples-php-profile-env")
def _(tree):
    assert get_json(tree("php-examples"), "/php-profile?name=Ada")[:2] == (
        200, {"runtime": "php", "function": "php-profile", "hello": "hola-Ada"})


@case("go-examples-exported-handler-name")
def _(tree):
    # "Go handlers must export a `handler` function (or `Handler`)" (examples/functions/go/README.md)
    assert get_json(tree("go-examples"), "/exported-handler?name=Ada")[:2] == (200, {"hello": "Ada", "runtime": "go"})


@case("rust-examples-rust-profile-env")
def _(tree):
    assert get_json(tree("rust-examples"), "/rust-profile?name=Ada")[:2] == (
        200, {"runtime": "rust", "function": "rust-profile", "hello": "ahoy-Ada"})


# Public assets (examples/functions/assets-*/README.md), whose functions use the runtime-grouped
# layout (node/api-node/handler.js → /api-node).

NAVIGATE = {"Accept": "text/html"}


@case("node-assets-static-first-api-node")
def _(tree):
    server = tree("assets-static-first")
    assert get_json(server, "/api-node")[:2] == (
        200, {"runtime": "node", "title": "Node fallback route", "path": "/api-node"})
    status, headers, body = call(server, "/")
    assert status == 200 and b"Static-first shell" in body
    status, headers, body = call(server, "/style.css")
    assert status == 200 and headers["content-type"].startswith("text/css")
    assert call(server, "/nonexistent", headers=NAVIGATE)[0] == 404  # not_found_handling "404"


@case("python-assets-static-first-api-python")
def _(tree):
    assert get_json(tree("assets-static-first"), "/api-python")[:2] == (
        200, {"runtime": "python", "title": "Python fallback route", "path": "/api-python"})


@case("php-assets-spa-fallback-api-profile")
def _(tree):
    server = tree("assets-spa-fallback")
    assert get_json(server, "/api-profile")[:2] == (
        200, {"runtime": "php", "title": "PHP profile endpoint", "path": "/api-profile"})
    for path in ("/dashboard", "/settings", "/any/deep/path"):
        status, headers, body = call(server, path, headers=NAVIGATE)
        assert status == 200 and b"SPA shell" in body, path
    assert call(server, "/missing.js", headers=NAVIGATE)[0] == 404


@case("go-assets-worker-first-api-go")
def _(tree):
    server = tree("assets-worker-first")
    assert get_json(server, "/api-go")[:2] == (200, {"runtime": "go", "title": "Go worker endpoint", "path": "/api-go"})
    status, headers, body = call(server, "/catalog/overview", headers=NAVIGATE)
    assert status == 200 and b"worker-first shell" in body
    assert call(server, "/app.js")[0] == 200


@case("rust-assets-worker-first-hello-beats-static")
def _(tree):
    status, headers, body = call(tree("assets-worker-first"), "/hello")
    assert (status, body) == (200, b"hello from rust runtime")
    assert headers["content-type"].startswith("text/plain")


# versioned-api (examples/functions/versioned-api/README.md): v1/v2 are plain folders.

@case("node-versioned-api-users")
def _(tree):
    server = tree("versioned-api")
    assert get_json(server, "/api/v1/users")[:2] == (
        200, {"version": "v1", "users": [{"id": 1, "name": "Alice"}, {"id": 2, "name": "Bob"}]})
    status, body, _ = get_json(server, "/api/v2/users")
    assert (status, body["version"], body["data"]["total"]) == (200, "v2", 2)
    assert get_json(server, "/api/v1/users/42")[:2] == (200, {"version": "v1", "user": {"id": 42, "name": "Alice"}})
    status, body, _ = get_json(server, "/api/v2/users/42")
    assert (status, body["version"], body["data"]["id"], body["data"]["role"]) == (200, "v2", 42, "admin")


@case("python-versioned-api-health")
def _(tree):
    assert get_json(tree("versioned-api"), "/api/v1/health")[:2] == (200, {"version": "v1", "status": "healthy"})


# platform-equivalents (examples/functions/platform-equivalents/README.md): functions in several
# runtimes that share a token secret or a state file.

def _login(server):
    status, body, _ = send_json(server, "/auth/login", {"username": "demo-admin", "role": "admin"})
    assert status == 200, body
    return body


def _create_order(server):
    status, body, _ = send_json(server, "/api/v1/orders", {"customer": "acme", "items": [{"sku": "A-1", "qty": 2}]})
    assert status == 201, body
    return body["order"]


@case("node-platform-equivalents-auth-login")
def _(tree):
    server = tree("platform-equivalents")
    body = _login(server)
    assert (body["expires_in"], body["username"], body["role"]) == (3600, "demo-admin", "admin")
    assert len(body["token"].split(".")) == 2
    assert send_json(server, "/auth/login", {"role": "admin"})[:2] == (400, {"error": "username is required"})


@case("python-platform-equivalents-auth-profile")
def _(tree):
    server = tree("platform-equivalents")
    token = _login(server)["token"]
    status, body, _ = get_json(server, "/auth/profile", headers={"Authorization": f"Bearer {token}"})
    assert (status, body["sub"], body["role"]) == (200, "demo-admin", "admin")
    assert get_json(server, "/auth/profile")[:2] == (401, {"error": "Missing Authorization: Bearer <token>"})
    tampered = token[:-1] + ("0" if token[-1] != "0" else "1")
    assert get_json(server, "/auth/profile", headers={"Authorization": f"Bearer {tampered}"})[:2] == (
        401, {"error": "Invalid signature"})


@case("python-platform-equivalents-webhook-signed")
def _(tree):
    server = tree("platform-equivalents")
    payload = '{"action":"opened","repository":"fastfn"}'
    signature = "sha256=" + hmac.new(b"fastfn-webhook-secret", payload.encode(), hashlib.sha256).hexdigest()
    headers = {**JSON, "x-github-delivery": "demo-1", "x-github-event": "pull_request"}
    assert get_json(server, "/webhooks/github-signed", method="POST", body=payload,
                    headers={**headers, "x-hub-signature-256": signature})[:2] == (
        202, {"ok": True, "event": "pull_request", "action": "opened"})
    assert get_json(server, "/webhooks/github-signed", method="POST", body=payload,
                    headers={**headers, "x-hub-signature-256": "sha256=" + "0" * 64})[:2] == (
        401, {"error": "Signature mismatch"})
    assert get_json(server, "/webhooks/github-signed", method="POST", body=payload, headers=headers)[0] == 401


@case("python-platform-equivalents-orders-create")
def _(tree):
    order = _create_order(tree("platform-equivalents"))
    assert (order["customer"], order["items"], order["status"]) == ("acme", [{"sku": "A-1", "qty": 2}], "pending")
    assert isinstance(order["id"], int)


@case("php-platform-equivalents-orders-get")
def _(tree):
    server = tree("platform-equivalents")
    order = _create_order(server)
    assert get_json(server, f"/api/v1/orders/{order['id']}")[:2] == (200, {"ok": True, "order": order})
    assert get_json(server, "/api/v1/orders/999999")[:2] == (404, {"error": "Order not found"})


@case("node-platform-equivalents-orders-update-and-list")
def _(tree):
    server = tree("platform-equivalents")
    order = _create_order(server)
    status, body, _ = send_json(server, f"/api/v1/orders/{order['id']}",
                                {"status": "shipped", "tracking_number": "TRK-1001"}, method="PUT")
    assert status == 200, body
    assert (body["order"]["id"], body["order"]["status"], body["order"]["tracking_number"]) == (
        order["id"], "shipped", "TRK-1001")
    status, body, _ = get_json(server, "/api/v1/orders?status=shipped")
    assert status == 200 and order["id"] in [listed["id"] for listed in body["orders"]]
    assert all(listed["status"] == "shipped" for listed in body["orders"])


# The from-zero tutorial (docs/en/tutorial/from-zero/chapter-02..04): a hello-world folder with
# get.js and post.js, then fn.env.json, then fn.config.json's invoke.methods.

@case("node-from-zero-query-and-body")
def _(tree):
    server = tree("from-zero-chapter-3")
    status, body, _ = send_json(server, "/hello-world?name=Misael&lang=en", {"city": "Cordoba", "role": "admin"})
    assert (status, body) == (200, {"hello": "Misael", "query": {"name": "Misael", "lang": "en"},
                                    "body": {"city": "Cordoba", "role": "admin"}, "method": "POST"})
    status, body, _ = get_json(server, "/hello-world?name=Misael", method="POST", body="hello from body",
                               headers={"content-type": "text/plain"})
    assert (status, body["body"]) == (200, {"raw": "hello from body"})


@case("node-from-zero-env")
def _(tree):
    assert get_json(tree("from-zero-chapter-3"), "/hello-world?name=Ana")[:2] == (
        200, {"message": "Hi Ana", "app_mode": "dev", "has_api_key": True})


@case("node-from-zero-methods-policy")
def _(tree):
    # "Blocked method example (POST is routed, but denied by policy) ... Expected: 405"
    server = tree("from-zero-chapter-4")
    assert get_json(server, "/hello-world?name=Ana")[:2] == (200, {"hello": "Ana", "method": "GET"})
    assert call(server, "/hello-world", method="POST", body="{}")[0] == 405


# docs/en/articles/file-based-method-routing.md ("Common patterns").

@case("python-method-routing-article-helper-package-import")
def _(tree):
    # `products/post.py` imports `from products._helpers import validate_product`.
    server = tree("method-routing-article")
    assert send_json(server, "/products", {"name": "Widget", "price": 9.99})[:2] == (
        201, {"id": 42, "name": "Widget", "price": 9.99, "created": True})
    assert send_json(server, "/products", {"price": 1})[:2] == (400, {"error": "name is required"})


@case("node-method-routing-article-static-beats-dynamic")
def _(tree):
    server = tree("method-routing-article")
    assert get_json(server, "/users/me")[:2] == (200, {"route": "GET /users/me", "id": "me"})
    assert get_json(server, "/users/42")[:2] == (200, {"route": "GET /users/:id", "id": "42"})
    assert get_json(server, "/users")[:2] == (200, {"route": "GET /users"})


# Versions (docs/en/tutorial/versioning-and-rollout.md): hello/handler.js and hello/v2/handler.js.

@case("node-versioning-default-and-v2")
def _(tree):
    server = tree("versioning-and-rollout")
    assert get_json(server, "/hello?name=World")[:2] == (200, {"message": "Hello from V1, World"})
    assert get_json(server, "/hello@v2?name=World")[:2] == (
        200, {"status": "success", "data": {"greeting": "Hello from V2, World"}})


# fn.routes.json (docs/en/how-to/zero-config-routing.md: "polyglot-demo/fn.routes.json route
# GET /items -> GET /items"; "fn.routes.json can override file-based routes").

@case("node-routes-manifest-get-items")
def _(tree):
    assert get_json(tree("routes-manifest"), "/items")[:2] == (
        200, {"items": [{"id": "1", "name": "apple"}, {"id": "2", "name": "pear"}], "runtime": "node"})


@case("python-routes-manifest-post-items")
def _(tree):
    assert send_json(tree("routes-manifest"), "/items", {"name": "kiwi"})[:2] == (
        201, {"created": {"name": "kiwi"}, "runtime": "python"})


@case("php-routes-manifest-item-param")
def _(tree):
    assert get_json(tree("routes-manifest"), "/items/7")[:2] == (200, {"id": "7", "runtime": "php"})


@case("go-routes-manifest-item-stock-param")
def _(tree):
    assert get_json(tree("routes-manifest"), "/items/7/stock")[:2] == (200, {"id": "7", "stock": 7, "runtime": "go"})


@case("rust-routes-manifest-version")
def _(tree):
    assert get_json(tree("routes-manifest"), "/version")[:2] == (200, {"version": "1.0.0", "runtime": "rust"})


@case("node-routes-manifest-overrides-file-route")
def _(tree):
    assert get_json(tree("routes-manifest"), "/routes-override/ping")[:2] == (200, {"source": "manifest-route"})


# Home aliases (docs/en/how-to/zero-config-routing.md: "Folder-defined home alias", "Root home
# behavior").

@case("python-home-root-route")
def _(tree):
    status, body, _ = get_json(tree("home-aliases"), "/")
    assert (status, body["page"], body["runtime"]) == (200, "showcase", "python")


def _folder_home(tree, folder, page, runtime, route):
    server = tree("home-aliases")
    expected = (200, {"page": page, "runtime": runtime})
    assert get_json(server, f"/{folder}/{route}")[:2] == expected
    assert get_json(server, f"/{folder}")[:2] == expected


@case("node-home-folder-alias")
def _(tree):
    _folder_home(tree, "portal", "dashboard", "node", "dashboard")


@case("php-home-folder-alias")
def _(tree):
    _folder_home(tree, "profile", "me", "php", "me")


@case("go-home-folder-alias")
def _(tree):
    _folder_home(tree, "status", "summary", "go", "summary")


@case("rust-home-folder-alias-absolute-route")
def _(tree):
    _folder_home(tree, "reports", "latest", "rust", "latest")


@case("php-home-redirect")
def _(tree):
    server = tree("home-redirect")
    status, headers, _ = raw_request(server, "/")
    assert (status, headers["location"]) == (302, "/hello")
    assert get_json(server, "/hello")[:2] == (200, {"hello": "world", "runtime": "php"})


@pytest.mark.parametrize("check", CASES)
def test_fastfn_example(check, tree):
    check(tree)
