"""Starts the real `apus` binary on a free port and talks to it over real sockets."""
import contextlib
import os
import re
import signal
import socket
import subprocess
import threading
import time

import pytest

APUS_BIN = os.environ.get("APUS_BIN") or os.path.join(
    os.path.dirname(__file__), "..", "..", ".build", "debug", "apus")
# The venv the servers run in: the project's, or that of the Python version under test
# (scripts/test-python.sh).
PROJECT_VENV = os.environ.get("APUS_TEST_VENV") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", "..", ".venv"))


class ApusServer:
    """One `apus run` process; its output is collected so tests can inspect the log."""

    def __init__(self, *args, env=None, ready_timeout=15):
        self.args = [APUS_BIN, "run", *args]
        self.lines = []
        self.port = None
        self.unix_socket = None  # the path, when it serves --uds
        self.proc = subprocess.Popen(
            self.args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
        ready = threading.Event()

        def pump():
            for line in self.proc.stdout:
                self.lines.append(line.rstrip("\n"))
                match = re.search(r"running on (?:https?://\S+:(\d+)|unix socket (\S+))", line)
                if match:
                    self.port = int(match.group(1) or 0)
                    self.unix_socket = match.group(2)
                    ready.set()
            ready.set()

        self.reader = threading.Thread(target=pump, daemon=True)
        self.reader.start()
        if not ready.wait(ready_timeout) or self.port is None:
            self.stop()
            raise RuntimeError("apus did not start:\n" + "\n".join(self.lines))

    @property
    def pid(self):
        return self.proc.pid

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def connect(self, timeout=5.0):
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock

    def signal(self, signum):
        self.proc.send_signal(signum)

    def wait(self, timeout):
        code = self.proc.wait(timeout)
        self.reader.join(2)
        return code

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def start_apus():
    servers = []

    def start(*args):
        server = ApusServer("--hello", "--port", "0", "--no-access-log", *args)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def apus(start_apus):
    return start_apus()


APPS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "apps")


@contextlib.contextmanager
def planned_and_plain(target, tmp_path_factory, env=None):
    """`target` (an app in APPS) served twice, for as long as the block runs: with plans, its
    route stats in a file, and with `--no-plans` (the app serving everything itself). Gives
    both servers and the stats file."""
    environment = dict(os.environ) if env is None else env
    stats = tmp_path_factory.mktemp("stats") / "routes"
    planned = ApusServer(target, "--app-dir", APPS, "--port", "0", "--no-access-log",
                         env=dict(environment, APUS_ROUTE_STATS=str(stats)))
    try:
        plain = ApusServer(target, "--app-dir", APPS, "--port", "0", "--no-access-log", "--no-plans", env=environment)
        try:
            yield planned, plain, stats
        finally:
            plain.stop()
    finally:
        planned.stop()


@pytest.fixture
def start_app():
    """Starts `apus run TARGET --app-dir Tests/e2e/apps` with extra flags."""
    servers = []

    def start(target, *args):
        server = ApusServer(target, "--app-dir", APPS, "--port", "0", "--no-access-log", *args)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


# -- raw HTTP helpers ----------------------------------------------------------------------

def read_until_closed(sock, timeout=5.0):
    """Everything the server sends until it closes the connection (or the timeout)."""
    sock.settimeout(timeout)
    chunks = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            data = sock.recv(65536)
        except socket.timeout:
            raise AssertionError("server did not close the connection; got %r" % b"".join(chunks))
        except ConnectionResetError:
            break
        if not data:
            break
        chunks.append(data)
    return b"".join(chunks)


def parse_responses(data):
    """Splits a byte stream into (status, headers dict, body) tuples (content-length bodies)."""
    responses = []
    while data:
        head, sep, rest = data.partition(b"\r\n\r\n")
        assert sep, "incomplete response head: %r" % data
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        responses.append((status, headers, rest[:length]))
        data = rest[length:]
    return responses


def read_response(sock, timeout=5.0):
    """Reads exactly one content-length response from a keep-alive connection, and not a byte
    more: the next (pipelined) response stays in the socket for the next call."""
    sock.settimeout(timeout)
    while True:
        peeked = sock.recv(65536, socket.MSG_PEEK)
        if not peeked:
            raise AssertionError("connection closed before a response head")
        end = peeked.find(b"\r\n\r\n")
        if end >= 0:
            break
        time.sleep(0.01)
    head = b""
    while len(head) < end + 4:
        head += sock.recv(end + 4 - len(head))
    match = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
    length = int(match.group(1)) if match else 0
    rest = b""
    while len(rest) < length:
        chunk = sock.recv(length - len(rest))
        if not chunk:
            break
        rest += chunk
    return parse_responses(head + rest)[0]
