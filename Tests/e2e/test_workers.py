"""--workers N (processes sharing the port, supervised) and --reload."""
import json
import os
import signal
import socket
import textwrap
import time

from conftest import APPS, PROJECT_VENV, ApusServer, read_response


def pid_over_new_connection(server):
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    sock.sendall(b"GET /pid HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    _, _, body = read_response(sock)
    sock.close()
    return json.loads(body)["pid"]


def pids_seen(server, attempts=60):
    pids = set()
    for _ in range(attempts):
        try:
            pids.add(pid_over_new_connection(server))
        except OSError:  # workers still starting (the parent announces the port first)
            time.sleep(0.05)
    return pids


def both_workers(server, timeout=10):
    """The two workers' pids, once each has answered."""
    pids = set()
    deadline = time.monotonic() + timeout
    while len(pids) < 2 and time.monotonic() < deadline:
        pids |= pids_seen(server, 10)
    assert len(pids) == 2, pids
    return pids


def test_two_workers_and_a_replacement_for_a_dead_one():
    server = ApusServer("basic:app", "--app-dir", APPS, "--port", "0", "--workers", "2", "--no-access-log")
    try:
        pids = both_workers(server)

        # a keep-alive connection to each worker
        conns = {}
        while len(conns) < 2:
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
            sock.sendall(b"GET /pid HTTP/1.1\r\nHost: x\r\n\r\n")
            conns.setdefault(json.loads(read_response(sock)[2])["pid"], sock)
        victim, survivor = sorted(conns)
        os.kill(victim, signal.SIGKILL)
        killed_at = time.monotonic()

        failures = 0
        replacement = None
        while time.monotonic() - killed_at < 5 and replacement is None:
            # the survivor keeps answering on its connection without a single failure
            conns[survivor].sendall(b"GET /pid HTTP/1.1\r\nHost: x\r\n\r\n")
            status, _, body = read_response(conns[survivor])
            failures += status != 200 or json.loads(body)["pid"] != survivor
            try:
                pid = pid_over_new_connection(server)
            except (OSError, AssertionError):
                continue  # a connection that landed on the dead worker's socket
            if pid not in (victim, survivor):
                replacement = time.monotonic() - killed_at
        assert failures == 0
        assert replacement is not None and replacement < 2.0, replacement
        server.signal(signal.SIGTERM)
        assert server.wait(15) == 0
    finally:
        server.stop()


def test_reload_restarts_on_source_change(tmp_path):
    app = tmp_path / "reloadable.py"
    source = textwrap.dedent("""
        from fastapi import FastAPI
        app = FastAPI()

        @app.get("/version")
        def version():
            return {"version": VERSION}

        VERSION = 1
    """)
    app.write_text(source)
    server = ApusServer("reloadable:app", "--app-dir", str(tmp_path), "--port", "0", "--reload", "--no-access-log",
                        env={**os.environ, "VIRTUAL_ENV": PROJECT_VENV})
    try:
        def version():
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
            sock.sendall(b"GET /version HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            body = read_response(sock)[2]
            sock.close()
            return json.loads(body)["version"]

        deadline = time.monotonic() + 10
        while True:
            try:
                assert version() == 1
                break
            except (OSError, AssertionError):
                assert time.monotonic() < deadline
                time.sleep(0.1)
        time.sleep(1.1)  # a different modification time, whatever the file system's resolution
        app.write_text(source.replace("VERSION = 1", "VERSION = 2"))
        deadline = time.monotonic() + 10
        seen = None
        while time.monotonic() < deadline:
            try:
                seen = version()
                if seen == 2:
                    break
            except (OSError, AssertionError):
                pass
            time.sleep(0.1)
        assert seen == 2
        assert any("Reloading" in line for line in server.lines)
    finally:
        server.stop()


def test_sighup_restarts_the_workers_one_at_a_time_with_no_failed_request():
    server = ApusServer("basic:app", "--app-dir", APPS, "--port", "0", "--workers", "2", "--no-access-log")
    try:
        old = both_workers(server)

        # A worker leaves SIGHUP to the supervisor (a closed terminal sends it to all of them).
        for pid in old:
            os.kill(pid, signal.SIGHUP)
        time.sleep(0.3)
        assert all(os.path.exists(f"/proc/{pid}") for pid in old)

        server.signal(signal.SIGHUP)
        failures, requests, seen, new = 0, 0, set(), set()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            requests += 1
            try:
                pid = pid_over_new_connection(server)
            except (OSError, ValueError, KeyError):
                failures += 1
                continue
            seen.add(pid)
            new = seen - old
            if len(new) >= 2 and all(not os.path.exists(f"/proc/{p}") for p in old):
                break
        assert len(new) == 2 and all(not os.path.exists(f"/proc/{p}") for p in old), (old, seen)
        # The workers share one listening socket: a retiring worker leaves its queue to the others.
        assert failures == 0, f"{failures} of {requests} requests failed during the restart"
        assert server.proc.poll() is None, "the supervisor keeps running"
        deadline = time.monotonic() + 5
        while not any("every worker restarted" in line for line in server.lines) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert any("every worker restarted" in line for line in server.lines)
    finally:
        server.stop()


def test_a_worker_count_past_the_bound_is_refused_in_one_line():
    import subprocess

    from conftest import APUS_BIN

    result = subprocess.run([APUS_BIN, "run", "--hello", "--port", "0", "--workers", "100000"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    assert "--workers 100000 is more than this machine can run well" in result.stderr
    assert "Started" not in result.stdout + result.stderr


def test_a_stop_during_start_up_starts_no_more_workers():
    # Started a few at a time, so SIGTERM is heard before all 60 are: the supervisor stops the
    # ones running and exits at once.
    server = ApusServer("--hello", "--port", "0", "--workers", "60", "--no-access-log")
    server.signal(signal.SIGTERM)
    assert server.wait(20) == 0
    started = sum("Started worker process" in line for line in server.lines)
    assert 0 < started < 60, started
