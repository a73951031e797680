"""The root fn.config.json's assets block: static files served with the functions, static-first
or worker-first, with the single-page-application fallback for navigation requests."""
import pytest

from functions_support import call, call_json, serve, write_tree

FILES = {
    "public/index.html": "<html>home</html>",
    "public/app.js": "console.log('app')",
    "public/docs/index.html": "<html>docs</html>",
    "hello.py": "def handler(event):\n    return 'function'\n",
    "tools/ping.py": "def handler(event):\n    return 'pong'\n",  # /tools: a folder of functions
    # A function at a file's path: /app.js
    "mapped/fn.routes.json": '{"routes": {"GET /app.js": "app.py"}}',
    "mapped/app.py": "def handler(event):\n    return 'the function'\n",
}


def tree(tmp_path, run_worker_first, handling="404"):
    files = dict(FILES)
    files["fn.config.json"] = ('{"assets": {"directory": "public", "not_found_handling": "%s", "run_worker_first": %s}}'
                               % (handling, "true" if run_worker_first else "false"))
    return write_tree(tmp_path, files)


@pytest.mark.parametrize("worker_first", [False, True])
def test_files_are_served_static_first_or_worker_first(tmp_path, worker_first):
    server = serve(tree(tmp_path, worker_first))
    try:
        status, headers, body = call(server, "/")
        assert (status, body) == (200, b"<html>home</html>") and headers["content-type"].startswith("text/html")
        assert call(server, "/docs")[2] == b"<html>docs</html>"
        assert call(server, "/hello")[2] == b"function"
        assert call(server, "/app.js")[2] == (b"the function" if worker_first else b"console.log('app')")
        assert call_json(server, "/missing.js") == (404, {"error": "not found"})
        assert call_json(server, "/public/app.js") == (404, {"error": "not found"})  # the folder is not a route
    finally:
        server.stop()


def test_a_single_page_app_gets_its_index_for_navigation_only(tmp_path):
    server = serve(tree(tmp_path, False, "single-page-application"))
    try:
        assert call(server, "/some/client/route", headers={"Accept": "text/html"})[2] == b"<html>home</html>"
        assert call_json(server, "/missing.js", headers={"Accept": "text/html"}) == (404, {"error": "not found"})
        assert call_json(server, "/api/x", headers={"Accept": "application/json"}) == (404, {"error": "not found"})
        # FastFN's navigation signals (curl's */* among them); an API-looking path stays 404.
        assert call(server, "/dashboard/team", headers={"Accept": "*/*"})[2] == b"<html>home</html>"
        assert call(server, "/deep/link", headers={"Sec-Fetch-Dest": "document"})[2] == b"<html>home</html>"
        assert call_json(server, "/deep/link") == (404, {"error": "not found"})  # no signal at all
        assert call_json(server, "/api/unknown", headers={"Accept": "*/*"}) == (404, {"error": "not found"})
        assert call_json(server, "/api/unknown", headers={"Accept": "text/html"}) == (404, {"error": "not found"})
        assert call_json(server, "/tools/unknown", headers={"Accept": "*/*"}) == (404, {"error": "not found"})
        assert call(server, "/tools/ping")[2] == b"pong"
        assert call(server, "/hello")[2] == b"function"
    finally:
        server.stop()


@pytest.mark.parametrize("follow", [False, True])
def test_a_symlink_out_of_the_assets_folder_is_not_followed_unless_allowed(tmp_path, follow):
    import os

    files = dict(FILES)
    files["fn.config.json"] = '{"assets": {"directory": "public", "follow_symlinks": %s}}' % ("true" if follow else "false")
    root = write_tree(tmp_path / "tree", files)
    secret = tmp_path / "secret.txt"
    secret.write_text("outside the tree")
    os.symlink(secret, os.path.join(root, "public", "leak.txt"))
    os.symlink(os.path.join(root, "public", "app.js"), os.path.join(root, "public", "alias.js"))  # inside: fine
    server = serve(root)
    try:
        if follow:
            assert call(server, "/leak.txt")[:3:2] == (200, b"outside the tree")
        else:
            assert call_json(server, "/leak.txt") == (404, {"error": "not found"})
            assert any("leak.txt leads outside" in line for line in server.lines)
        assert call(server, "/alias.js")[2] == b"console.log('app')"
    finally:
        server.stop()
