"""The runtime's native module: built into the `apus` executable, or loaded from the
extension library (`_apus.cpython-311-*.so`, built by `make`) when Python is the host."""
import threading

try:
    import _apus  # inside `apus run`: registered as a built-in module
except ImportError:
    from . import _apus  # in a Python process: the extension library


class Server:
    """A running in-process server: ``port``, ``url``, ``stop()``; also a context manager."""

    def __init__(self, port, stop, host):
        self.port = port
        self.host = host
        self._stop = stop
        self._lock = threading.Lock()
        self._stopped = False

    @property
    def url(self):
        return f"http://{self.host}:{self.port}"

    def stop(self):
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
        self._stop(None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def serve(app, host="127.0.0.1", port=0, access_log=False, graceful_timeout=10.0, root_path="",
          on_exception=None, testing=False, state=None, plans=True):
    """Starts serving the ASGI ``app`` from this process (on the runtime's own loop and asyncio
    threads, shared by every server of the process) and returns a ``Server``.
    ``on_exception(error)`` is called with each exception the app raises (still a 500). The
    lifespan protocol is the caller's to run (see ``apus._lifespan``). ``plans``: serve a
    FastAPI app's routes with native plans (else everything goes through the app as ASGI)."""
    port, stop = _apus.serve({"app": app, "host": host, "port": port, "access_log": access_log,
                              "graceful_timeout": graceful_timeout, "root_path": root_path,
                              "on_exception": on_exception, "testing": testing, "state": state,
                              "plans": plans})
    return Server(port, stop, host)


def version():
    return _apus.version(None)
