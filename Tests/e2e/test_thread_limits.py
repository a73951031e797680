"""A thread the runtime cannot create is never fatal: under a tasks limit (as in a container's
pids limit), 40 concurrent blocking requests are all answered with the threads there are."""
import os
import re
import shutil
import subprocess
import threading
import urllib.request

import pytest

from conftest import APPS, APUS_BIN, PROJECT_VENV

SETPRIV = shutil.which("setpriv")


VENV = PROJECT_VENV


def nobody_can_run_the_server():
    """The server, the app and the venv must be readable by an unprivileged user (a checkout
    under a private home directory is not)."""
    if os.geteuid() != 0 or SETPRIV is None:
        return False
    check = f"test -x {APUS_BIN} && test -r {APPS}/blocking.py && test -x {VENV}/bin/python3"
    return subprocess.run([SETPRIV, "--reuid=65534", "--regid=65534", "--clear-groups", "bash", "-c", check]).returncode == 0


@pytest.mark.skipif(not nobody_can_run_the_server(), reason="needs root, setpriv, and a checkout others can read")
def test_blocking_requests_beyond_the_tasks_limit_are_all_answered():
    # RLIMIT_NPROC binds only unprivileged users: run the server as nobody with 24 tasks.
    venv = VENV
    command = f"ulimit -u 24 && exec {APUS_BIN} run blocking:app --app-dir {APPS} --port 0 --no-access-log"
    proc = subprocess.Popen([SETPRIV, "--reuid=65534", "--regid=65534", "--clear-groups", "bash", "-c", command],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=dict(os.environ, VIRTUAL_ENV=venv, PYTHONDONTWRITEBYTECODE="1"))
    lines = []
    try:
        port = None
        for line in proc.stdout:
            lines.append(line)
            match = re.search(r"running on http://\S+:(\d+)", line)
            if match:
                port = int(match.group(1))
                break
        assert port, "".join(lines)
        threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True).start()
        results = []

        def call():
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/sleep?seconds=0.3", timeout=60) as response:
                results.append(response.status)

        callers = [threading.Thread(target=call) for _ in range(40)]
        for caller in callers:
            caller.start()
        for caller in callers:
            caller.join(90)
        assert results == [200] * 40
        assert proc.poll() is None, "".join(lines)
        assert any("cannot start another Python thread" in line for line in lines), "".join(lines)
    finally:
        proc.kill()
        proc.wait()

