"""The executor pool grows for handlers that block, not for handlers that compute: a thread
running Python on a CPU holds the GIL, and more threads would only take turns with it."""
import glob
import threading
import time
import urllib.request


def python_threads(pid):
    names = []
    for comm in glob.glob(f"/proc/{pid}/task/*/comm"):
        try:
            names.append(open(comm).read().strip())
        except OSError:
            pass  # a thread that just ended
    return names.count("apus-python")


def most_threads_while(server, path, callers=6):
    """Sends `callers` concurrent requests to `path`; the most executor threads seen meanwhile."""
    def call():
        with urllib.request.urlopen(server.url(path), timeout=60) as response:
            assert response.status == 200

    threads = [threading.Thread(target=call) for _ in range(callers)]
    for thread in threads:
        thread.start()
    most = 0
    while any(thread.is_alive() for thread in threads):
        most = max(most, python_threads(server.pid))
        time.sleep(0.01)
    for thread in threads:
        thread.join()
    return most


def test_computing_handlers_do_not_grow_the_pool(start_app):
    server = start_app("blocking:app")
    # One thread computes at a time (without the check, 6 requests started 30).
    assert most_threads_while(server, "/compute?seconds=0.3") <= 2


def test_blocking_handlers_grow_the_pool(start_app):
    server = start_app("blocking:app")
    assert most_threads_while(server, "/sleep?seconds=0.5") >= 6
