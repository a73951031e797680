"""A function's own dependencies are installed at start-up, not on the request path: a Python
function's requirements.txt into its .deps (first on its import path); a Node function's
package.json with npm, whose failure (no npm, no registry) is that function's alone."""
import shutil

from functions_support import call, call_json, logged, serve, write_tree


def test_requirements_are_installed_into_the_functions_own_deps(tmp_path):
    write_tree(tmp_path, {
        "uses/six_version.py": "import six\n\ndef handler(event):\n    return {'six': six.__version__, 'from': six.__file__}\n",
        "uses/requirements.txt": "six==1.16.0\n",
        "plain.py": "def handler(event):\n    return 'plain'\n",
    })
    server = serve(tmp_path)
    try:
        status, body = call_json(server, "/uses/six-version")
        assert status == 200 and body["six"] == "1.16.0"
        assert body["from"].startswith(str(tmp_path / "uses" / ".deps"))
        log = "\n".join(server.lines)
        assert f"installing {tmp_path}/uses/requirements.txt" in log
    finally:
        server.stop()
    # Installed once: a second start does not install again.
    server = serve(tmp_path)
    try:
        assert call_json(server, "/uses/six-version")[0] == 200
        assert "installing" not in "\n".join(server.lines)
    finally:
        server.stop()


def test_a_node_install_that_cannot_run_is_that_functions_error_alone(tmp_path):
    write_tree(tmp_path, {
        "js/needs.js": "const dep = require('left-pad');\nexports.handler = () => dep('x', 3);\n",
        "js/package.json": '{"name": "needs", "dependencies": {"left-pad": "1.3.0"}}',
        "ok.py": "def handler(event):\n    return 'ok'\n",
    })
    # Node but no npm on this PATH (and no registry on this machine): the install fails, clearly.
    bin_folder = tmp_path / "bin"
    bin_folder.mkdir()
    (bin_folder / "node").symlink_to(shutil.which("node"))
    server = serve(tmp_path, env={"PATH": str(bin_folder)})
    try:
        log = "\n".join(server.lines)
        assert f"{tmp_path}/js/package.json: cannot install: npm is not available" in log
        assert call(server, "/ok")[2] == b"ok"
        status, body = call_json(server, "/js/needs")
        assert (status, body) == (503, {"error": "function unavailable"})
        assert logged(server, "left-pad")
    finally:
        server.stop()
