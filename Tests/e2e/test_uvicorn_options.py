"""uvicorn's options and settings carried over: response headers, `APUS_*` variables,
`--env-file`, `--log-config`, `--limit-max-requests`, `--fd`, `--timeout-graceful-shutdown`,
what `--reload` watches, no body cap by default, and the options Apus replaces refused with
what to use instead."""
import json
import os
import signal
import socket
import subprocess
import textwrap
import time

import pytest

from conftest import APPS, APUS_BIN, PROJECT_VENV, ApusServer, parse_responses, read_until_closed

VENV = PROJECT_VENV


def get(server, path, headers=b""):
    with server.connect() as sock:
        sock.sendall(b"GET " + path.encode() + b" HTTP/1.1\r\nHost: x\r\n" + headers + b"Connection: close\r\n\r\n")
        [(status, response_headers, body)] = parse_responses(read_until_closed(sock))
    return status, response_headers, body


def head_lines(server, path):
    with server.connect() as sock:
        sock.sendall(b"GET " + path.encode() + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        raw = read_until_closed(sock)
    return raw.split(b"\r\n\r\n", 1)[0].decode().lower().split("\r\n")


def test_response_headers_as_uvicorn_sets_them(start_apus):
    plain = start_apus()
    lines = head_lines(plain, "/plaintext")
    assert "server: apus" in lines and any(line.startswith("date: ") for line in lines)
    bare = start_apus("--no-server-header", "--no-date-header", "--header", "X-Frame-Options: DENY",
                      "--header", "x-team:platform")
    lines = head_lines(bare, "/plaintext")
    assert "server: apus" not in lines and not any(line.startswith("date: ") for line in lines)
    assert "x-frame-options: deny" in lines and "x-team: platform" in lines


def run_cli(*args, env=None, timeout=30):
    return subprocess.run([APUS_BIN, "run", *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


@pytest.mark.parametrize("option, says", [
    (["--loop", "uvloop"], "libuv"), (["--ws", "websockets"], "--ws-max-size"),
    (["--interface", "wsgi"], "ASGI 3"),
    (["--header", "no colon"], "Name:Value"), (["--reload-delay", "0"], "--reload-delay"),
])
def test_what_apus_replaces_is_refused_with_what_to_use(option, says):
    result = run_cli("--hello", *option)
    assert result.returncode == 2 and says in result.stderr and len(result.stderr.strip().splitlines()) <= 2


def test_options_from_apus_variables_and_the_command_line_wins(start_apus):
    env = {**os.environ, "APUS_HEADER": "x-from: environment", "APUS_SERVER_HEADER": "false", "APUS_PORT": "1"}
    server = ApusServer("--hello", "--port", "0", "--no-access-log", env=env)
    try:
        lines = head_lines(server, "/plaintext")
        assert "x-from: environment" in lines and "server: apus" not in lines  # and --port 0 beat APUS_PORT
    finally:
        server.stop()
    result = run_cli("--hello", env={"APUS_ACCESS_LOG": "maybe"})
    assert result.returncode == 2 and "APUS_ACCESS_LOG=maybe" in result.stderr


def test_timeout_graceful_shutdown_is_the_graceful_timeout(start_apus):
    server = start_apus("--timeout-graceful-shutdown", "1")
    sock = server.connect()
    sock.sendall(b"GET /delay/10000 HTTP/1.1\r\nHost: x\r\n\r\n")
    time.sleep(0.2)
    started = time.monotonic()
    server.signal(signal.SIGTERM)
    assert server.wait(10) == 0 and time.monotonic() - started < 3


def write_app(folder, body):
    (folder / "main.py").write_text(textwrap.dedent(body))


def serve_app(folder, *args, env=None):
    return ApusServer("main:app", "--app-dir", str(folder), "--port", "0", *args,
                      env={**os.environ, "VIRTUAL_ENV": VENV, **(env or {})}, ready_timeout=30)


ENV_APP = """
    import os
    from fastapi import FastAPI
    app = FastAPI()

    @app.get("/env/{name}")
    def env(name: str):
        return {"value": os.environ.get(name)}
"""


def test_env_file_sets_what_the_environment_does_not(tmp_path):
    write_app(tmp_path, ENV_APP)
    (tmp_path / ".env").write_text(textwrap.dedent("""\
        # settings
        export GREETING="hello ${WHO:-world}\\n"
        PLAIN = some value # a comment
        SINGLE='${NOT_EXPANDED}'
        KEPT=from-the-file
    """))
    server = serve_app(tmp_path, "--env-file", str(tmp_path / ".env"), env={"KEPT": "from-the-environment"})
    try:
        value = lambda name: json.loads(get(server, f"/env/{name}")[2])["value"]  # noqa: E731
        assert value("GREETING") == "hello world\n"
        assert value("PLAIN") == "some value"
        assert value("SINGLE") == "${NOT_EXPANDED}"
        assert value("KEPT") == "from-the-environment"
    finally:
        server.stop()
    (tmp_path / "bad.env").write_text("NOT AN ASSIGNMENT\n")
    result = run_cli("main:app", "--app-dir", str(tmp_path), "--env-file", str(tmp_path / "bad.env"),
                     env={"VIRTUAL_ENV": VENV})
    assert result.returncode == 2 and "bad.env, line 1" in result.stderr


def test_log_config_configures_the_apps_loggers(tmp_path):
    write_app(tmp_path, """
        import logging
        from fastapi import FastAPI
        app = FastAPI()

        @app.get("/log")
        def log():
            logging.getLogger("orders").info("order placed")
            return {}
    """)
    (tmp_path / "logging.json").write_text(json.dumps({
        "version": 1,
        "formatters": {"custom": {"format": "CUSTOM %(name)s %(message)s"}},
        "handlers": {"out": {"class": "logging.StreamHandler", "formatter": "custom", "stream": "ext://sys.stderr"}},
        "loggers": {"orders": {"handlers": ["out"], "level": "INFO"}},
    }))
    server = serve_app(tmp_path, "--log-config", str(tmp_path / "logging.json"))
    try:
        get(server, "/log")
        deadline = time.monotonic() + 3
        while "CUSTOM orders order placed" not in server.lines and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "CUSTOM orders order placed" in server.lines
    finally:
        server.stop()


def test_limit_max_requests_stops_the_process_gracefully(start_apus):
    server = start_apus("--limit-max-requests", "3")
    for _ in range(3):
        assert get(server, "/plaintext")[0] == 200
    assert server.wait(10) == 0
    assert any("Maximum request limit of 3 exceeded" in line for line in server.lines)


def test_fd_serves_an_inherited_listening_socket():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    port = listener.getsockname()[1]
    proc = subprocess.Popen([APUS_BIN, "run", "--hello", "--fd", str(listener.fileno()), "--no-access-log"],
                            pass_fds=[listener.fileno()], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    listener.close()
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                sock = socket.create_connection(("127.0.0.1", port), timeout=5)
                break
            except OSError:
                assert time.monotonic() < deadline
                time.sleep(0.05)
        with sock:
            sock.sendall(b"GET /plaintext HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            [(status, _, body)] = parse_responses(read_until_closed(sock))
        assert (status, body) == (200, b"Hello, World!")
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0


def test_a_body_uvicorn_accepts_is_accepted_by_default(start_app):
    server = start_app("logs_app:app")
    body = b"x" * (20 * 1024 * 1024)
    with server.connect(timeout=30) as sock:
        sock.sendall(b"POST /upload HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: "
                     + str(len(body)).encode() + b"\r\n\r\n" + body)
        [(status, _, answer)] = parse_responses(read_until_closed(sock, timeout=30))
    assert (status, json.loads(answer)) == (200, {"size": len(body)})


def test_reload_watches_the_globs_it_is_given(tmp_path):
    write_app(tmp_path, ENV_APP)
    (tmp_path / "settings.toml").write_text("a = 1\n")
    (tmp_path / "scratch").mkdir()
    (tmp_path / "scratch" / "notes.toml").write_text("x\n")
    server = serve_app(tmp_path, "--reload", "--reload-include", "*.toml", "--reload-exclude", "scratch",
                       "--reload-delay", "0.1", "--no-access-log")
    try:
        def reloads():
            return sum("Detected changes" in line for line in server.lines)

        time.sleep(0.5)
        (tmp_path / "scratch" / "notes.toml").write_text("y\n")  # excluded folder
        time.sleep(0.6)
        assert reloads() == 0
        (tmp_path / "settings.toml").write_text("a = 2\n")
        deadline = time.monotonic() + 5
        while reloads() == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert reloads() == 1 and any("settings.toml" in line for line in server.lines if "Detected" in line)
    finally:
        server.stop()
