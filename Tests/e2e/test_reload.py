"""`--reload` as people expect it: a change is a reload (logged at INFO, not as a crash); an app
that does not start is not started again and again (one error, one traceback), answers 503
meanwhile with nothing of the error in the body, and serves again soon after the fix."""
import json
import os
import textwrap
import time

from conftest import PROJECT_VENV, ApusServer, parse_responses, read_until_closed

VENV = PROJECT_VENV

APP = textwrap.dedent("""
    from fastapi import FastAPI
    app = FastAPI()

    @app.get("/version")
    def version():
        return {"version": VERSION}

    VERSION = {version}
""")


def get(server, path):
    with server.connect() as sock:
        sock.sendall(b"GET " + path.encode() + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = read_until_closed(sock)
    if not data:
        return None, None
    [(status, _, body)] = parse_responses(data)
    return status, body


def wait_for(condition, within=10.0):
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    return None


def serve(folder):
    return ApusServer("main:app", "--app-dir", str(folder), "--port", "0", "--reload", "--reload-delay", "0.1",
                      "--no-access-log", env={**os.environ, "VIRTUAL_ENV": VENV}, ready_timeout=30)


def version_is(server, version):
    def check():
        try:
            status, body = get(server, "/version")
        except OSError:
            return False
        return status == 200 and json.loads(body) == {"version": version}
    return check


def test_a_change_is_a_reload_not_a_crash(tmp_path):
    (tmp_path / "main.py").write_text(APP.replace("{version}", "1"))
    server = serve(tmp_path)
    try:
        assert wait_for(version_is(server, 1))
        (tmp_path / "main.py").write_text(APP.replace("{version}", "2"))
        assert wait_for(version_is(server, 2))
        log = "\n".join(server.lines)
        assert "INFO:     Detected changes in main.py. Reloading..." in log
        assert "INFO:     Reloading: worker process" in log
        assert "died" not in log and "WARNING" not in log
    finally:
        server.stop()


def test_an_app_that_does_not_start_waits_for_the_fix_and_answers_503(tmp_path):
    (tmp_path / "main.py").write_text(APP.replace("{version}", "1"))
    server = serve(tmp_path)
    try:
        assert wait_for(version_is(server, 1))
        (tmp_path / "main.py").write_text(APP.replace("{version}", "1").replace("def version():", "def version()"))
        assert wait_for(lambda: any("could not start the app" in line for line in server.lines))
        status, body = wait_for(lambda: (lambda answer: answer if answer[0] == 503 else None)(get(server, "/version")))
        assert status == 503 and b"SyntaxError" not in body and b"main.py" not in body
        time.sleep(1.5)  # no restart loop: one failure, one traceback
        log = "\n".join(server.lines)
        assert log.count("SyntaxError") == 1 and log.count("could not start the app") == 1
        assert "ERROR:    Worker process" in log

        fixed_at = time.monotonic()
        (tmp_path / "main.py").write_text(APP.replace("{version}", "3"))
        assert wait_for(version_is(server, 3))
        took = time.monotonic() - fixed_at
        print(f"served again {took:.2f} s after the fix")
        assert took < 3.0
    finally:
        server.stop()


def test_an_app_broken_from_the_start_is_served_once_fixed(tmp_path):
    (tmp_path / "main.py").write_text("import no_such_module_anywhere\n")
    server = serve(tmp_path)
    try:
        assert wait_for(lambda: get(server, "/version")[0] == 503)
        (tmp_path / "main.py").write_text(APP.replace("{version}", "4"))
        assert wait_for(version_is(server, 4))
    finally:
        server.stop()
