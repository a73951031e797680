"""A log output nobody reads never stalls the server: access lines are written by a thread of
their own through a bounded queue, and dropped (and counted) when it is full."""
import re
import socket
import subprocess
import threading

from conftest import APUS_BIN


def test_an_unread_stdout_does_not_stall_the_server():
    # stdout is a pipe this test never reads: the 64 KiB pipe fills after ~1,000 access lines.
    proc = subprocess.Popen([APUS_BIN, "run", "--hello", "--port", "0", "--access-log"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        port = None
        lines = []
        for line in proc.stderr:
            lines.append(line)
            match = re.search(r"running on http://\S+:(\d+)", line)
            if match:
                port = int(match.group(1))
                break
        assert port, lines
        threading.Thread(target=lambda: lines.extend(proc.stderr), daemon=True).start()
        request = b"GET /plaintext HTTP/1.1\r\nHost: x\r\n\r\n"
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            for _ in range(100):
                sock.sendall(request * 50)
                received = b""
                while received.count(b"HTTP/1.1 200") < 50:
                    received += sock.recv(65536)  # a stalled loop would time out here
    finally:
        proc.kill()
        proc.wait()
