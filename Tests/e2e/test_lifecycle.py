"""Graceful shutdown on signals, and the CLI's error exits."""
import signal
import socket
import subprocess
import threading
import time

import pytest

from conftest import APUS_BIN, parse_responses, read_until_closed

H = b"Host: x\r\n"


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_signal_during_load_loses_no_in_flight_request(start_apus, signum):
    server = start_apus()
    results = []

    def client(i):
        try:
            sock = server.connect(timeout=10)
            # Answered a second or more after the signal is sent, even on a loaded machine.
            sock.sendall(b"GET /delay/%d HTTP/1.1\r\n" % (1200 + i * 5) + H + b"\r\n")
            results.append(parse_responses(read_until_closed(sock, timeout=10)))
        except Exception as error:  # noqa: BLE001 - recorded and asserted below
            results.append(error)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(50)]
    for thread in threads:
        thread.start()
    time.sleep(0.2)  # every request is in flight, none answered yet
    server.signal(signum)
    for thread in threads:
        thread.join(20)
    assert len(results) == 50
    for result in results:
        assert not isinstance(result, Exception), result
        [(status, headers, body)] = result
        assert status == 200 and headers["connection"] == "close" and body.startswith(b"waited")
    assert server.wait(10) == 0
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", server.port), timeout=1)


def test_idle_connections_do_not_delay_shutdown(start_apus):
    server = start_apus()
    idle = [server.connect() for _ in range(20)]
    started = time.monotonic()
    server.signal(signal.SIGTERM)
    assert server.wait(10) == 0
    assert time.monotonic() - started < 2
    for sock in idle:
        assert read_until_closed(sock) == b""


def test_graceful_timeout_bounds_shutdown(start_apus):
    server = start_apus("--graceful-timeout", "1")
    sock = server.connect()
    sock.sendall(b"GET /delay/10000 HTTP/1.1\r\n" + H + b"\r\n")
    time.sleep(0.2)
    started = time.monotonic()
    server.signal(signal.SIGTERM)
    assert server.wait(10) == 0
    assert time.monotonic() - started < 3


def test_unknown_flag_is_a_one_line_error_with_exit_2():
    result = subprocess.run([APUS_BIN, "run", "--hello", "--no-such-flag"], capture_output=True, text=True)
    assert result.returncode == 2
    assert "no-such-flag" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) <= 2


@pytest.mark.parametrize("flag, value", [
    ("--limit-request-head-size", "0"), ("--limit-request-headers", "0"), ("--limit-request-body-size", "-1"),
    ("--limit-write-buffer", "10"), ("--ws-max-size", "0"),
])
def test_a_limit_that_would_refuse_everything_is_a_one_line_error(flag, value):
    result = subprocess.run([APUS_BIN, "run", "--hello", flag, value], capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert flag in result.stderr and "Traceback" not in result.stderr


def test_port_in_use_is_a_one_line_error_with_exit_1(apus):
    result = subprocess.run([APUS_BIN, "run", "--hello", "--port", str(apus.port)],
                            capture_output=True, text=True, timeout=10)
    assert result.returncode == 1
    assert "address already in use" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_version():
    result = subprocess.run([APUS_BIN, "--version"], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.strip()


def test_sighup_stops_a_single_server_gracefully(apus):
    with apus.connect() as sock:
        sock.sendall(b"GET /delay/300 HTTP/1.1\r\nHost: x\r\n\r\n")
        time.sleep(0.1)
        apus.signal(signal.SIGHUP)
        data = sock.recv(65536)
    assert data.startswith(b"HTTP/1.1 200")  # the request in flight was answered
    assert apus.wait(10) == 0
